// The table move's local queries, through SPI (connected by the entry
// point), as the caller: every value comes back as text, every parameter
// goes in as text (the SQL casts it).
#pragma once

#include <string>
#include <vector>

#include "move/plan.hpp"
#include "move/rows.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace mq::move {

// Runs sql (a read) with text parameters $1..$n and returns its rows.
Rows local_rows(const std::string& sql, const std::vector<Cell>& params = {});

// local_rows with the output formats fixed as on the source (TimeZone UTC,
// DateStyle ISO, IntervalStyle postgres, extra_float_digits 3, bytea_output
// hex, search_path pg_catalog) for the query's duration: the canonical text.
Rows canonical_rows(const std::string& sql);

// A statement prepared once (text parameters) and run many times across the
// procedure's commits.
class Statement {
public:
    Statement() = default;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    void prepare(const std::string& sql, int params);
    bool prepared() const { return plan_ != nullptr; }
    // Runs it; returns how many rows it processed.
    uint64_t run(const std::vector<Cell>& params);

private:
    SPIPlanPtr plan_ = nullptr;
    int params_ = 0;
};

// A bulk INSERT whose parameters are one array per written column, built
// from the rows' texts with the columns' own input functions (the column's
// type and modifier apply; an array-typed column travels as text[]).
class ArrayInsert {
public:
    ArrayInsert() = default;
    ArrayInsert(const ArrayInsert&) = delete;
    ArrayInsert& operator=(const ArrayInsert&) = delete;
    ~ArrayInsert();

    // sql takes $1..$n, one per column of columns (indexes into plan.columns).
    void prepare(const MovePlan& plan, const std::vector<int>& columns, const std::string& sql);
    // Inserts rows; returns how many rows the statement inserted.
    uint64_t run(const std::vector<const Row*>& rows);

private:
    struct Input {
        int column;   // index into a row
        Oid element;  // the array's element type: the column's, or text
        int32 typmod;
        FmgrInfo function;
        Oid ioparam;
        int16 length;
        bool by_value;
        char align;
    };
    std::vector<Input> inputs_;
    SPIPlanPtr plan_ = nullptr;
};

}  // namespace mq::move
