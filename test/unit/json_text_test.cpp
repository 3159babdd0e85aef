#include "core/json_text.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace mq::queue {
namespace {

using namespace std::string_literals;

// PostgreSQL's pg_utf8_islegal, written out from its table of second-byte
// ranges, one character at a time: the reference the word-at-a-time check
// must agree with.
bool reference_utf8(const std::string& s, bool no_nul) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (no_nul && c == 0)
                return false;
            ++i;
            continue;
        }
        size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
        if (n == 0 || c < 0xC2 || c > 0xF4 || i + n > s.size())
            return false;
        unsigned char b = static_cast<unsigned char>(s[i + 1]);
        unsigned char lo = 0x80, hi = 0xBF;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (b < lo || b > hi)
            return false;
        for (size_t k = 2; k < n; ++k) {
            unsigned char t = static_cast<unsigned char>(s[i + k]);
            if (t < 0x80 || t > 0xBF)
                return false;
        }
        i += n;
    }
    return true;
}

TEST(ValidUtf8, TakesAsciiAndEveryLengthOfCharacter) {
    EXPECT_TRUE(valid_utf8(""));
    EXPECT_TRUE(valid_utf8("plain ascii, longer than eight bytes"));
    EXPECT_TRUE(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 and more ascii after"));
    EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(ValidUtf8, RefusesWhatPostgresRefuses) {
    EXPECT_FALSE(valid_utf8("\xC0\xAF"));              // overlong '/'
    EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));          // overlong
    EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));          // surrogate U+D800
    EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));      // past U+10FFFF
    EXPECT_FALSE(valid_utf8("\xF5\x80\x80\x80"));
    EXPECT_FALSE(valid_utf8("12345678\x80"));          // a lone continuation byte after a word
    EXPECT_FALSE(valid_utf8("abcdefg\xC3"));           // cut short at the end
}

TEST(ValidUtf8Text, RefusesNulWhereverItIs) {
    EXPECT_TRUE(valid_utf8("a\0b"s));
    for (size_t at = 0; at < 20; ++at) {
        std::string s(20, 'x');
        s[at] = '\0';
        EXPECT_FALSE(valid_utf8_text(s)) << "NUL at " << at;
    }
    EXPECT_TRUE(valid_utf8_text("no nul here, and \xC3\xA9"));
}

TEST(ValidUtf8, AgreesWithPostgresOnRandomBytes) {
    std::mt19937 random(20261203);
    // Mostly ASCII with some high bytes and NULs, so that words of eight
    // ASCII bytes, characters across word edges and bad bytes all occur.
    const std::string pieces[] = {"a", "Z", " ", "\x7F", "\0"s, "\xC3\xA9", "\xE2\x82\xAC",
                                  "\xF0\x9F\x98\x80", "\xC3", "\x80", "\xED\xA0\x80", "\xF4\x90",
                                  "\xE0\xA0\x80", "\xC1\xBF", "\xFF"};
    int valid = 0, invalid = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string s;
        size_t length = random() % 40;
        for (size_t k = 0; k < length; ++k) {
            unsigned pick = random() % 100;
            s += pick < 80 ? pieces[pick % 3] : pieces[3 + pick % 12];
        }
        bool expected = reference_utf8(s, false);
        ASSERT_EQ(valid_utf8(s), expected) << "for bytes of length " << s.size();
        ASSERT_EQ(valid_utf8_text(s), reference_utf8(s, true));
        (expected ? valid : invalid)++;
    }
    EXPECT_GT(valid, 1000);
    EXPECT_GT(invalid, 1000);
}

}  // namespace
}  // namespace mq::queue
