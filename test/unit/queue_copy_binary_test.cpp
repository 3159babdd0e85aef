#include "core/queue_copy_binary.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/jsonb_image.hpp"

using mq::queue::append_binary_header;
using mq::queue::append_binary_row;
using mq::queue::append_binary_trailer;
using mq::queue::BinaryKind;

namespace {

uint64_t read_be(const std::string& s, size_t at, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v = (v << 8) | static_cast<unsigned char>(s.at(at + static_cast<size_t>(i)));
    return v;
}

// One tuple's fields as binary COPY has them: nullopt for NULL.
std::vector<std::optional<std::string>> fields_of(const std::string& tuple) {
    std::vector<std::optional<std::string>> fields;
    size_t count = read_be(tuple, 0, 2), at = 2;
    for (size_t i = 0; i < count; ++i) {
        auto length = static_cast<int32_t>(read_be(tuple, at, 4));
        at += 4;
        if (length < 0) {
            fields.emplace_back(std::nullopt);
            continue;
        }
        fields.emplace_back(tuple.substr(at, static_cast<size_t>(length)));
        at += static_cast<size_t>(length);
    }
    EXPECT_EQ(at, tuple.size()) << "the tuple ends where its last field does";
    return fields;
}

// The one field of {"a": value} in a column of kind.
std::optional<std::string> field(const std::string& value, BinaryKind kind) {
    std::string out;
    EXPECT_TRUE(append_binary_row("{\"a\": " + value + "}", {"a"}, {kind}, &out)) << value;
    auto fields = fields_of(out);
    return fields.size() == 1 ? fields[0] : std::nullopt;
}

void refused(const std::string& value, BinaryKind kind) {
    std::string out = "kept";
    EXPECT_FALSE(append_binary_row("{\"a\": " + value + "}", {"a"}, {kind}, &out)) << value;
    EXPECT_EQ(out, "kept") << "a refused row leaves the output as it was: " << value;
}

std::string be(uint64_t v, int bytes) {
    std::string s;
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8)
        s.push_back(static_cast<char>((v >> shift) & 0xFF));
    return s;
}

}  // namespace

TEST(QueueCopyBinary, HeaderAndTrailer) {
    std::string out;
    append_binary_header(&out);
    EXPECT_EQ(out, std::string("PGCOPY\n\xff\r\n\0", 11) + std::string(8, '\0'));
    out.clear();
    append_binary_trailer(&out);
    EXPECT_EQ(out, "\xff\xff");
}

TEST(QueueCopyBinary, IntegersInRangeAsTheyStand) {
    EXPECT_EQ(field("0", BinaryKind::kInt2), be(0, 2));
    EXPECT_EQ(field("-1", BinaryKind::kInt2), be(0xFFFF, 2));
    EXPECT_EQ(field("32767", BinaryKind::kInt2), be(32767, 2));
    EXPECT_EQ(field("-32768", BinaryKind::kInt2), be(0x8000, 2));
    EXPECT_EQ(field("2147483647", BinaryKind::kInt4), be(0x7FFFFFFF, 4));
    EXPECT_EQ(field("-2147483648", BinaryKind::kInt4), be(0x80000000u, 4));
    EXPECT_EQ(field("9223372036854775807", BinaryKind::kInt8), be(0x7FFFFFFFFFFFFFFFull, 8));
    EXPECT_EQ(field("-9223372036854775808", BinaryKind::kInt8), be(0x8000000000000000ull, 8));
    EXPECT_EQ(field("-0", BinaryKind::kInt8), be(0, 8));  // int8in("-0") is 0 too
    // Out of range, or not an integer as it stands: left to int*in.
    refused("32768", BinaryKind::kInt2);
    refused("-32769", BinaryKind::kInt2);
    refused("2147483648", BinaryKind::kInt4);
    refused("9223372036854775808", BinaryKind::kInt8);
    refused("-9223372036854775809", BinaryKind::kInt8);
    refused("99999999999999999999999", BinaryKind::kInt8);
    for (const char* other : {"1.0", "1e3", "1E0", "\"5\"", "true", "[1]", "{\"b\": 1}"})
        refused(other, BinaryKind::kInt4);
}

TEST(QueueCopyBinary, BooleansOnlyAsJsonBooleans) {
    EXPECT_EQ(field("true", BinaryKind::kBool), std::string("\1", 1));
    EXPECT_EQ(field("false", BinaryKind::kBool), std::string("\0", 1));
    for (const char* other : {"\"t\"", "\"true\"", "1", "0", "[]"})
        refused(other, BinaryKind::kBool);
}

TEST(QueueCopyBinary, TextUnescapedAsItIs) {
    EXPECT_EQ(field(R"("tab\there\nnl\rcr\\bs \"q\" \/s")", BinaryKind::kText),
              "tab\there\nnl\rcr\\bs \"q\" /s");
    EXPECT_EQ(field(R"("\u00e9\ud83d\ude00 \\N")", BinaryKind::kText),
              "\xc3\xa9\xf0\x9f\x98\x80 \\N");
    EXPECT_EQ(field("\"\xe2\x82\xac\"", BinaryKind::kText), "\xe2\x82\xac");
    EXPECT_EQ(field("12.50", BinaryKind::kText), "12.50");
    EXPECT_EQ(field("true", BinaryKind::kText), "true");
    EXPECT_EQ(field("\"\"", BinaryKind::kText), "");
    // What COPY text refuses too: numbers numeric rewrites, nested values,
    // \u0000, lone surrogates, bytes that are not UTF-8.
    for (const char* other : {"1e3", "-0", "-0.0", "[1]", "{\"b\": 1}", R"("\u0000")",
                              R"("\ud800")", R"("\udc00x")", "\"\xff\""})
        refused(other, BinaryKind::kText);
}

