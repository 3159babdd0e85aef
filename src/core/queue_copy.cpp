// JSON rows to COPY text; see queue_copy.hpp.
#include "core/queue_copy.hpp"

#include <algorithm>
#include <cstdint>

#include "core/escape.hpp"

namespace mq::queue {
namespace {

enum class ValueKind { kNull, kString, kNumber, kBool, kContainer };

struct Slot {
    std::string_view text;  // the value's JSON text
    ValueKind kind = ValueKind::kNull;
    bool set = false;
};

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

    bool skip_value(ValueKind* kind) {
        char c = peek();
        if (c == '"') {
            *kind = ValueKind::kString;
            return skip_string();
        }
        if (c == '{' || c == '[') {
            *kind = ValueKind::kContainer;
            return skip_container();
        }
        if (c == 'n' || c == 't' || c == 'f') {
            *kind = c == 'n' ? ValueKind::kNull : ValueKind::kBool;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            *kind = ValueKind::kNumber;
        } else {
            return false;
        }
        while (pos_ < text_.size() && !is_space(text_[pos_]) && text_[pos_] != ',' &&
               text_[pos_] != '}' && text_[pos_] != ']')
            ++pos_;
        return true;
    }

private:
    std::string_view text_;
    size_t pos_ = 0;
};

bool read_hex4(std::string_view s, size_t at, uint32_t* out) {
    if (at + 4 > s.size())
        return false;
    uint32_t v = 0;
    for (size_t i = at; i < at + 4; ++i) {
        int h = hex_value(s[i]);
        if (h < 0)
            return false;
        v = v * 16 + static_cast<uint32_t>(h);
    }
    *out = v;
    return true;
}

// Length of the well-formed UTF-8 sequence at s[i] (a byte >= 0x80), or 0.
size_t utf8_length(std::string_view s, size_t i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size())
        return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

// Appends one byte of a value, escaped for COPY text (tab-delimited).
inline void put_copy_byte(char c, std::string* out) {
    switch (c) {
        case '\\': out->append("\\\\"); break;
        case '\t': out->append("\\t"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        default: out->push_back(c);
    }
}

// Appends the run of bytes at s[*i] that go into COPY text as they are, at
// once: most values are nothing else. Tabs, newlines and other control
// bytes are below 0x20, never in the run; nor is a backslash, nor a quote
// unless quote_is_plain (in a JSON string's body, a quote cannot be).
inline void put_plain_run(std::string_view s, size_t* i, bool quote_is_plain, std::string* out) {
    size_t end = *i;
    while (end < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[end]);
        if (c < 0x20 || c >= 0x80 || c == '\\' || (c == '"' && !quote_is_plain))
            break;
        ++end;
    }
    out->append(s.data() + *i, end - *i);
    *i = end;
}

// Appends raw text (a JSON value's own text), escaped; false on bad UTF-8.
bool put_copy_text(std::string_view s, std::string* out) {
    for (size_t i = 0; i < s.size();) {
        put_plain_run(s, &i, true, out);
        if (i >= s.size())
            break;
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            put_copy_byte(s[i], out);
            ++i;
            continue;
        }
        size_t n = utf8_length(s, i);
        if (n == 0)
            return false;
        out->append(s.data() + i, n);
        i += n;
    }
    return true;
}

// Appends the unescaped content of the JSON string token s (with its quotes),
// escaped for COPY text. False on what jsonb would refuse or rewrite.
bool put_json_string(std::string_view s, std::string* out) {
    std::string_view body = s.substr(1, s.size() - 2);
    for (size_t i = 0; i < body.size();) {
        put_plain_run(body, &i, false, out);
        if (i >= body.size())
            break;
        unsigned char c = static_cast<unsigned char>(body[i]);
        if (c >= 0x80) {
            size_t n = utf8_length(body, i);
            if (n == 0)
                return false;
            out->append(body.data() + i, n);
            i += n;
            continue;
        }
        if (c != '\\') {
            put_copy_byte(body[i], out);
            ++i;
            continue;
        }
        if (i + 1 >= body.size())
            return false;
        char e = body[i + 1];
        i += 2;
        switch (e) {
            case '"': out->push_back('"'); break;
            case '\\': out->append("\\\\"); break;
            case '/': out->push_back('/'); break;
            case 'b': out->push_back('\b'); break;
            case 'f': out->push_back('\f'); break;
            case 'n': out->append("\\n"); break;
            case 'r': out->append("\\r"); break;
            case 't': out->append("\\t"); break;
            case 'u': {
                uint32_t cp;
                if (!read_hex4(body, i, &cp))
                    return false;
                i += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return false;  // a low surrogate alone
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t low;
                    if (i + 6 > body.size() || body[i] != '\\' || body[i + 1] != 'u' ||
                        !read_hex4(body, i + 2, &low) || low < 0xDC00 || low > 0xDFFF)
                        return false;  // a high surrogate alone
                    i += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                if (cp == 0)
                    return false;  // text cannot hold it; jsonb refuses it
                if (cp < 0x80)
                    put_copy_byte(static_cast<char>(cp), out);
                else
                    mq::append_utf8(cp, out);
                break;
            }
            default: return false;
        }
    }
    return true;
}

