// The one JSON lexer of the drain: the tokens, string escapes and numbers
// PostgreSQL's own lexer (json_lex) reads, and the rules the target type's
// input function adds. The validator (queue_json), the row-value finder
// (json_row_values), the text encoder (json_text) and the jsonb image builder
// (jsonb_image) all read JSON through it, so none of them takes what
// PostgreSQL would refuse or refuses what it would take. PostgreSQL-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/escape.hpp"

namespace mq::queue {

// Arrays and objects nested deeper than this are refused. jsonb_in accepts
// about 14,500 nested arrays and 13,000 objects under the default
// max_stack_depth (2MB): this is above both, so that the drain never refuses
// what the column would take (what it refuses fails the insert and becomes a
// dead letter with the server's own error). The lexer's walk over nested
// values keeps one bit a level, not a stack frame.
inline constexpr int kMaxJsonDepth = 16384;

// Whose rules a string's \u escapes follow. json_in checks only that each
// has four hex digits: it keeps the text as it is, so \u0000 and a lone
// UTF-16 surrogate are json. jsonb_in unescapes every string (object keys
// too), so it refuses \u0000 (22P05, "unsupported Unicode escape sequence")
// and a surrogate that is not a high one followed at once by a low one.
// In a database whose encoding is not UTF-8, jsonb_in also converts an
// escape past ASCII to that encoding, refusing (22P05) what the encoding
// lacks: only PostgreSQL's conversion tables can judge that, and the drain
// writes nothing of its own in such a database, so the lexer decodes to
// UTF-8 and leaves those escapes to the server.
enum class JsonDialect : uint8_t { kJson, kJsonb };

// Why a string, a number or a token is not what PostgreSQL reads.
enum class JsonError : uint8_t {
    kNone,
    kUnterminatedString,
    kControlCharacter,  // a byte below 0x20 in a string, unescaped
    kInvalidEscape,
    kTruncatedUnicodeEscape,
    kInvalidUnicodeEscape,  // \u not followed by four hex digits
    kUnicodeZero,           // \u0000 (jsonb)
    kLoneLowSurrogate,      // (jsonb)
    kLoneHighSurrogate,     // (jsonb)
    kInvalidNumber,
    kInvalidToken,  // none of JSON's tokens, or a word run on past one
    kNestedTooDeeply,
    kUnexpectedToken,  // a token the grammar does not take there
    kRefusedByReceiver,  // what a string's receiver refused (see lex_json_string)
};

// The message for an error, lowercase, as the drain's dead letters say it.
const char* json_error_text(JsonError error);

// A receiver of a string's content, for lex_json_string: plain(run) takes a
// run of bytes as they stand in the text (never a quote or byte below 0x20;
// a backslash only in a \u escape kJson keeps), code_point(cp) one escape's
// character; either may return false to refuse the string. (Runs are the text's own bytes, not checked
// for UTF-8 here: PostgreSQL checks the whole text against the server
// encoding before its JSON lexer sees it.)
struct JsonNoContent {
    bool plain(std::string_view) { return true; }
    bool code_point(uint32_t) { return true; }
};

// Appends the content, unescaped, to a caller's string.
struct JsonAppendContent {
    std::string* out;
    bool plain(std::string_view run) {
        out->append(run.data(), run.size());
        return true;
    }
    bool code_point(uint32_t cp) {
        append_utf8(cp, out);
        return true;
    }
};

namespace json_detail {

// Where a string's plain run starting at text[at] ends: at its quote,
// backslash, or byte below 0x20 (or the end of the text). Eight bytes at a
// time: of a word's bytes, the first that is one of those is the lowest
// flagged by the usual word tricks (a flag's borrow only reaches the bytes
// after it), so no byte of a word is looked at twice.
inline size_t plain_run_end(std::string_view text, size_t at) {
    constexpr uint64_t kLow = 0x0101010101010101ULL;
    constexpr uint64_t kHigh = 0x8080808080808080ULL;
    const char* p = text.data();
    const size_t n = text.size();
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (at + 8 <= n) {
        uint64_t word;
        std::memcpy(&word, p + at, sizeof word);
        uint64_t quote = word ^ (kLow * '"');
        uint64_t backslash = word ^ (kLow * '\\');
        uint64_t stop = (((quote - kLow) & ~quote) | ((backslash - kLow) & ~backslash) |
                         ((word - kLow * 0x20) & ~word)) &
                        kHigh;
        if (stop != 0)
            return at + static_cast<size_t>(__builtin_ctzll(stop)) / 8;
        at += 8;
    }
#endif
    while (at < n) {
        unsigned char c = static_cast<unsigned char>(p[at]);
        if (c == '"' || c == '\\' || c < 0x20)
            break;
        ++at;
    }
    return at;
}

}  // namespace json_detail

// Reads four hex digits at text[at]; false when there are not four.
inline bool json_hex4(std::string_view text, size_t at, uint32_t* value) {
    if (at > text.size() || text.size() - at < 4)
        return false;
    uint32_t v = 0;
    for (size_t i = at; i < at + 4; ++i) {
        int digit = hex_value(text[i]);
        if (digit < 0)
            return false;
        v = (v << 4) | static_cast<uint32_t>(digit);
    }
    *value = v;
    return true;
}

// Reads the escape whose backslash is at text[*pos], moving *pos past it
// (past both halves of a surrogate pair). Sets *cp to the character it
// stands for, or, for a \u escape in kJson, to kJsonKeptEscape: json_in keeps
// those as they are written, and so does a string's content then. On error
// *pos is where the fault was found.
inline constexpr uint32_t kJsonKeptEscape = 0xFFFFFFFF;
JsonError read_json_escape(std::string_view text, size_t* pos, JsonDialect dialect, uint32_t* cp);

// Reads the string whose opening quote is at text[*pos], handing its content
// to sink and leaving *pos past the closing quote; *escaped (may be null)
// tells whether it has an escape. On error *pos is where the fault was
// found. The plain runs are found a machine word at a time: most of the
// text of events is in strings without escapes.
template <typename Sink>
JsonError lex_json_string(std::string_view text, size_t* pos, JsonDialect dialect, Sink& sink,
                          bool* escaped = nullptr);

// The end of the number starting at text[at] as PostgreSQL's lexer reads it:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, not followed by a
// letter, digit, underscore or byte past ASCII. 0 when there is none.
// (Whether numeric can hold it is numeric_in's to say, after the lexer.)
size_t json_number_end(std::string_view text, size_t at);

enum class JsonToken : uint8_t {
    kEnd,  // the end of the text
    kObjectStart,
    kObjectEnd,
    kArrayStart,
    kArrayEnd,
    kComma,
    kColon,
    kString,
    kNumber,
    kTrue,
    kFalse,
    kNull,
    kInvalid,  // see error()
};

// The tokens of a text, one at a time, with whitespace skipped. Strings are
// checked (the dialect's escapes) as they are read; their content is had
// with append_string. Opening an array or object past max_depth levels is an
// error, each level counted once.
class JsonLexer {
public:
    explicit JsonLexer(std::string_view text, JsonDialect dialect = JsonDialect::kJsonb,
                       int max_depth = kMaxJsonDepth)
        : text_(text), max_depth_(max_depth), dialect_(dialect) {}