TEST(QueueCopyBinary, JsonbIsItsVersionAndText) {
    EXPECT_EQ(field(R"({"b": [1, 2.50, "x\ty"]})", BinaryKind::kJsonb),
              std::string("\1") + R"({"b": [1, 2.50, "x\ty"]})");
    EXPECT_EQ(field(R"("a \u00e9 string")", BinaryKind::kJsonb),
              std::string("\1") + R"("a \u00e9 string")");
    EXPECT_EQ(field("1e3", BinaryKind::kJsonb), "\1" "1e3");
    EXPECT_EQ(field("false", BinaryKind::kJsonb), "\1" "false");
    for (const char* other : {R"("\ud800")", R"("\u0000")", R"(["\u00e9"])", "\"\xff\""})
        refused(other, BinaryKind::kJsonb);
}

TEST(QueueCopyBinary, JsonbImageIsMarkedOrFallsBackToText) {
    std::string image;
    ASSERT_TRUE(mq::queue::append_jsonb_image(R"({"b": [1, "\u00e9"]})", &image));
    EXPECT_EQ(field(R"({"b": [1, "\u00e9"]})", BinaryKind::kJsonbImage),
              std::string(1, mq::queue::kJsonbImageMark) + image);
    // Past the encoder's bounds: jsonb_recv reads the text, as for kJsonb.
    EXPECT_EQ(field("1e2000", BinaryKind::kJsonbImage), "\1" "1e2000");
    // What neither takes is refused as kJsonb refuses it.
    for (const char* other : {R"("\ud800")", R"("\u0000")", "\"\xff\""})
        refused(other, BinaryKind::kJsonbImage);
}

// A row as the scan found it converts as its text does, members or none.
TEST(QueueCopyBinary, ScannedRowsConvertAsTheirText) {
    mq::queue::KeySets sets;
    for (const char* text :
         {R"({"b": {"x": [1, "]"]}, "a": 5, "b": [2]})", R"({"a": null, "b": "\u00e9"})",
          R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":"nine"})"}) {
        std::vector<mq::queue::JsonRow> rows;
        std::string error;
        ASSERT_TRUE(mq::queue::scan_json_rows(text, false, &sets, &rows, &error)) << error;
        std::vector<BinaryKind> kinds(rows[0].keys->size(), BinaryKind::kJsonbImage);
        std::string from_text, from_scan;
        ASSERT_TRUE(append_binary_row(text, *rows[0].keys, kinds, &from_text)) << text;
        ASSERT_TRUE(append_binary_row(rows[0], kinds, &from_scan)) << text;
        EXPECT_EQ(from_scan, from_text) << text;
    }
}

TEST(QueueCopyBinary, TimestamptzOnlyFromStrictIsoText) {
    EXPECT_EQ(field(R"("2000-01-01T00:00:00Z")", BinaryKind::kTimestamptz), be(0, 8));
    // 2026-01-01T00:00:00.001Z: 9497 days after 2000-01-01, plus 1 ms.
    EXPECT_EQ(field(R"("2026-01-01T00:00:00.001000+00:00")", BinaryKind::kTimestamptz),
              be(9497ull * 86400 * 1000000 + 1000, 8));
    for (const char* other : {R"("2026-01-01T00:00:00")", R"("infinity")", R"("now")",
                              R"("2026-01-01T00:00:00\u002b00:00")", "1767225600", "true"})
        refused(other, BinaryKind::kTimestamptz);
}

TEST(QueueCopyBinary, NullIsNullForEveryKind) {
    for (BinaryKind kind : {BinaryKind::kInt2, BinaryKind::kInt4, BinaryKind::kInt8,
                            BinaryKind::kBool, BinaryKind::kText, BinaryKind::kJsonb,
                            BinaryKind::kTimestamptz})
        EXPECT_EQ(field("null", kind), std::nullopt);
}

TEST(QueueCopyBinary, RowsInSortedKeyOrderWithAHint) {
    std::vector<std::string> columns{"id", "kind", "ts"};
    std::vector<BinaryKind> kinds{BinaryKind::kInt8, BinaryKind::kText, BinaryKind::kTimestamptz};
    mq::queue::CopyRowHint hint;
    std::string out;
    ASSERT_TRUE(append_binary_row(R"({"ts": "2000-01-01T00:00:01Z", "id": 7, "kind": "click"})",
                                  columns, kinds, &out, &hint));
    size_t first = out.size();
    ASSERT_TRUE(append_binary_row(R"({"kind": "view", "id": 8, "ts": "2000-01-01 00:00:02+01"})",
                                  columns, kinds, &out, &hint));
    auto one = fields_of(out.substr(0, first));
    ASSERT_EQ(one.size(), 3u);
    EXPECT_EQ(one[0], be(7, 8));
    EXPECT_EQ(one[1], "click");
    EXPECT_EQ(one[2], be(1000000, 8));
    auto two = fields_of(out.substr(first));
    ASSERT_EQ(two.size(), 3u);
    EXPECT_EQ(two[1], "view");
    EXPECT_EQ(two[2], be(static_cast<uint64_t>(2000000 - 3600000000LL), 8));
    // A missing key, an unknown one, or a value refused anywhere in the row
    // leaves the output as it was.
    std::string before = out;
    EXPECT_FALSE(append_binary_row(R"({"id": 9, "kind": "x"})", columns, kinds, &out, &hint));
    EXPECT_FALSE(append_binary_row(R"({"id": 9, "kind": "x", "ts": null, "z": 1})", columns,
                                   kinds, &out, &hint));
    EXPECT_FALSE(append_binary_row(R"({"id": 9, "kind": "x", "ts": "yesterday"})", columns,
                                   kinds, &out, &hint));
    EXPECT_EQ(out, before);
}
