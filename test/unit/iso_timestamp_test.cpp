#include "core/iso_timestamp.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

using mq::queue::parse_iso_timestamptz;

namespace {

constexpr int64_t kSecond = 1000000;
constexpr int64_t kHour = 3600 * kSecond;

// Expected values below were computed independently of this code (python3
// datetime and `date -u -d ... +%s`) and match PostgreSQL 15's
// extract(epoch from '...'::timestamptz) * 1e6 - 946684800e6.
TEST(IsoTimestamp, KnownValues) {
    EXPECT_EQ(parse_iso_timestamptz("2000-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.001000+00:00"), 820540800001000);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00Z"), 820540800000000);
    EXPECT_EQ(parse_iso_timestamptz("1970-01-01T00:00:00Z"), -946684800000000);
    EXPECT_EQ(parse_iso_timestamptz("1969-12-31T23:59:59.5Z"), -946684800500000);
    EXPECT_EQ(parse_iso_timestamptz("1999-12-31T23:59:59.999999Z"), -1);
    EXPECT_EQ(parse_iso_timestamptz("1900-03-01T00:00:00Z"), -3150576000000000);
}

TEST(IsoTimestamp, RangeEnds) {
    EXPECT_EQ(parse_iso_timestamptz("0001-01-01T00:00:00Z"), -63082281600000000);
    EXPECT_EQ(parse_iso_timestamptz("9999-12-31T23:59:59.999999Z"), 252455615999999999);
    // The widest offsets carry the instant past year 1 or 9999 in UTC;
    // PostgreSQL's range is far wider, so these are still exact.
    EXPECT_EQ(parse_iso_timestamptz("0001-01-01T00:00:00+14:00"), -63082332000000000);
    EXPECT_EQ(parse_iso_timestamptz("9999-12-31T23:59:59.999999-14:59"), 252455669939999999);
}

TEST(IsoTimestamp, LeapDays) {
    EXPECT_EQ(parse_iso_timestamptz("2000-02-29T00:00:00Z"), 5097600000000);  // 400 divides
    EXPECT_EQ(parse_iso_timestamptz("2000-03-01T00:00:00Z"), 5184000000000);
    EXPECT_EQ(parse_iso_timestamptz("2024-02-29T00:00:00Z"), 762480000000000);
    EXPECT_TRUE(parse_iso_timestamptz("0004-02-29T00:00:00Z"));
    EXPECT_TRUE(parse_iso_timestamptz("1600-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_iso_timestamptz("1900-02-29T00:00:00Z"));  // a century not by 400
    EXPECT_FALSE(parse_iso_timestamptz("2100-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_iso_timestamptz("2023-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_iso_timestamptz("2024-02-30T00:00:00Z"));
}

TEST(IsoTimestamp, EveryMonthLength) {
    const char* last_days[] = {"2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30",
                               "2026-05-31", "2026-06-30", "2026-07-31", "2026-08-31",
                               "2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31"};
    const char* next_days[] = {"2026-01-32", "2026-02-29", "2026-03-32", "2026-04-31",
                               "2026-05-32", "2026-06-31", "2026-07-32", "2026-08-32",
                               "2026-09-31", "2026-10-32", "2026-11-31", "2026-12-32"};
    for (const char* day : last_days)
        EXPECT_TRUE(parse_iso_timestamptz(std::string(day) + "T00:00:00Z")) << day;
    for (const char* day : next_days)
        EXPECT_FALSE(parse_iso_timestamptz(std::string(day) + "T00:00:00Z")) << day;
    // Consecutive days across a month end are a day apart.
    EXPECT_EQ(*parse_iso_timestamptz("2026-03-01T00:00:00Z") -
                  *parse_iso_timestamptz("2026-02-28T00:00:00Z"),
              24 * kHour);
}

TEST(IsoTimestamp, EveryOffsetSpelling) {
    const int64_t utc_10 = *parse_iso_timestamptz("2026-06-15T10:00:00Z");
    EXPECT_EQ(utc_10, 834832800000000);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00z"), utc_10);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00+00"), utc_10);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00-00"), utc_10);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00+00:00"), utc_10);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00-0000"), utc_10);
    // Local time minus the offset is UTC: 10:00+02 is 08:00Z.
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00+02"), utc_10 - 2 * kHour);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00+02:00"), utc_10 - 2 * kHour);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00+0200"), utc_10 - 2 * kHour);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00-05"), utc_10 + 5 * kHour);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00-05:30"), 834852600000000);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00-0530"), 834852600000000);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00+05:45"),
              utc_10 - 5 * kHour - 45 * 60 * kSecond);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00+14:59"),
              utc_10 - 14 * kHour - 59 * 60 * kSecond);
    EXPECT_EQ(parse_iso_timestamptz("2026-06-15T10:00:00-14"), utc_10 + 14 * kHour);
}

