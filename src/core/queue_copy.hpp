// Turns the JSON rows of a queue entry into COPY text, so that the drain can
// load a run of rows with PostgreSQL's own bulk path (CopyFrom) instead of
// parsing the batch again with jsonb_to_recordset. PostgreSQL-free.
//
// The conversion must mean exactly what jsonb_to_recordset would have made of
// the row; where COPY text cannot say the same thing, the converter refuses
// the row and the drain takes the SQL path for its group (apply.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json_row_values.hpp"

namespace mq::queue {

// How a column takes a JSON value, as jsonb_to_recordset hands it over.
enum class CopyColumnKind {
    // A scalar type (not json, not an array, composite or domain): a JSON
    // string goes to the type's input function unescaped; numbers and
    // booleans as their text; a nested object or array is refused (jsonb
    // would hand over its normalized text, which we do not rebuild).
    kScalar,
    // jsonb: the value's JSON text, which jsonb_in reads as the batch's
    // jsonb parse would have.
    kJsonb,
};

// Appends to *out one line of COPY text (tab-separated, ending in '\n') with
// the values of `row` (one JSON object, already checked by scan_json_rows) for
// `columns` (its keys, sorted and unique as JsonRow::keys), in that order.
// A JSON null is \N; a key given twice keeps its last value, as jsonb does.
// Returns false, leaving *out as it was, when the row has a value whose meaning
// COPY text cannot carry (see CopyColumnKind, plus numbers that numeric would
// rewrite: exponents, negative zero; a lone UTF-16 surrogate; \u0000; bytes
// that are not UTF-8) or a key outside columns.
// hint: see json_row_values.hpp.
bool append_copy_row(std::string_view row, const std::vector<std::string>& columns,
                     const std::vector<CopyColumnKind>& kinds, std::string* out,
                     CopyRowHint* hint = nullptr);

}  // namespace mq::queue
