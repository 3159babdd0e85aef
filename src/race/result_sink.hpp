// Where the winning target's rows go: converted with the input functions of
// the caller's column definition list into a tuplestore bounded by work_mem.
#pragma once

#include <cstdint>
#include <string>

#include <libpq-fe.h>

#include "pg/postgres.hpp"

extern "C" {
#include "access/tupdesc.h"
#include "funcapi.h"
#include "utils/tuplestore.h"
}

namespace mq::race {

class ResultSink {
public:
    // store and desc belong to the caller (the function's per-query context);
    // subject names what is read in a conversion error's context (a raced
    // foreign table), empty for race_query.
    ResultSink(Tuplestorestate* store, TupleDesc desc, std::string subject = {});
    ResultSink(const ResultSink&) = delete;
    ResultSink& operator=(const ResultSink&) = delete;
    ~ResultSink();

    // Checks that target's result has as many columns as the caller defined.
    void check_shape(const PGresult* result, const std::string& target) const;
    // Converts and stores every row of result (one, in single-row mode).
    void add_rows(const PGresult* result, const std::string& target);
    // Forgets the rows stored so far: the target sending them failed midway.
    void clear();
    // The local lc_monetary when a column is of type money (or an array of
    // it), whose text form follows that setting; otherwise empty.
    std::string money_locale() const;

private:
    Tuplestorestate* store_;
    TupleDesc desc_;
    AttInMetadata* input_;
    MemoryContext row_context_;  // reset after each row
    std::string subject_;
};

}  // namespace mq::race