    // The next token. Inlined into each walk: it runs once a token, and a
    // call's cost was a tenth of a row's.
    __attribute__((always_inline)) inline JsonToken next();

    // The last token: its text (a string's with its quotes) and where it is.
    std::string_view token() const { return text_.substr(start_, pos_ - start_); }
    size_t token_start() const { return start_; }
    // Whether the last token, a string, has an escape.
    bool escaped() const { return escaped_; }
    // Appends the content of the last token, a string, unescaped (jsonb's
    // reading of it).
    void append_string(std::string* out) const;
    // The same as a view: of the text itself when the string has no escape,
    // else of *scratch, which receives it.
    std::string_view string_content(std::string* scratch) const {
        if (!escaped_)
            return text_.substr(start_ + 1, pos_ - start_ - 2);
        scratch->clear();
        append_string(scratch);
        return *scratch;
    }
    // Reads one whole value (any nesting) and checks its grammar: the next
    // token must start it. Nothing is kept of it but where it starts
    // (*start, may be null); it ends at pos().
    inline bool skip_value(size_t* start = nullptr);
    // The same for text already read with skip_value (scan_json_rows): a
    // nested array or object is passed by its brackets, without looking at
    // its grammar again. Still false where the text ends too soon.
    inline bool skip_checked_value(size_t* start = nullptr);
    // How many arrays and objects are open.
    int depth() const { return depth_; }
    size_t pos() const { return pos_; }
    bool at_end();  // only whitespace is left

