// A JSON row's values by column; see json_row_values.hpp.
#include "core/json_row_values.hpp"

#include <algorithm>

#include "core/json_text.hpp"

namespace mq::queue {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The input was checked by scan_json_rows: the walk below only finds the
// ends of things, and refuses (returns false) anything it does not expect.
class Walker {
public:
    explicit Walker(std::string_view text) : text_(text) {}

    void skip_space() {
        while (pos_ < text_.size() && is_space(text_[pos_]))
            ++pos_;
    }
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    bool eat(char c) {
        if (peek() != c)
            return false;
        ++pos_;
        return true;
    }
    size_t pos() const { return pos_; }
    std::string_view slice(size_t from) const { return text_.substr(from, pos_ - from); }

    // Past a string whose opening quote is at pos_.
    bool skip_string() {
        ++pos_;
        while (pos_ < text_.size()) {
            char c = text_[pos_++];
            if (c == '\\')
                ++pos_;
            else if (c == '"')
                return pos_ <= text_.size();
        }
        return false;
    }

    // Past a nested object or array starting at pos_.
    bool skip_container() {
        int depth = 0;
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == '"') {
                if (!skip_string())
                    return false;
                continue;
            }
            ++pos_;
            if (c == '{' || c == '[')
                ++depth;
            else if ((c == '}' || c == ']') && --depth == 0)
                return true;
        }
        return false;
    }

    bool skip_value(JsonKind* kind) {
        char c = peek();
        *kind = json_kind_of(c);
        if (c == '"')
            return skip_string();
        if (c == '{' || c == '[')
            return skip_container();
        if (!(c == 'n' || c == 't' || c == 'f' || c == '-' || (c >= '0' && c <= '9')))
            return false;
        while (pos_ < text_.size() && !is_space(text_[pos_]) && text_[pos_] != ',' &&
               text_[pos_] != '}' && text_[pos_] != ']')
            ++pos_;
        return true;
    }

private:
    std::string_view text_;
    size_t pos_ = 0;
};

// The key token unescaped (in place when it has no escape).
bool key_text(std::string_view token, std::string* scratch, std::string_view* key) {
    std::string_view body = token.substr(1, token.size() - 2);
    if (body.find('\\') == std::string_view::npos) {
        *key = body;
        return true;
    }
    scratch->clear();
    if (!put_json_string_raw(token, scratch))
        return false;
    *key = *scratch;
    return true;
}

}  // namespace

RowValues::RowValues(size_t columns) : values_(inline_) {
    if (columns > kInline) {
        heap_.resize(columns);
        values_ = heap_.data();
    }
}

bool find_row_values(std::string_view row, const std::vector<std::string>& columns,
                     JsonValue* values, CopyRowHint* hint) {
    Walker w(row);
    w.skip_space();
    if (!w.eat('{'))
        return false;
    std::string scratch;
    for (size_t member = 0;; ++member) {
        w.skip_space();
        if (w.eat('}'))
            return true;
        size_t key_start = w.pos();
        if (w.peek() != '"' || !w.skip_string())
            return false;
        std::string_view key;
        if (!key_text(w.slice(key_start), &scratch, &key))
            return false;
        w.skip_space();
        if (!w.eat(':'))
            return false;
        w.skip_space();
        size_t value_start = w.pos();
        JsonKind kind;
        if (!w.skip_value(&kind))
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
        values[column] = {w.slice(value_start), kind, true};
        w.skip_space();
        if (w.eat(','))
            continue;
        if (w.eat('}'))
            return true;
        return false;
    }
}

}  // namespace mq::queue
