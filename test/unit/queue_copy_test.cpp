#include "core/queue_copy.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "core/queue_json.hpp"

using mq::queue::append_copy_row;
using mq::queue::CopyColumnKind;
using mq::queue::JsonRow;
using mq::queue::scan_json_rows;

namespace {

constexpr auto S = CopyColumnKind::kScalar;
constexpr auto J = CopyColumnKind::kJsonb;

// The row's keys as the drain groups them (scan_json_rows), then its COPY line.
bool convert(std::string_view json, const std::vector<CopyColumnKind>& kinds, std::string* line) {
    std::vector<JsonRow> rows;
    std::string error;
    mq::queue::KeySets key_sets;
    EXPECT_TRUE(scan_json_rows(json, false, &key_sets, &rows, &error)) << json << ": " << error;
    EXPECT_EQ(rows.at(0).keys->size(), kinds.size()) << json;
    return append_copy_row(rows.at(0).text, *rows.at(0).keys, kinds, line);
}

std::string line_of(std::string_view json, const std::vector<CopyColumnKind>& kinds) {
    std::string line;
    EXPECT_TRUE(convert(json, kinds, &line)) << json;
    return line;
}

void refused(std::string_view json, const std::vector<CopyColumnKind>& kinds) {
    std::string line = "kept";
    EXPECT_FALSE(convert(json, kinds, &line)) << json;
    EXPECT_EQ(line, "kept") << "a refused row leaves the output as it was: " << json;
}

// For input scan_json_rows already refuses: the converter must not trust it.
void refused_unscanned(std::string_view json, CopyColumnKind kind) {
    std::string line = "kept";
    EXPECT_FALSE(append_copy_row(json, {"a"}, {kind}, &line)) << json;
    EXPECT_EQ(line, "kept") << json;
}

}  // namespace

TEST(QueueCopy, ValuesInSortedKeyOrder) {
    EXPECT_EQ(line_of(R"({"b": 2, "a": "x", "c": true})", {S, S, S}), "x\t2\ttrue\n");
}

TEST(QueueCopy, NullIsBackslashNEvenForJsonb) {
    EXPECT_EQ(line_of(R"({"a": null, "b": null})", {S, J}), "\\N\t\\N\n");
}

TEST(QueueCopy, EmptyStringIsNotNull) {
    EXPECT_EQ(line_of(R"({"a": "", "b": null, "c": ""})", {S, S, J}), "\t\\N\t\"\"\n");
}

TEST(QueueCopy, StringLooksLikeNullMarkerStaysText) {
    EXPECT_EQ(line_of(R"({"a": "\\N"})", {S}), "\\\\N\n");
    EXPECT_EQ(line_of(R"({"a": "\\."})", {S}), "\\\\.\n");
}

TEST(QueueCopy, EscapesTabsNewlinesCarriageReturnsBackslashes) {
    EXPECT_EQ(line_of(R"({"a": "x\ty\nz\r\\w\"q\/"})", {S}), "x\\ty\\nz\\r\\\\w\"q/\n");
    // The same characters given as \u escapes.
    EXPECT_EQ(line_of(R"({"a": "\u0009\u000a\u000d\u005c"})", {S}), "\\t\\n\\r\\\\\n");
    // Backspace and form feed are plain bytes in COPY text.
    EXPECT_EQ(line_of(R"({"a": "\b\f"})", {S}), "\b\f\n");
}

TEST(QueueCopy, UnicodeEscapesBecomeUtf8) {
    EXPECT_EQ(line_of(R"({"a": "\u00e9\u20ac\ud83d\ude00"})", {S}),
              "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n");
    EXPECT_EQ(line_of("{\"a\": \"\xc3\xa9\"}", {S}), "\xc3\xa9\n");
}

TEST(QueueCopy, RefusesWhatTextCannotSayTheSame) {
    refused_unscanned(R"({"a": "x\ud800"})", S);        // high surrogate alone
    refused_unscanned(R"({"a": "\udc00x"})", S);        // low surrogate alone
    refused_unscanned(R"({"a": "\ud800\u0041"})", S);   // high then not low
    refused_unscanned("{\"a\": \"\xff\"}", S);          // not UTF-8
    refused_unscanned("{\"a\": \"\xc0\xaf\"}", S);      // overlong
    refused_unscanned("{\"a\": \"\xed\xa0\x80\"}", S);  // an encoded surrogate
    refused_unscanned("{\"a\": \"\xe2\x82\"}", S);      // truncated
    refused_unscanned("{\"a\": \"\xff\"}", J);
}

TEST(QueueCopy, NumbersNumericWouldRewriteAreRefusedForScalars) {
    EXPECT_EQ(line_of(R"({"a": -12.50, "b": 0, "c": -0.5})", {S, S, S}), "-12.50\t0\t-0.5\n");
    refused(R"({"a": 1e3})", {S});
    refused(R"({"a": 1E-2})", {S});
    refused(R"({"a": -0})", {S});
    refused(R"({"a": -0.00})", {S});
    // jsonb reads the number itself.
    EXPECT_EQ(line_of(R"({"a": 1e3})", {J}), "1e3\n");
}

