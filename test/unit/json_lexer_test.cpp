#include "core/json_lexer.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

namespace mq::queue {
namespace {

// Whether text is one JSON value as the dialect's input function takes it.
bool takes(std::string_view text, JsonDialect dialect, int max_depth = kMaxJsonDepth) {
    JsonLexer lexer(text, dialect, max_depth);
    return lexer.skip_value() && lexer.at_end();
}

bool json_takes(std::string_view text) { return takes(text, JsonDialect::kJson); }
bool jsonb_takes(std::string_view text) { return takes(text, JsonDialect::kJsonb); }

std::vector<JsonToken> tokens_of(std::string_view text) {
    JsonLexer lexer(text);
    std::vector<JsonToken> out;
    for (;;) {
        JsonToken token = lexer.next();
        out.push_back(token);
        if (token == JsonToken::kEnd || token == JsonToken::kInvalid)
            return out;
    }
}

std::string content_of(std::string_view string_token, JsonDialect dialect = JsonDialect::kJsonb) {
    JsonLexer lexer(string_token, dialect);
    EXPECT_EQ(lexer.next(), JsonToken::kString) << string_token;
    std::string out = "kept:";
    lexer.append_string(&out);
    return out;
}

using T = JsonToken;

TEST(JsonLexer, ReadsEveryKindOfToken) {
    EXPECT_EQ(tokens_of(" {\"a\" :[1,-2.5e+3, true,false ,null]}\n\t\r"),
              (std::vector<T>{T::kObjectStart, T::kString, T::kColon, T::kArrayStart, T::kNumber,
                              T::kComma, T::kNumber, T::kComma, T::kTrue, T::kComma, T::kFalse,
                              T::kComma, T::kNull, T::kArrayEnd, T::kObjectEnd, T::kEnd}));
    JsonLexer lexer(R"(  "a\"b" 12.5)");
    EXPECT_EQ(lexer.next(), T::kString);
    EXPECT_EQ(lexer.token(), R"("a\"b")");
    EXPECT_EQ(lexer.token_start(), 2u);
    EXPECT_TRUE(lexer.escaped());
    EXPECT_EQ(lexer.next(), T::kNumber);
    EXPECT_EQ(lexer.token(), "12.5");
    EXPECT_EQ(lexer.next(), T::kEnd);
}

// The expected answers are PostgreSQL 15's, from '...'::json and
// '...'::jsonb in a UTF-8 database.
TEST(JsonLexer, NumbersAsPostgresReadsThem) {
    for (const char* good : {"0", "-0", "1", "-12", "0.5", "1e5", "1E5", "1e+5", "1e-5",
                             "-0.0e-0", "123456789012345678901234567890", "1.5E-300"})
        EXPECT_TRUE(jsonb_takes(good) && json_takes(good)) << good;
    for (const char* bad : {"01", "-01", "1.", ".5", "+1", "1e", "1e+", "-", "--1", "1x", "0x10",
                            "1.5e3abc", "1_", "1\xc3\xa9", "NaN", "Infinity", "-Infinity"})
        EXPECT_FALSE(jsonb_takes(bad) || json_takes(bad)) << bad;
    EXPECT_EQ(json_number_end("12,", 0), 2u);
    EXPECT_EQ(json_number_end("[-1.5e3]", 1), 7u);
    EXPECT_EQ(json_number_end("12a", 0), 0u);
}

TEST(JsonLexer, LiteralsAreWholeWords) {
    for (const char* good : {"true", "false", "null", " [true,false,null] "})
        EXPECT_TRUE(jsonb_takes(good)) << good;
    for (const char* bad : {"tru", "truex", "True", "TRUE", "nul", "null_", "nullnull", "'a'", "",
                            " ", "true false", "[1 2]"})
        EXPECT_FALSE(jsonb_takes(bad)) << bad;
}

TEST(JsonLexer, GrammarOfArraysAndObjects) {
    for (const char* good : {"[]", "{}", "[[]]", R"({"a":{"b":[1,{}]}})", R"({"a":1,"a":2})",
                             R"([ "x" , { } , [ ] ])"})
        EXPECT_TRUE(jsonb_takes(good)) << good;
    for (const char* bad : {"[", "]", "[1,]", "[,1]", "[1 2]", "[}", "{]", "{\"a\"}", "{\"a\":}",
                            "{\"a\" 1}", "{a:1}", "{1:1}", "{\"a\":1,}", "{,}", "[1]]", "{}}",
                            "[\"a\":1]", "{\"a\":1 \"b\":2}"})
        EXPECT_FALSE(jsonb_takes(bad)) << bad;
}

TEST(JsonLexer, StringsRefuseControlBytesAndUnknownEscapes) {
    for (const char* good : {R"("")", R"("\"\\\/\b\f\n\r\t")", "\"caf\xc3\xa9\"", "\"\x7f\""})
        EXPECT_TRUE(jsonb_takes(good) && json_takes(good)) << good;
    for (const char* bad : {"\"a", "\"a\\", "\"a\tb\"", "\"\x01\"", "\"\x1f\"", R"("\x")",
                            R"("\a")", R"("\')", R"("\u12")", R"("\u12g4")", R"("\U00e9")"})
        EXPECT_FALSE(jsonb_takes(bad) || json_takes(bad)) << bad;
}

// json_in keeps \u escapes as written: only their four hex digits count.
// jsonb_in unescapes them: \u0000 (22P05) and lone surrogates are refused.
TEST(JsonLexer, UnicodeEscapesByDialect) {
    for (const char* text : {R"("\u0000")", R"({"\u0000":1})", R"("\ud800")", R"("\udc00")",
                             R"("\ud800x")", R"("\ud800\n")", R"("\ud800\ud800")",
                             R"("\ud800\u0041")", R"("\udc00\ud800")"}) {
        EXPECT_TRUE(json_takes(text)) << text;
        EXPECT_FALSE(jsonb_takes(text)) << text;
    }
    for (const char* text : {R"("\u00e9")", R"("\u007f")", R"("\u0001")", R"("\ud83d\ude00")",
                             R"("\uD83D\uDE00")", R"("\uffff")"}) {
        EXPECT_TRUE(json_takes(text)) << text;
        EXPECT_TRUE(jsonb_takes(text)) << text;
    }
    JsonLexer lexer(R"("\u0000")");
    EXPECT_EQ(lexer.next(), T::kInvalid);
    EXPECT_EQ(lexer.error(), JsonError::kUnicodeZero);
}

TEST(JsonLexer, StringContentIsUnescapedIntoTheCallersBuffer) {
    EXPECT_EQ(content_of(R"("plain")"), "kept:plain");
    EXPECT_EQ(content_of(R"("a\"b\\c\/d\be\ff\ng\rh\ti")"), "kept:a\"b\\c/d\be\ff\ng\rh\ti");
    EXPECT_EQ(content_of(R"("\u00e9\u20ac\ud83d\ude00\u0041")"),
              "kept:\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" "A");
    EXPECT_EQ(content_of("\"caf\xc3\xa9 long enough to take whole words\\n\""),
              "kept:caf\xc3\xa9 long enough to take whole words\n");
    // json keeps a \u escape as written.
    EXPECT_EQ(content_of(R"("a\u0000b\n")", JsonDialect::kJson), "kept:a\\u0000b\n");
    std::string scratch;
    JsonLexer lexer(R"(["in place", "esc\taped"])");
    lexer.next();
    lexer.next();
    std::string_view in_place = lexer.string_content(&scratch);
    EXPECT_EQ(in_place, "in place");
    EXPECT_TRUE(scratch.empty()) << "no copy of a string without escapes";
    lexer.next();
    lexer.next();
    EXPECT_EQ(lexer.string_content(&scratch), "esc\taped");
}

// A quote, backslash or control byte at every place of an eight-byte word,
// and strings ending at and just past a word's end.
TEST(JsonLexer, PlainRunsStopAtTheFirstSpecialByte) {
    for (size_t length = 0; length < 20; ++length) {
        for (char special : {'"', '\\', '\x01', '\x1f'}) {
            std::string text = "\"" + std::string(length, 'x') + special + "yz\"";
            size_t end = json_detail::plain_run_end(text, 1);
            EXPECT_EQ(end, 1 + length) << length << " " << static_cast<int>(special);
        }
        std::string text = "\"" + std::string(length, '\xc3') + " ";
        EXPECT_EQ(json_detail::plain_run_end(text, 1), text.size()) << "high bytes are plain";
    }
}

TEST(JsonLexer, NestingIsCountedOncePerLevel) {
    auto nested = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
    EXPECT_TRUE(jsonb_takes(nested(kMaxJsonDepth)));
    EXPECT_FALSE(jsonb_takes(nested(kMaxJsonDepth + 1)));
    std::string objects;
    for (int level = 0; level < kMaxJsonDepth; ++level)
        objects += "{\"a\":";
    objects += "1" + std::string(kMaxJsonDepth, '}');
    EXPECT_TRUE(jsonb_takes(objects));
    EXPECT_TRUE(takes(nested(3), JsonDialect::kJsonb, 3));
    EXPECT_FALSE(takes(nested(4), JsonDialect::kJsonb, 3));
    JsonLexer lexer(nested(5), JsonDialect::kJsonb, 4);
    EXPECT_FALSE(lexer.skip_value());
    EXPECT_EQ(lexer.error(), JsonError::kNestedTooDeeply);
    EXPECT_EQ(lexer.error_message(), "JSON nested too deeply at byte 4");
}

TEST(JsonLexer, TheFirstErrorIsTheOneReported) {
    JsonLexer lexer(R"({"a": [1, "\x"]})");
    EXPECT_FALSE(lexer.skip_value());
    EXPECT_EQ(lexer.error(), JsonError::kInvalidEscape);
    EXPECT_FALSE(lexer.fail("later", 0));
    EXPECT_EQ(lexer.error_message(), "invalid escape in a string at byte 13");
}

// Text already checked: nested values are passed by their brackets, with
// the strings inside them (brackets and escaped quotes in strings too).
TEST(JsonLexer, CheckedValuesArePassedWhole) {
    JsonLexer lexer(R"({"a": [1, "]\"}", {"b": "[{"}], "c": 2})");
    ASSERT_EQ(lexer.next(), T::kObjectStart);
    ASSERT_EQ(lexer.next(), T::kString);
    ASSERT_EQ(lexer.next(), T::kColon);
    size_t start = 0;
    ASSERT_TRUE(lexer.skip_checked_value(&start));
    EXPECT_EQ(start, 6u);
    EXPECT_EQ(lexer.pos(), 30u);
    EXPECT_EQ(lexer.depth(), 1);
    EXPECT_EQ(lexer.next(), T::kComma);
    JsonLexer cut(R"([1, "a)");
    EXPECT_FALSE(cut.skip_checked_value());
}

