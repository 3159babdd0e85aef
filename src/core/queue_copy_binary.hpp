// JSON rows to PostgreSQL's binary COPY format, for tables whose columns are
// all of the few types written here: the server then skips parsing each
// line and each value's text (for a timestamptz, a tenth of the drain's
// time). PostgreSQL-free.
//
// As for COPY text (queue_copy.hpp), what is written must mean exactly what
// jsonb_to_recordset would have made of the row. A value this converter is
// not sure of is refused, and the drain writes the row's group as COPY text
// instead, where PostgreSQL's input functions judge it (and raise their own
// errors for poison).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json_row_values.hpp"
#include "core/queue_json.hpp"

namespace mq::queue {

// A column type written in binary, and what each takes:
enum class BinaryKind {
    kInt2,         // a JSON integer in range (not a string, fraction or exponent)
    kInt4,
    kInt8,
    kBool,         // true or false (not a string)
    kText,         // a string, or a number or boolean as its text (text, varchar)
    kJsonb,        // any JSON value, as its text after jsonb's version byte
    kJsonbImage,   // the same, as its jsonb image (jsonb_image.hpp) after
                   // kJsonbImageMark where the encoder takes it: UTF-8 only
    kTimestamptz,  // a string parse_iso_timestamptz accepts (iso_timestamp.hpp)
};
// A JSON null is SQL NULL for every kind.

// The first byte of a binary jsonb field that holds the value's jsonb image
// rather than jsonb_recv's version 1 and text. Only the drain's own load
// reads it (copy_load.cpp); jsonb_recv would refuse the field.
constexpr char kJsonbImageMark = '\x80';

// The stream's header and trailer, around the rows.
void append_binary_header(std::string* out);
void append_binary_trailer(std::string* out);

// Appends one row (a tuple of columns.size() fields, in the order of
// columns: sorted and unique as JsonRow::keys). Returns false, leaving *out
// as it was, when the row has a value its column's kind does not take, a
// value jsonb would refuse or rewrite, or a key outside columns.
bool append_binary_row(std::string_view row, const std::vector<std::string>& columns,
                       const std::vector<BinaryKind>& kinds, std::string* out,
                       CopyRowHint* hint = nullptr);

// The same for a row as scan_json_rows found it, its columns its keys: the
// values are those the scan recorded (JsonRow::members), without walking
// the row again; a row with none is walked as above.
bool append_binary_row(const JsonRow& row, const std::vector<BinaryKind>& kinds,
                       std::string* out, CopyRowHint* hint = nullptr);

}  // namespace mq::queue
