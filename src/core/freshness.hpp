// Whether a race target is fresh enough to answer: the read-your-writes
// (min_lsn) and replica lag (multiquery.max_replica_lag) policies, judged on
// what the target's probe reported in the same round trip as the query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mq {

// Parses a pg_lsn's text form ("16/B374D848"); nullopt if malformed.
std::optional<uint64_t> parse_lsn(std::string_view text);
// The text form of an LSN, as pg_lsn prints it.
std::string format_lsn(uint64_t lsn);

// What a target's probe reported about itself.
struct FreshnessProbe {
    bool in_recovery = false;
    uint64_t lsn = 0;                // standby: replayed; primary: inserted
    std::optional<double> lag_ms;    // replay lag; nullopt: the standby cannot tell
};

// The policies a race runs under. 0 turns each off.
struct FreshnessPolicy {
    uint64_t min_lsn = 0;
    int max_replica_lag_ms = 0;
};

struct FreshnessVerdict {
    enum class Kind { kFresh, kStale, kLagging };
    Kind kind = Kind::kFresh;
    std::string reason;  // "stale: replayed X < min_lsn Y" or "lagging: ..."
};

// Judges a probe against the policies: behind min_lsn is stale; a standby
// whose lag is over the bound, or unknown while a bound is set, is lagging.
FreshnessVerdict judge_freshness(const FreshnessProbe& probe, const FreshnessPolicy& policy);

}  // namespace mq
