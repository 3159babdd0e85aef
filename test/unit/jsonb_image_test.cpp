#include "core/jsonb_image.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>

using mq::queue::append_jsonb_image;

namespace {

std::string hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

std::string image(const std::string& json) {
    std::string out = "kept";
    EXPECT_TRUE(append_jsonb_image(json, &out)) << json;
    EXPECT_EQ(out.substr(0, 4), "kept") << "appended, not replaced";
    return hex(out.substr(4));
}

void refused(const std::string& json) {
    std::string out = "kept";
    EXPECT_FALSE(append_jsonb_image(json, &out)) << json;
    EXPECT_EQ(out, "kept") << json;
}

bool little_endian() {
    uint32_t one = 1;
    return *reinterpret_cast<unsigned char*>(&one) == 1;
}

}  // namespace

// The expected images are PostgreSQL 15's own, on x86-64: each text was
// inserted into a jsonb column and its stored bytes read back with
// pageinspect (tuple_data_split), less the varlena header. The TAP test
// t/219_queue_jsonb_image.pl compares thousands of random values the same
// way through the drain.
TEST(JsonbImage, IsWhatJsonbInStores) {
    if (!little_endian())
        GTEST_SKIP() << "the expected images are little-endian";
    // The bench's events: keys sorted shorter first, then bytewise.
    EXPECT_EQ(image(R"({"page": "/p/1", "ms": 456, "ab": "A"})"),
              "03000020020000800200000004000000010000000b0000100400000061626d737061676541000000"
              "200000000080c8012f702f31");
    // Scalars are one-element arrays marked raw scalar.
    EXPECT_EQ(image(R"("x")"), "010000500100008078");
    EXPECT_EQ(image("0"), "0100005006000090180000000080");
    EXPECT_EQ(image("true"), "01000050000000b0");
    EXPECT_EQ(image("[]"), "00000040");
    EXPECT_EQ(image("{}"), "00000020");
    EXPECT_EQ(image(R"([null, false, true, -0.50, "a\"b"])"),
              "05000040000000c000000020000000300800001003000000200000007fa18813612262");
    // Of keys given twice the last stays; nested containers are aligned.
    EXPECT_EQ(image(R"({"b": 1, "a": 2, "b": 3, "aa": {"z": []}})"),
              "03000020010000800100000002000000080000100800001014000050616261612000000000800200"
              "20000000008003000100002001000080070000507a00000000000040");
    // Exponents, trailing zeros (kept as scale), 20-digit integers.
    EXPECT_EQ(image("[1e3, 1.5E-5, 123456789.000, -98765432109876543210]"),
              "0400004008000090080000100c00001010000010200000000080e803200000007e83dc0530000000"
              "828101002909851a4000000004a0942638154a04e61d8a0c");
    // Escapes, surrogate pairs joined, UTF-8 as it is.
    EXPECT_EQ(image("\"\\u00e9\\ud83d\\ude00 \\/\\n\""), "0100005009000080c3a9f09f9880202f0a");
    // Past 32 children, every 32nd JEntry is an offset.
    std::string long_array = "[1";
    for (int i = 2; i <= 34; ++i)
        long_array += "," + std::to_string(i);
    long_array += "]";
    std::string expected_long = "22000040";
    for (int i = 0; i < 34; ++i)
        expected_long += i == 0 ? "08000090" : i == 32 ? "08010090" : "08000010";
    for (int i = 1; i <= 34; ++i) {
        char digit[5];
        std::snprintf(digit, sizeof digit, "%02x%02x", i & 0xff, i >> 8);
        expected_long += std::string("200000000080") + digit;  // header, short header, digit
    }
    EXPECT_EQ(image(long_array), expected_long);
    // Numbers whose weight or scale needs numeric's long form.
    EXPECT_EQ(image("[1e100, 0.0000000000000000000000000000000000000000000000000000000000000000001,"
                    " 1e-300, 5.000000000000000000000000000000000000000000000000000000000000000000]"),
              "04000040080000900a0000100c0000100c0000102000000019800100280000004300efff0a000000"
              "280000002c01b5ff0100000028000000420000000500");
    // Whitespace around and inside.
    EXPECT_EQ(image(" \t\r\n[ ]\n"), "00000040");
}

TEST(JsonbImage, RefusesWhatJsonbInWouldJudgeOtherwise) {
    // Not JSON, as PostgreSQL's lexer reads it.
    for (const char* text : {"", " ", "tru", "truex", "nul", "[1,]", "[1 2]", "{\"a\"}",
                             "{\"a\":1,}", "{a:1}", "\"a", "01", "1.", ".5", "+1", "1e", "1e+",
                             "-", "--1", "0x10", "NaN", "Infinity", "1 2", "[1]]", "\"\\x\"",
                             "\"\\u12\"", "\"\\u12g4\"", "\"a\tb\"", "'a'"})
        refused(text);
    // What jsonb refuses: \u0000, lone or misplaced surrogates.
    for (const char* text : {R"("\u0000")", R"("\ud800")", R"("\udc00")", R"("\ud800x")",
                             R"("\ud800\n")", R"("\ud800\ud800")", R"("\ud800\u0041")"})
        refused(text);
    // Bytes that are not UTF-8, in a string or a key.
    refused("\"\xff\"");
    refused("{\"\xc3\x28\": 1}");
    // This encoder's own bounds: PostgreSQL decides beyond them.
    refused("1e1001");
    refused("1e-1001");
    refused(std::string(1001, '7'));
    refused("0." + std::string(1000, '7'));
    EXPECT_EQ(image("1e1000").substr(0, 8), "01000050") << "the bound itself is taken";
    std::string deep(64, '['), deeper(65, '[');
    deep += std::string(64, ']');
    deeper += std::string(65, ']');
    EXPECT_EQ(image(deep).substr(0, 8), "01000040");
    refused(deeper);
}

// A value past the encoder's kept buffers (1 MB) lets them go; the next
// value is encoded as well as before.
TEST(JsonbImage, AfterAHugeValueTheNextIsStillRight) {
    if (!little_endian())
        GTEST_SKIP() << "the expected images are little-endian";
    std::string huge = "[";
    for (int i = 0; i < 200000; ++i)
        huge += std::string(i ? "," : "") + "\"some text\"";
    huge += "]";
    std::string out;
    ASSERT_TRUE(append_jsonb_image(huge, &out));
    EXPECT_GT(out.size(), size_t{1} << 20);
    EXPECT_EQ(image(R"({"page": "/p/1", "ms": 456, "ab": "A"})"),
              "03000020020000800200000004000000010000000b0000100400000061626d737061676541000000"
              "200000000080c8012f702f31");
}
