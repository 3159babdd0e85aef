// JSON text going out as a column's value: a JSON string token unescaped,
// or a JSON value's own text, either as it is (binary COPY) or escaped for
// COPY text. Both refuse what jsonb would refuse or rewrite, so that a value
// written here means what jsonb_to_recordset would have made of it.
// PostgreSQL-free.
#pragma once

#include <string>
#include <string_view>

namespace mq::queue {

// Appends the unescaped content of the JSON string token (with its quotes),
// as it is or escaped for COPY text. False, with *out partly written, on a
// lone UTF-16 surrogate, \u0000 or bytes that are not UTF-8.
bool put_json_string(std::string_view token, std::string* out);
bool put_json_string_raw(std::string_view token, std::string* out);

// Appends a JSON value's own text, escaped for COPY text; false on bytes
// that are not UTF-8.
bool put_copy_text(std::string_view text, std::string* out);
// Whether a JSON value's own text is UTF-8 throughout. PostgreSQL's own
// check (pg_utf8_islegal) refuses the same: overlong forms, surrogates and
// code points past U+10FFFF.
bool valid_utf8(std::string_view text);
// UTF-8 without a NUL byte: what a UTF-8 database's text can hold, as
// pg_verifymbstr decides it.
bool valid_utf8_text(std::string_view text);

// A number whose text numeric_out would give back unchanged: jsonb keeps
// numbers as numeric, so 1e3 reaches a text column as 1000 and -0 as 0.
bool number_keeps_text(std::string_view number);

}  // namespace mq::queue
