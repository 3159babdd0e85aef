// Judging a target's freshness; see freshness.hpp.
#include "core/freshness.hpp"

#include <cinttypes>
#include <cstdio>

namespace mq {
namespace {

// Parses 1 to 8 hex digits; nullopt otherwise.
std::optional<uint32_t> parse_hex32(std::string_view text) {
    if (text.empty() || text.size() > 8)
        return std::nullopt;
    uint32_t value = 0;
    for (char c : text) {
        int digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return std::nullopt;
        value = value * 16 + static_cast<uint32_t>(digit);
    }
    return value;
}

std::string format_ms(double ms) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.0f ms", ms);
    return buffer;
}

}  // namespace

std::optional<uint64_t> parse_lsn(std::string_view text) {
    size_t slash = text.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    auto high = parse_hex32(text.substr(0, slash));
    auto low = parse_hex32(text.substr(slash + 1));
    if (!high || !low)
        return std::nullopt;
    return (static_cast<uint64_t>(*high) << 32) | *low;
}

std::string format_lsn(uint64_t lsn) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%" PRIX32 "/%" PRIX32, static_cast<uint32_t>(lsn >> 32),
                  static_cast<uint32_t>(lsn));
    return buffer;
}

FreshnessVerdict judge_freshness(const FreshnessProbe& probe, const FreshnessPolicy& policy) {
    if (policy.min_lsn != 0 && probe.lsn < policy.min_lsn)
        return {FreshnessVerdict::Kind::kStale,
                std::string("stale: ") + (probe.in_recovery ? "replayed " : "inserted ") +
                    format_lsn(probe.lsn) + " < min_lsn " + format_lsn(policy.min_lsn)};
    if (policy.max_replica_lag_ms > 0 && probe.in_recovery) {
        if (!probe.lag_ms)
            return {FreshnessVerdict::Kind::kLagging,
                    "lagging: replay lag unknown (nothing replayed since the standby started, or "
                    "no WAL receiver)"};
        if (*probe.lag_ms > policy.max_replica_lag_ms)
            return {FreshnessVerdict::Kind::kLagging,
                    "lagging: replay lag " + format_ms(*probe.lag_ms) +
                        " > multiquery.max_replica_lag " +
                        format_ms(policy.max_replica_lag_ms)};
    }
    return {};
}

}  // namespace mq