// A number whose text numeric_out would give back unchanged: jsonb keeps
// numbers as numeric, so 1e3 reaches a text column as 1000 and -0 as 0.
bool number_keeps_text(std::string_view n) {
    if (n.find_first_of("eE") != std::string_view::npos)
        return false;
    if (n[0] == '-' && n.find_first_of("123456789") == std::string_view::npos)
        return false;
    return true;
}

// The key token unescaped (fast when it has no escape).
bool key_text(std::string_view token, std::string* scratch, std::string_view* key) {
    std::string_view body = token.substr(1, token.size() - 2);
    if (body.find('\\') == std::string_view::npos) {
        *key = body;
        return true;
    }
    // Keys with escapes are rare: unescape through the COPY escaper and undo
    // its four escapes, which cannot be confused with the key's own bytes.
    std::string escaped;
    if (!put_json_string(token, &escaped))
        return false;
    scratch->clear();
    for (size_t i = 0; i < escaped.size(); ++i) {
        if (escaped[i] == '\\' && i + 1 < escaped.size()) {
            char e = escaped[++i];
            scratch->push_back(e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e);
        } else {
            scratch->push_back(escaped[i]);
        }
    }
    *key = *scratch;
    return true;
}

}  // namespace

bool append_copy_row(std::string_view row, const std::vector<std::string>& columns,
                     const std::vector<CopyColumnKind>& kinds, std::string* out,
                     CopyRowHint* hint) {
    if (columns.empty() || kinds.size() != columns.size())
        return false;
    // Rows rarely have more than a handful of columns: their slots live on
    // the stack then, instead of in an allocation per row.
    constexpr size_t kInlineSlots = 16;
    Slot inline_slots[kInlineSlots];
    std::vector<Slot> heap_slots;
    Slot* slots = inline_slots;
    if (columns.size() > kInlineSlots) {
        heap_slots.resize(columns.size());
        slots = heap_slots.data();
    }
    Walker w(row);
    w.skip_space();
    if (!w.eat('{'))
        return false;
    std::string scratch;
    for (size_t member = 0;; ++member) {
        w.skip_space();
        if (w.eat('}'))
            break;
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
        ValueKind kind;
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
        Slot& slot = slots[column];
        slot = {w.slice(value_start), kind, true};
        w.skip_space();
        if (w.eat(','))
            continue;
        if (w.eat('}'))
            break;
        return false;
    }
    size_t original_size = out->size();
    auto refuse = [&] {
        out->resize(original_size);
        return false;
    };
    for (size_t i = 0; i < columns.size(); ++i) {
        const Slot& slot = slots[i];
        if (!slot.set)
            return refuse();
        if (i > 0)
            out->push_back('\t');
        bool jsonb = kinds[i] == CopyColumnKind::kJsonb;
        switch (slot.kind) {
            case ValueKind::kNull:
                out->append("\\N");
                break;
            case ValueKind::kBool:
                out->append(slot.text);
                break;
            case ValueKind::kNumber:
                if (!jsonb && !number_keeps_text(slot.text))
                    return refuse();
                out->append(slot.text);
                break;
            case ValueKind::kString:
                if (jsonb ? !put_copy_text(slot.text, out) : !put_json_string(slot.text, out))
                    return refuse();
                if (jsonb && slot.text.find("\\u") != std::string_view::npos) {
                    // jsonb_in judges \u escapes (surrogates, \u0000) as the
                    // batch's parse did; check them the same way here so a
                    // refusal happens on the SQL path, with its own error.
                    std::string probe;
                    if (!put_json_string(slot.text, &probe))
                        return refuse();
                }
                break;
            case ValueKind::kContainer:
                if (!jsonb)
                    return refuse();
                if (slot.text.find("\\u") != std::string_view::npos)
                    return refuse();  // rare: leave \u escapes inside containers to jsonb
                if (!put_copy_text(slot.text, out))
                    return refuse();
                break;
        }
    }
    out->push_back('\n');
    return true;
}

}  // namespace mq::queue
