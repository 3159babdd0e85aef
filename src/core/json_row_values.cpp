// A JSON row's values by column; see json_row_values.hpp.
#include "core/json_row_values.hpp"

#include <algorithm>

#include "core/json_lexer.hpp"

namespace mq::queue {

RowValues::RowValues(size_t columns) : values_(inline_) {
    if (columns > kInline) {
        heap_.resize(columns);
        values_ = heap_.data();
    }
}

bool find_row_values(std::string_view row, const std::vector<std::string>& columns,
                     JsonValue* values, CopyRowHint* hint) {
    JsonLexer lexer(row);
    if (lexer.next() != JsonToken::kObjectStart)
        return false;
    JsonToken token = lexer.next();
    if (token == JsonToken::kObjectEnd)
        return true;
    std::string scratch;
    for (size_t member = 0;; ++member) {
        if (token != JsonToken::kString)
            return false;
        std::string_view key = lexer.string_content(&scratch);
        if (lexer.next() != JsonToken::kColon)
            return false;
        size_t value_start = 0;
        if (!lexer.skip_checked_value(&value_start))
            return false;
        size_t column;
        if (hint && member < hint->columns.size() && hint->columns[member] < columns.size() &&
            columns[hint->columns[member]] == key) {
            column = hint->columns[member];
        } else {
            auto it = std::lower_bound(
                columns.begin(), columns.end(), key,
                [](const std::string& a, std::string_view b) { return a < b; });
            if (it == columns.end() || *it != key)
                return false;
            column = static_cast<size_t>(it - columns.begin());
            if (hint) {
                hint->columns.resize(std::max(hint->columns.size(), member + 1));
                hint->columns[member] = column;
            }
        }
        values[column] = {row.substr(value_start, lexer.pos() - value_start),
                          json_kind_of(row[value_start]), true};
        token = lexer.next();
        if (token == JsonToken::kComma) {
            token = lexer.next();
            continue;
        }
        return token == JsonToken::kObjectEnd;
    }
}

}  // namespace mq::queue
