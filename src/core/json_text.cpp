// JSON text out, as it is or escaped for COPY text; see json_text.hpp.
#include "core/json_text.hpp"

#include <cstdint>
#include <cstring>

#include "core/escape.hpp"

namespace mq::queue {
namespace {

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

// A JSON value's own text; false on bad UTF-8.
template <bool kCopyText>
bool put_text(std::string_view s, std::string* out) {
    for (size_t i = 0; i < s.size();) {
        put_plain_run(s, &i, true, out);
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

// The unescaped content of the JSON string token s (with its quotes).
template <bool kCopyText>
bool put_string(std::string_view s, std::string* out) {
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
            put_byte<kCopyText>(body[i], out);
            ++i;
            continue;
        }
        if (i + 1 >= body.size())
            return false;
        char e = body[i + 1];
        i += 2;
        switch (e) {
            case '"': out->push_back('"'); break;
            case '\\': put_byte<kCopyText>('\\', out); break;
            case '/': out->push_back('/'); break;
            case 'b': out->push_back('\b'); break;
            case 'f': out->push_back('\f'); break;
            case 'n': put_byte<kCopyText>('\n', out); break;
            case 'r': put_byte<kCopyText>('\r', out); break;
            case 't': put_byte<kCopyText>('\t', out); break;
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
                    put_byte<kCopyText>(static_cast<char>(cp), out);
                else
                    mq::append_utf8(cp, out);
                break;
            }
            default: return false;
        }
    }
    return true;
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

namespace {

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

}  // namespace

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