TEST(IsoTimestamp, Fractions) {
    const int64_t base = *parse_iso_timestamptz("2026-01-01T00:00:00Z");
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.5Z"), base + 500000);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.12Z"), base + 120000);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.123Z"), base + 123000);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.1234Z"), base + 123400);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.12345Z"), base + 123450);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.123456Z"), base + 123456);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.000001Z"), base + 1);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.0Z"), base);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.999999+01:00"), base - kHour + 999999);
}

TEST(IsoTimestamp, TOrSpace) {
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01 00:00:00.001+00:00"), 820540800001000);
    EXPECT_EQ(parse_iso_timestamptz("2026-01-01T00:00:00.001+00:00"), 820540800001000);
}

TEST(IsoTimestamp, EveryFieldAtItsBounds) {
    EXPECT_TRUE(parse_iso_timestamptz("2026-01-01T23:59:59Z"));
    EXPECT_TRUE(parse_iso_timestamptz("2026-12-01T00:00:00Z"));
    EXPECT_EQ(*parse_iso_timestamptz("2026-01-01T23:59:59Z") -
                  *parse_iso_timestamptz("2026-01-01T00:00:00Z"),
              (24 * 3600 - 1) * kSecond);
}

TEST(IsoTimestamp, Refusals) {
    const char* refused[] = {
        // What the session would decide: no zone, or a named one.
        "2026-01-01T00:00:00", "2026-01-01 00:00:00", "2026-01-01T00:00:00UTC",
        "2026-01-01T00:00:00 UTC", "2026-01-01T00:00:00 Europe/Paris", "2026-01-01T00:00:00EST",
        "2026-01-01T00:00:00zulu", "2026-01-01T00:00:00GMT+2",
        // Special values.
        "infinity", "-infinity", "epoch", "now", "today", "tomorrow", "yesterday", "allballs", "",
        // Surrounding or extra spaces.
        " 2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z ", "2026-01-01  00:00:00Z",
        "2026-01-01T00:00:00 Z", "2026-01-01T00:00:00 +00:00", "\t2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z\n",
        // Fractions PostgreSQL would round, or that are not fractions.
        "2026-01-01T00:00:00.1234567Z", "2026-01-01T00:00:00.9999995Z", "2026-01-01T00:00:00.Z",
        "2026-01-01T00:00:00,5Z", "2026-01-01T00:00:00.5.5Z",
        // Years: 0, 5 digits, fewer than 4 digits, BC, signed.
        "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "26-01-01T00:00:00Z",
        "226-01-01T00:00:00Z", "0001-01-01T00:00:00Z BC", "2026-01-01T00:00:00Z BC",
        "+2026-01-01T00:00:00Z", "-2026-01-01T00:00:00Z",
        // Months and days.
        "2026-00-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-00T00:00:00Z",
        "2026-1-01T00:00:00Z", "2026-01-1T00:00:00Z", "2026-04-31T00:00:00Z",
        // Hours, minutes, seconds: 24:00:00 and leap seconds included.
        "2026-01-01T24:00:00Z", "2026-01-01T25:00:00Z", "2026-01-01T00:60:00Z",
        "2026-12-31T23:59:60Z", "2026-01-01T00:00:61Z", "2026-01-01T0:00:00Z", "2026-01-01T00:00Z",
        "2026-01-01T00Z", "2026-01-01T00:00:00:00Z",
        // Zones: out of range, wrong widths, seconds, stray characters.
        "2026-01-01T00:00:00+15", "2026-01-01T00:00:00+15:00", "2026-01-01T00:00:00-15:00",
        "2026-01-01T00:00:00+14:60", "2026-01-01T00:00:00+1", "2026-01-01T00:00:00+1:00",
        "2026-01-01T00:00:00+053", "2026-01-01T00:00:00+05:3",
        "2026-01-01T00:00:00+05:", "2026-01-01T00:00:00+05:30:00", "2026-01-01T00:00:00+053000",
        "2026-01-01T00:00:00+", "2026-01-01T00:00:00-", "2026-01-01T00:00:00ZZ",
        "2026-01-01T00:00:00Z+00", "2026-01-01T00:00:00+00Z", "2026-01-01T00:00:00+0a",
        "2026-01-01T00:00:00\u221205:00",
        // Other separators and layouts.
        "2026-01-01t00:00:00Z", "2026-01-01_00:00:00Z", "2026/01/01T00:00:00Z", "20260101T000000Z",
        "2026-01-01", "2026-01-01T", "2026-01-01T00.00.00Z", "2026-0a-01T00:00:00Z",
        "２026-01-01T00:00:00Z"};
    for (const char* text : refused)
        EXPECT_EQ(parse_iso_timestamptz(text), std::nullopt) << "[" << text << "]";
}

TEST(IsoTimestamp, RefusesEmbeddedNul) {
    using namespace std::string_view_literals;
    EXPECT_FALSE(parse_iso_timestamptz("2026-01-01T00:00:00Z\0"sv));
    EXPECT_FALSE(parse_iso_timestamptz("2026-01-01T00:00:00\0Z"sv));
}

}  // namespace
