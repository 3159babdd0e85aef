// The table move's local queries, through SPI (connected by the entry
// point), as the caller: every value comes back as text, every parameter
// goes in as text (the SQL casts it).
#pragma once

#include <string>
#include <vector>

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

}  // namespace mq::move