    // Makes the lexer fail at byte at, for a grammar's own error (message:
    // a literal, what was expected); returns false. The first error stays.
    bool fail(const char* message, size_t at);
    JsonError error() const { return error_; }
    size_t error_at() const { return error_at_; }
    std::string error_message() const;  // "<what> at byte N"

private:
    JsonToken invalid(JsonError error, size_t at);
    JsonToken next_word();    // true, false, null or an invalid token
    JsonToken next_number();
    bool skip_container(JsonToken first);
    // Past an object member's key (*token) and colon, *token the next token.
    bool past_key(JsonToken* token);
    __attribute__((always_inline)) inline bool skip(bool checked, size_t* start);
    bool skip_checked_container();
    JsonToken next_string() {
        // Most strings are one plain run.
        size_t end = json_detail::plain_run_end(text_, pos_ + 1);
        if (end < text_.size() && text_[end] == '"') {
            pos_ = end + 1;
            escaped_ = false;
            return JsonToken::kString;
        }
        return next_escaped_string();
    }
    JsonToken next_escaped_string();
    void skip_space() {
        // (Every byte past a space is none.)
        while (pos_ < text_.size() && static_cast<unsigned char>(text_[pos_]) <= ' ' &&
               (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                text_[pos_] == '\r'))
            ++pos_;
    }

    std::string_view text_;
    size_t pos_ = 0;
    size_t start_ = 0;
    size_t error_at_ = 0;
    int depth_ = 0;
    int max_depth_;
    JsonDialect dialect_;
    bool escaped_ = false;
    JsonError error_ = JsonError::kNone;
    const char* message_ = "";
};


template <typename Sink>
JsonError lex_json_string(std::string_view text, size_t* pos, JsonDialect dialect, Sink& sink,
                          bool* escaped) {
    size_t at = *pos + 1;  // past the quote
    bool any_escape = false;
    JsonError error = JsonError::kNone;
    for (;;) {
        size_t end = json_detail::plain_run_end(text, at);
        if (end > at && !sink.plain(text.substr(at, end - at))) {
            error = JsonError::kRefusedByReceiver;
            break;
        }
        at = end;
        if (at >= text.size()) {
            error = JsonError::kUnterminatedString;
            break;
        }
        char c = text[at];
        if (c == '"') {
            ++at;
            break;
        }
        if (c != '\\') {
            error = JsonError::kControlCharacter;
            break;
        }
        any_escape = true;
        size_t escape = at;
        uint32_t cp;
        error = read_json_escape(text, &at, dialect, &cp);
        if (error != JsonError::kNone)
            break;
        if (cp == kJsonKeptEscape ? !sink.plain(text.substr(escape, at - escape))
                                  : !sink.code_point(cp)) {
            error = JsonError::kRefusedByReceiver;
            break;
        }
    }
    *pos = at;
    if (escaped)
        *escaped = any_escape;
    return error;
}

JsonToken JsonLexer::next() {
    skip_space();
    start_ = pos_;
    if (pos_ == text_.size())
        return JsonToken::kEnd;
    char c = text_[pos_];
    switch (c) {
        case '"': return next_string();
        case ',': ++pos_; return JsonToken::kComma;
        case ':': ++pos_; return JsonToken::kColon;
        case '{':
        case '[':
            if (depth_ >= max_depth_)
                return invalid(JsonError::kNestedTooDeeply, pos_);
            ++depth_;
            ++pos_;
            return c == '{' ? JsonToken::kObjectStart : JsonToken::kArrayStart;
        case '}':
        case ']':
            if (depth_ > 0)
                --depth_;
            ++pos_;
            return c == '}' ? JsonToken::kObjectEnd : JsonToken::kArrayEnd;
        default:
            return c == '-' || (c >= '0' && c <= '9') ? next_number() : next_word();
    }
}

bool JsonLexer::skip(bool checked, size_t* start) {
    JsonToken token = next();
    if (start)
        *start = start_;
    switch (token) {
        case JsonToken::kString:
        case JsonToken::kNumber:
        case JsonToken::kTrue:
        case JsonToken::kFalse:
        case JsonToken::kNull: return true;
        case JsonToken::kObjectStart:
        case JsonToken::kArrayStart:
            if (checked)
                return skip_checked_container();
            [[fallthrough]];
        default: return skip_container(token);
    }
}

bool JsonLexer::skip_value(size_t* start) { return skip(false, start); }

bool JsonLexer::skip_checked_value(size_t* start) { return skip(true, start); }

}  // namespace mq::queue
