// The shared-memory table behind the race statistics, as the SQL views read
// it: each function copies one target's data out under the lock, so that the
// views build their rows (and may fail) with the lock released.
//
// Private to src/race/stats_*.cpp; the race engine uses stats.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/latency_histogram.hpp"
#include "core/minute_ring.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace mq::race::stats {

// Longer target names and error texts are cut at a character boundary.
inline constexpr size_t kTargetBytes = 256;
inline constexpr size_t kErrorBytes = 512;

// What multiquery.race_stats shows of one target.
struct TargetSummary {
    char target[kTargetBytes];
    uint64_t races;  // every outcome: wins + errors + losses (cancelled or not)
    uint64_t wins;
    uint64_t errors;
    uint64_t cancels;
    uint64_t hedges;
    LatencyHistogram win_latency_us;
    bool has_error;
    TimestampTz last_error_at;
    char last_error[kErrorBytes];
};

// The table as a whole, for multiquery.race_stats_info.
struct TableInfo {
    bool tracking;         // false without shared_preload_libraries
    int targets;           // slots in use
    int max_targets;       // multiquery.stats_max_targets; 0 when not tracking
    uint64_t untracked;    // outcomes and hedges dropped because the table was full
    TimestampTz stats_reset;  // last reset, or when shared memory was set up
};

// True when the table exists (the library was preloaded).
bool tracking();
// How many slots the table has; copy_*() take slot numbers below this.
int slot_count();
// Copies one slot's counters into *out; false if the slot is unused.
bool copy_summary(int slot, TargetSummary* out);
// Copies one slot's name and per-minute wins; false if the slot is unused.
bool copy_wins(int slot, char (*target)[kTargetBytes], MinuteRing* wins);
// Describes the table.
TableInfo table_info();
// Empties the table and restarts stats_reset at now.
void reset_all();

// The minute number of a timestamp (minutes since PostgreSQL's epoch, 2000-01-01).
int64_t minute_of(TimestampTz time);
// The timestamp at which a minute starts.
TimestampTz minute_start(int64_t minute);

}  // namespace mq::race::stats
