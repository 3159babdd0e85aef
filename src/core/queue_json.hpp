// Reads the JSON of a queue entry without PostgreSQL: checks it, splits a
// `rows` array into its objects and lists each object's top-level keys, which
// the drain needs to group rows by the columns they name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mq::queue {

// One JSON object of an entry: its text (a slice of the entry's value) and
// its top-level keys, unescaped, sorted, without duplicates.
struct JsonRow {
    std::string_view text;
    std::vector<std::string> keys;
};

// Nesting deeper than this is refused (PostgreSQL would refuse it too, later).
inline constexpr int kMaxJsonDepth = 1000;

// Scans text as one JSON object (many = false) or an array of objects
// (many = true), appending the objects to *rows. Strict RFC 8259, plus the
// one restriction jsonb adds (no \u0000). Returns false with *error set.
bool scan_json_rows(std::string_view text, bool many, std::vector<JsonRow>* rows,
                    std::string* error);

}  // namespace mq::queue