// Random documents, then each cut short and each with one byte changed: the
// lexer must agree with itself across the dialects (json takes all jsonb
// takes), never read past the text, and find every value's end.
TEST(JsonLexer, RandomDocumentsAndTheirMutations) {
    std::mt19937 random(20261207);
    auto pick = [&](const std::vector<std::string>& from) { return from[random() % from.size()]; };
    const std::vector<std::string> scalars = {"0", "-1.5e3", "12", "true", "false", "null",
                                              "\"a\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"",
                                              "\"tab\\t\"", "\"caf\xc3\xa9\"", "\"\""};
    std::function<std::string(int)> value = [&](int depth) -> std::string {
        unsigned r = random() % 10;
        if (depth > 3 || r < 5)
            return pick(scalars);
        std::string out;
        size_t n = random() % 4;
        if (r < 8) {
            out = "[";
            for (size_t i = 0; i < n; ++i)
                out += (i ? ", " : "") + value(depth + 1);
            return out + "]";
        }
        out = "{";
        for (size_t i = 0; i < n; ++i)
            out += (i ? "," : "") + pick({"\"k\"", "\"\\u0041\"", "\"key\""}) + ":" + value(depth + 1);
        return out + "}";
    };
    const std::string bytes = "{}[],:\"\\ u0x-.eE1t\t\x01\xc3";
    int taken = 0, refused = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string doc = value(0);
        ASSERT_TRUE(jsonb_takes(doc)) << doc;
        std::string cut = doc.substr(0, random() % doc.size());
        std::string changed = doc;
        changed[random() % changed.size()] = bytes[random() % bytes.size()];
        for (const std::string& text : {cut, changed}) {
            bool b = jsonb_takes(text);
            if (b)
                EXPECT_TRUE(json_takes(text)) << text;
            (b ? taken : refused)++;
        }
    }
    EXPECT_GT(taken, 100);
    EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace mq::queue
