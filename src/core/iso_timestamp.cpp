// Strict ISO timestamptz parsing; see iso_timestamp.hpp.
#include "core/iso_timestamp.hpp"

namespace mq::queue {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kSecondsPerDay = 86400;

// Reads exactly `count` decimal digits at *pos, advancing past them.
std::optional<int> take_digits(std::string_view text, size_t* pos, size_t count) {
    if (text.size() - *pos < count)
        return std::nullopt;
    int value = 0;
    for (size_t i = 0; i < count; ++i) {
        char c = text[*pos + i];
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + (c - '0');
    }
    *pos += count;
    return value;
}

// Consumes `c` at *pos if it is there.
bool take_char(std::string_view text, size_t* pos, char c) {
    if (*pos >= text.size() || text[*pos] != c)
        return false;
    ++*pos;
    return true;
}

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
    static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

// Days from 2000-01-01 to a valid proleptic Gregorian date in years 1-9999.
// Counting whole years from 0001-01-01 keeps every division on non-negative
// numbers, so integer division is exact floor division.
int64_t days_since_2000(int year, int month, int day) {
    static constexpr int kDaysBeforeMonth[12] = {0,   31,  59,  90,  120, 151,
                                                 181, 212, 243, 273, 304, 334};
    constexpr int64_t kDays0001To2000 = 730119;  // 1999 * 365 + 499 - 19 + 4
    int64_t past_years = year - 1;
    int64_t days = past_years * 365 + past_years / 4 - past_years / 100 + past_years / 400;
    days += kDaysBeforeMonth[month - 1] + (month > 2 && is_leap_year(year) ? 1 : 0);
    days += day - 1;
    return days - kDays0001To2000;
}

// Reads the zone at *pos as seconds east of UTC. 'z' is taken because
// PostgreSQL folds its input to lower case before the abbreviation look-up;
// "Z" is UTC in every timezone_abbreviations set PostgreSQL ships (Default,
// which Australia and India include without overriding it).
std::optional<int> take_zone(std::string_view text, size_t* pos) {
    if (take_char(text, pos, 'Z') || take_char(text, pos, 'z'))
        return 0;
    int sign;
    if (take_char(text, pos, '+'))
        sign = 1;
    else if (take_char(text, pos, '-'))
        sign = -1;
    else
        return std::nullopt;  // no zone: the session's TimeZone would decide
    auto hours = take_digits(text, pos, 2);
    if (!hours || *hours > 14)
        return std::nullopt;
    int minutes = 0;
    if (*pos < text.size()) {
        take_char(text, pos, ':');  // "+HH:MM" and "+HHMM" mean the same
        auto mm = take_digits(text, pos, 2);
        if (!mm || *mm > 59)
            return std::nullopt;
        minutes = *mm;
    }
    return sign * (*hours * 3600 + minutes * 60);
}

}  // namespace

std::optional<int64_t> parse_iso_timestamptz(std::string_view text) {
    size_t pos = 0;
    auto year = take_digits(text, &pos, 4);
    if (!year || *year < 1 || !take_char(text, &pos, '-'))
        return std::nullopt;
    auto month = take_digits(text, &pos, 2);
    if (!month || *month < 1 || *month > 12 || !take_char(text, &pos, '-'))
        return std::nullopt;
    auto day = take_digits(text, &pos, 2);
    if (!day || *day < 1 || *day > days_in_month(*year, *month))
        return std::nullopt;
    if (!take_char(text, &pos, 'T') && !take_char(text, &pos, ' '))
        return std::nullopt;

    // 24:00:00 (the next midnight) and leap seconds (the next second) are
    // refused although PostgreSQL takes them: rare, and COPY text handles them.
    auto hour = take_digits(text, &pos, 2);
    if (!hour || *hour > 23 || !take_char(text, &pos, ':'))
        return std::nullopt;
    auto minute = take_digits(text, &pos, 2);
    if (!minute || *minute > 59 || !take_char(text, &pos, ':'))
        return std::nullopt;
    auto second = take_digits(text, &pos, 2);
    if (!second || *second > 59)
        return std::nullopt;

    // At most 6 digits, so the value is exact; PostgreSQL rounds longer ones.
    int64_t micros = 0;
    if (take_char(text, &pos, '.')) {
        size_t digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 7) {
            micros = micros * 10 + (text[pos] - '0');
            ++pos;
            ++digits;
        }
        if (digits < 1 || digits > 6)
            return std::nullopt;
        for (; digits < 6; ++digits)
            micros *= 10;
    }

    auto zone = take_zone(text, &pos);
    if (!zone || pos != text.size())
        return std::nullopt;

    // Local time minus the offset is UTC: 10:00+02:00 is 08:00Z.
    int64_t seconds = days_since_2000(*year, *month, *day) * kSecondsPerDay + *hour * 3600 +
                      *minute * 60 + *second - *zone;
    return seconds * kMicrosPerSecond + micros;
}

}  // namespace mq::queue
