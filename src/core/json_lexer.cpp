// The drain's JSON lexer; see json_lexer.hpp.
#include "core/json_lexer.hpp"

#include <cstring>

namespace mq::queue {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// PostgreSQL's lexer reads a literal, and what runs on after a number, as a
// run of these (JSON_ALPHANUMERIC_CHAR).
bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

const char* json_error_text(JsonError error) {
    switch (error) {
        case JsonError::kNone: return "no error";
        case JsonError::kUnterminatedString: return "unterminated string";
        case JsonError::kControlCharacter: return "control character in a string";
        case JsonError::kInvalidEscape: return "invalid escape in a string";
        case JsonError::kTruncatedUnicodeEscape: return "truncated \\u escape";
        case JsonError::kInvalidUnicodeEscape: return "invalid \\u escape";
        case JsonError::kUnicodeZero: return "\\u0000 cannot be stored in jsonb";
        case JsonError::kLoneLowSurrogate: return "lone low surrogate in a \\u escape";
        case JsonError::kLoneHighSurrogate: return "high surrogate not followed by a low one";
        case JsonError::kInvalidNumber: return "invalid number";
        case JsonError::kInvalidToken: return "invalid JSON value";
        case JsonError::kNestedTooDeeply: return "JSON nested too deeply";
        case JsonError::kUnexpectedToken: return "unexpected JSON token";
        case JsonError::kRefusedByReceiver: return "string refused";
    }
    return "invalid JSON";
}

JsonError read_json_escape(std::string_view text, size_t* pos, JsonDialect dialect, uint32_t* cp) {
    size_t at = *pos + 1;  // past the backslash
    if (at >= text.size()) {
        *pos = at;
        return JsonError::kUnterminatedString;
    }
    char e = text[at++];
    if (e != 'u') {
        *pos = at;
        int plain = json_escaped_byte(e);
        if (plain < 0)
            return JsonError::kInvalidEscape;
        *cp = static_cast<uint32_t>(plain);
        return JsonError::kNone;
    }
    uint32_t code = 0;
    if (!json_hex4(text, at, &code)) {
        *pos = at;
        return text.size() - at < 4 ? JsonError::kTruncatedUnicodeEscape
                                    : JsonError::kInvalidUnicodeEscape;
    }
    at += 4;
    *pos = at;
    if (dialect == JsonDialect::kJson) {
        *cp = kJsonKeptEscape;
        return JsonError::kNone;
    }
    if (code >= 0xDC00 && code <= 0xDFFF)
        return JsonError::kLoneLowSurrogate;
    if (code >= 0xD800 && code <= 0xDBFF) {
        uint32_t low = 0;
        if (text.size() - at < 6 || text[at] != '\\' || text[at + 1] != 'u' ||
            !json_hex4(text, at + 2, &low) || low < 0xDC00 || low > 0xDFFF)
            return JsonError::kLoneHighSurrogate;
        at += 6;
        *pos = at;
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    if (code == 0)
        return JsonError::kUnicodeZero;
    *cp = code;
    return JsonError::kNone;
}

size_t json_number_end(std::string_view text, size_t at) {
    size_t i = at;
    const size_t n = text.size();
    if (i < n && text[i] == '-')
        ++i;
    if (i == n || !is_digit(text[i]))
        return 0;
    if (text[i] == '0') {
        ++i;
    } else {
        while (i < n && is_digit(text[i]))
            ++i;
    }
    if (i < n && text[i] == '.') {
        ++i;
        if (i == n || !is_digit(text[i]))
            return 0;
        while (i < n && is_digit(text[i]))
            ++i;
    }
    if (i < n && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < n && (text[i] == '+' || text[i] == '-'))
            ++i;
        if (i == n || !is_digit(text[i]))
            return 0;
        while (i < n && is_digit(text[i]))
            ++i;
    }
    if (i < n && is_word_char(text[i]))
        return 0;  // "01", "1x", "1.5e3abc": one invalid token to PostgreSQL
    return i;
}

bool JsonLexer::at_end() {
    skip_space();
    return pos_ == text_.size();
}

JsonToken JsonLexer::invalid(JsonError error, size_t at) {
    if (error_ == JsonError::kNone) {
        error_ = error;
        error_at_ = at;
        message_ = json_error_text(error);
    }
    return JsonToken::kInvalid;
}

bool JsonLexer::fail(const char* message, size_t at) {
    if (error_ == JsonError::kNone) {
        error_ = JsonError::kUnexpectedToken;
        error_at_ = at;
        message_ = message;
    }
    return false;
}

std::string JsonLexer::error_message() const {
    return std::string(message_) + " at byte " + std::to_string(error_at_);
}

JsonToken JsonLexer::next_escaped_string() {
    JsonNoContent none;
    JsonError error = lex_json_string(text_, &pos_, dialect_, none, &escaped_);
    return error == JsonError::kNone ? JsonToken::kString : invalid(error, pos_);
}

JsonToken JsonLexer::next_number() {
    size_t end = json_number_end(text_, pos_);
    if (end == 0)
        return invalid(JsonError::kInvalidNumber, pos_);
    pos_ = end;
    return JsonToken::kNumber;
}

JsonToken JsonLexer::next_word() {
    size_t end = pos_;
    while (end < text_.size() && is_word_char(text_[end]))
        ++end;
    std::string_view word = text_.substr(pos_, end - pos_);
    JsonToken token = word == "true"    ? JsonToken::kTrue
                      : word == "false" ? JsonToken::kFalse
                      : word == "null"  ? JsonToken::kNull
                                        : JsonToken::kInvalid;
    if (token == JsonToken::kInvalid)
        return invalid(JsonError::kInvalidToken, pos_);
    pos_ = end;
    return token;
}

void JsonLexer::append_string(std::string* out) const {
    std::string_view body = text_.substr(start_ + 1, pos_ - start_ - 2);
    if (!escaped_) {
        out->append(body.data(), body.size());
        return;
    }
    size_t at = start_;
    JsonAppendContent sink{out};
    lex_json_string(text_, &at, dialect_, sink);  // (checked when it was read)
}

bool JsonLexer::skip_checked_container() {
    const size_t n = text_.size();
    int open = 1;
    while (pos_ < n) {
        char c = text_[pos_++];
        if (c == '"') {
            for (;;) {
                size_t end = json_detail::plain_run_end(text_, pos_);
                if (end >= n)
                    return fail("unterminated string", n);
                pos_ = end + (text_[end] == '\\' ? 2 : 1);
                if (text_[end] == '"')
                    break;
            }
        } else if (c == '{' || c == '[') {
            ++open;
        } else if ((c == '}' || c == ']') && --open == 0) {
            --depth_;
            return true;
        }
    }
    return fail("unexpected end of JSON", n);
}

bool JsonLexer::past_key(JsonToken* token) {
    if (*token != JsonToken::kString)
        return fail("expected a string as object key", start_);
    if (next() != JsonToken::kColon)
        return fail("expected \":\" after an object key", start_);
    *token = next();
    return true;
}

bool JsonLexer::skip_container(JsonToken token) {
    // One bit a level opened here: set for an object. The levels are at
    // most max_depth_, itself at most kMaxJsonDepth plus the one the
    // caller may give the array of rows.
    constexpr int kWords = kMaxJsonDepth / 64 + 2;
    uint64_t objects[kWords];
    const int base = token == JsonToken::kObjectStart || token == JsonToken::kArrayStart
                         ? depth_ - 1
                         : depth_;
    if (max_depth_ - base > 64 * kWords)
        return fail("JSON nested too deeply", start_);
    for (;;) {
        // token starts a value.
        switch (token) {
            case JsonToken::kString:
            case JsonToken::kNumber:
            case JsonToken::kTrue:
            case JsonToken::kFalse:
            case JsonToken::kNull:
                break;
            case JsonToken::kObjectStart:
            case JsonToken::kArrayStart: {
                bool object = token == JsonToken::kObjectStart;
                int level = depth_ - base - 1;
                uint64_t bit = uint64_t{1} << (level % 64);
                objects[level / 64] = object ? objects[level / 64] | bit : objects[level / 64] & ~bit;
                token = next();
                if (token == (object ? JsonToken::kObjectEnd : JsonToken::kArrayEnd))
                    break;  // empty
                if (object && !past_key(&token))
                    return false;
                continue;
            }
            case JsonToken::kInvalid: return false;
            default: return fail("invalid JSON value", start_);
        }
        // A value is complete: close what it completes, or go on to the next.
        for (;;) {
            if (depth_ == base)
                return true;
            int level = depth_ - base - 1;
            bool object = (objects[level / 64] >> (level % 64)) & 1;
            token = next();
            if (token == JsonToken::kComma) {
                token = next();
                if (object && !past_key(&token))
                    return false;
                break;
            }
            if (token != (object ? JsonToken::kObjectEnd : JsonToken::kArrayEnd))
                return fail(object ? "expected \",\" or \"}\" in an object"
                                   : "expected \",\" or \"]\" in an array",
                            start_);
        }
    }
}

}  // namespace mq::queue
