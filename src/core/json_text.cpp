// JSON text out, as it is or escaped for COPY text; see json_text.hpp.
#include "core/json_text.hpp"

#include <cstdint>
#include <cstring>

#include "core/escape.hpp"
#include "core/json_lexer.hpp"

namespace mq::queue {
namespace {

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

// Appends one byte of a value: escaped for COPY text (tab-delimited) when
// kCopyText, as it is otherwise.
template <bool kCopyText>
inline void put_byte(char c, std::string* out) {
    if constexpr (!kCopyText) {
        out->push_back(c);
        return;
    }
    switch (c) {
        case '\\': out->append("\\\\"); break;
        case '\t': out->append("\\t"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        default: out->push_back(c);
    }
}

// Appends the run of bytes at s[*i] that go out as they are in either form,
// at once: most values are nothing else. Tabs, newlines and other control
// bytes are below 0x20, never in the run; nor is a backslash.
inline void put_plain_run(std::string_view s, size_t* i, std::string* out) {
    size_t end = *i;
    while (end < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[end]);
        if (c < 0x20 || c >= 0x80 || c == '\\')
            break;
        ++end;
    }
    out->append(s.data() + *i, end - *i);
    *i = end;
}

// A JSON value's own text; false on bad UTF-8.
template <bool kCopyText>
bool put_text(std::string_view s, std::string* out) {
    for (size_t i = 0; i < s.size();) {
        put_plain_run(s, &i, out);
        if (i >= s.size())
            break;
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            put_byte<kCopyText>(s[i], out);
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

// UTF-8 throughout, and with no NUL byte when kNoNul. Runs of ASCII go
// eight bytes at a time: nearly every entry is ASCII, and this check reads
// every byte the drain takes in.
template <bool kNoNul>
bool check_utf8(std::string_view text) {
    constexpr uint64_t kHigh = 0x8080808080808080ULL;
    constexpr uint64_t kLow = 0x0101010101010101ULL;
    size_t i = 0;
    const size_t n = text.size();
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t word;
            std::memcpy(&word, text.data() + i, sizeof word);
            if ((word & kHigh) == 0) {
                // (No false alarm: every byte of the word is below 0x80.)
                if (kNoNul && ((word - kLow) & ~word & kHigh) != 0)
                    return false;
                i += 8;
                continue;
            }
        }
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (kNoNul && c == 0)
                return false;
            ++i;
            continue;
        }
        size_t length = utf8_length(text, i);
        if (length == 0)
            return false;
        i += length;
    }
    return true;
}

// Receives a JSON string's content (json_lexer.hpp) as a value: its own
// bytes checked for UTF-8 (a run has no byte COPY text escapes: none is
// below 0x20 or a backslash), its escapes' characters escaped for COPY text
// when kCopyText.
template <bool kCopyText>
struct StringValue {
    std::string* out;
    bool plain(std::string_view run) {
        if (!check_utf8<false>(run))
            return false;
        out->append(run.data(), run.size());
        return true;
    }
    bool code_point(uint32_t cp) {
        if (cp < 0x80)
            put_byte<kCopyText>(static_cast<char>(cp), out);
        else
            mq::append_utf8(cp, out);
        return true;
    }
};

// The unescaped content of the JSON string token s (with its quotes), as
// jsonb_in reads it (so never \u0000, which text cannot hold).
template <bool kCopyText>
bool put_string(std::string_view s, std::string* out) {
    if (s.empty() || s[0] != '"')
        return false;
    size_t end = 0;
    StringValue<kCopyText> value{out};
    return lex_json_string(s, &end, JsonDialect::kJsonb, value) == JsonError::kNone &&
           end == s.size();
}

}  // namespace

bool put_json_string(std::string_view token, std::string* out) {
    return put_string<true>(token, out);
}

bool put_json_string_raw(std::string_view token, std::string* out) {
    return put_string<false>(token, out);
}

bool put_copy_text(std::string_view text, std::string* out) {
    return put_text<true>(text, out);
}

bool valid_utf8(std::string_view text) {
    return check_utf8<false>(text);
}

bool valid_utf8_text(std::string_view text) {
    return check_utf8<true>(text);
}

bool number_keeps_text(std::string_view n) {
    if (n.find_first_of("eE") != std::string_view::npos)
        return false;
    if (n[0] == '-' && n.find_first_of("123456789") == std::string_view::npos)
        return false;
    return true;
}


}  // namespace mq::queue