TEST(QueueCopy, NestedValuesGoToJsonbAsTheirText) {
    EXPECT_EQ(line_of("{\"a\": {\"k\":\t[1, \"t\\tx\"]}}", {J}),
              "{\"k\":\\t[1, \"t\\\\tx\"]}\n");
    EXPECT_EQ(line_of(R"({"a": "str"})", {J}), "\"str\"\n");
    EXPECT_EQ(line_of(R"({"a": "a\\b"})", {J}), "\"a\\\\\\\\b\"\n");
    EXPECT_EQ(line_of(R"({"a": true, "b": 7})", {J, J}), "true\t7\n");
    refused(R"({"a": {"k": 1}})", {S});
    refused(R"({"a": [1, 2]})", {S});
    refused(R"({"a": ["\u00e9"]})", {J});
    refused_unscanned(R"({"a": "\ud800"})", J);
}

TEST(QueueCopy, DuplicateKeyKeepsTheLastValue) {
    EXPECT_EQ(line_of(R"({"a": 1, "b": 2, "a": "last"})", {S, S}), "last\t2\n");
}

TEST(QueueCopy, EscapedKeysMatchTheirColumns) {
    EXPECT_EQ(line_of(R"({"c\"q": 1, "\u00e9": 2, "t\tb": 3})", {S, S, S}), "1\t3\t2\n");
}

TEST(QueueCopy, KeyOutsideTheColumnsIsRefused) {
    std::string line;
    std::vector<std::string> columns{"a"};
    EXPECT_FALSE(append_copy_row(R"({"a": 1, "b": 2})", columns, {S}, &line));
    EXPECT_FALSE(append_copy_row(R"({"b": 2})", columns, {S}, &line));
    EXPECT_FALSE(append_copy_row(R"({})", {}, {}, &line));
    EXPECT_TRUE(line.empty());
}

TEST(QueueCopy, RowsAppendLineAfterLine) {
    std::string out;
    std::vector<std::string> columns{"a"};
    EXPECT_TRUE(append_copy_row(R"({"a": 1})", columns, {S}, &out));
    EXPECT_FALSE(append_copy_row(R"({"a": 1e1})", columns, {S}, &out));
    EXPECT_TRUE(append_copy_row(R"({"a": "x"})", columns, {S}, &out));
    EXPECT_EQ(out, "1\nx\n");
}

TEST(QueueCopy, PlainRunsAroundEscapesAndMultibyteText) {
    // The converter copies runs of plain bytes at once: escapes and
    // multibyte characters at a run's start, middle and end.
    EXPECT_EQ(line_of(R"({"a": "\tabcdefgh\nijklmnop\\"})", {S}),
              "\\tabcdefgh\\nijklmnop\\\\\n");
    EXPECT_EQ(line_of("{\"a\": \"\xc3\xa9" "abc\xe2\x82\xac" "def\\u00e9\"}", {S}),
              "\xc3\xa9" "abc\xe2\x82\xac" "def\xc3\xa9\n");
    EXPECT_EQ(line_of("{\"a\": {\"long key\": \"long \\\\ value\", \"\xc3\xa9\": \"q\"}}", {J}),
              "{\"long key\": \"long \\\\\\\\ value\", \"\xc3\xa9\": \"q\"}\n");
    refused_unscanned("{\"a\": \"abcdefgh\xff\"}", S);
    refused_unscanned("{\"a\": [\"abcdefgh\xff\"]}", J);
}

TEST(QueueCopy, RowsWithManyColumns) {
    // More columns than fit in the converter's inline slots (16).
    std::string json = "{";
    std::vector<std::string> columns;
    std::string expected;
    for (int i = 0; i < 20; ++i) {
        char key[8];
        std::snprintf(key, sizeof key, "k%02d", i);
        columns.push_back(key);
        json += std::string(i ? ", " : "") + "\"" + key + "\": " + std::to_string(i);
        expected += std::string(i ? "\t" : "") + std::to_string(i);
    }
    json += "}";
    std::string line;
    ASSERT_TRUE(append_copy_row(json, columns, std::vector<CopyColumnKind>(20, S), &line));
    EXPECT_EQ(line, expected + "\n");
    columns.pop_back();  // a key outside the columns is still refused
    line.clear();
    EXPECT_FALSE(append_copy_row(json, columns, std::vector<CopyColumnKind>(19, S), &line));
    EXPECT_TRUE(line.empty());
}

TEST(QueueCopy, HintFromEarlierRowsNeverMisplacesAValue) {
    // Rows sharing a hint in the same order, in other orders, with fewer
    // keys, a duplicate and an escaped key: each gives the line it gives
    // without a hint.
    std::vector<std::string> columns{"a", "b", "c"};
    std::vector<CopyColumnKind> kinds{S, S, J};
    mq::queue::CopyRowHint hint;
    for (const char* row :
         {R"({"c": [1], "a": 1, "b": "x"})", R"({"c": [2], "a": 2, "b": "y"})",
          R"({"b": "z", "c": {"k": 3}, "a": 3})", R"({"a": 4, "b": "w", "c": null})",
          R"({"c": 5, "a": 5})", R"({"c": 6, "b": "v", "a": 6, "a": 7})",
          R"({"\u0063": 8, "a": 8, "b": "u"})", R"({"c": [2], "a": 2, "d": "y"})"}) {
        std::string with_hint, without;
        bool ok = append_copy_row(row, columns, kinds, &with_hint, &hint);
        EXPECT_EQ(ok, append_copy_row(row, columns, kinds, &without)) << row;
        EXPECT_EQ(with_hint, without) << row;
    }
    std::string line;
    EXPECT_TRUE(append_copy_row(R"({"c": 9, "a": 9, "b": "t"})", columns, kinds, &line, &hint));
    EXPECT_EQ(line, "9\tt\t9\n");
}
