// ISO 8601 timestamps with an explicit offset, as PostgreSQL's binary
// timestamptz value. PostgreSQL-free.
//
// The binary COPY path must write exactly what timestamptz_in would have made
// of the same text, in any session (TimeZone, DateStyle). So only a strict
// subset is taken, one whose meaning no setting can change; anything else is
// refused and the caller falls back to COPY text, where the server parses it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mq::queue {

// Microseconds since 2000-01-01 00:00:00 UTC for
//
//   YYYY-MM-DD ('T' | ' ') HH:MM:SS [ '.' 1-6 digits ] zone
//   zone = 'Z' | 'z' | ('+' | '-') HH [ [':'] MM ]
//
// with year 0001-9999, a day that exists in that month (Gregorian leap
// years), hour 00-23, minute 00-59, second 00-59, zone hour 00-14 and zone
// minute 00-59. nullopt for anything else, including what PostgreSQL would
// take with another meaning or only with a session setting's help: no zone,
// named zones, 24:00:00, leap seconds, 7+ fraction digits (rounded there),
// special values, surrounding spaces.
std::optional<int64_t> parse_iso_timestamptz(std::string_view text);

}  // namespace mq::queue
