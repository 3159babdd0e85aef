// A JSON row's top-level values, found for a list of columns: what the COPY
// converters (text, queue_copy.hpp, and binary, queue_copy_binary.hpp)
// write, each in its own form. PostgreSQL-free.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mq::queue {

enum class JsonKind { kNull, kString, kNumber, kBool, kContainer };

// The kind of a JSON value by its first character (of a value known to be
// one: anything else reads as a number).
inline JsonKind json_kind_of(char first) {
    switch (first) {
        case '"': return JsonKind::kString;
        case '{':
        case '[': return JsonKind::kContainer;
        case 'n': return JsonKind::kNull;
        case 't':
        case 'f': return JsonKind::kBool;
        default: return JsonKind::kNumber;
    }
}

// One column's value: its JSON text (a string with its quotes) and kind.
struct JsonValue {
    std::string_view text;
    JsonKind kind = JsonKind::kNull;
    bool set = false;
};

// Remembers where the last row's keys were found among the columns, in the
// order the row listed them: rows of a group mostly list their keys in one
// order, so each key is tried at its guessed column before it is looked up.
// Only a guess: a wrong one costs a lookup, never a value.
struct CopyRowHint {
    std::vector<size_t> columns;
};

// Room for a row's values: on the stack for the usual handful of columns.
class RowValues {
public:
    explicit RowValues(size_t columns);
    RowValues(const RowValues&) = delete;
    RowValues& operator=(const RowValues&) = delete;
    JsonValue* data() { return values_; }
    const JsonValue& operator[](size_t i) const { return values_[i]; }

private:
    static constexpr size_t kInline = 16;
    JsonValue inline_[kInline];
    std::vector<JsonValue> heap_;
    JsonValue* values_;
};

// Sets values[i] to the row's value for columns[i] (sorted and unique, as
// JsonRow::keys); a key given twice keeps its last value, as jsonb does.
// False when the row is not one JSON object or has a key outside columns.
// The row was checked by scan_json_rows: nested arrays and objects are only
// passed by their brackets here.
bool find_row_values(std::string_view row, const std::vector<std::string>& columns,
                     JsonValue* values, CopyRowHint* hint);

}  // namespace mq::queue
