// Race statistics kept in shared memory across all backends, read by the
// multiquery.race_stats and multiquery.race_wins_per_minute views.
//
// The race engine reports; this module keeps. Every function here is safe to
// call from C++ holding live objects: none throws, longjmps, allocates or
// reports, and each is cheap enough to call once per target per race (one
// LWLock held for a hash probe and a few additions). Without
// shared_preload_libraries the module has no shared memory, the record_*
// functions do nothing and latency_quantile_us() answers -1.
// Targets are keyed by their first 255 bytes (cut at a character boundary);
// when multiquery.stats_max_targets are tracked, further targets are only
// counted (multiquery.race_stats_info.untracked).
#pragma once

#include <cstdint>

namespace mq::race {

// How one target fared in one race.
enum class Outcome {
    kWin,        // its answer was the one returned
    kCancelled,  // still running when another won (or the race was abandoned); cancelled
    kLost,       // another won; no cancel sent (its answer had arrived, or was close
                 // enough to be left to finish: see multiquery.race_cancel_grace)
    kError,      // failed: connection, timeout, remote error, stale (policy)
};

// Records one target's part in one finished race. target is the name the
// caller used (a foreign server name, or a conninfo with any password removed
// by the caller). latency_us: time from the race's start to this target's
// answer or failure; for kCancelled, the time it ran before the cancel.
// error may be null; when not, it replaces the target's last error (first 511
// bytes), stamped with the current time.
void record_outcome(const char* target, Outcome outcome, int64_t latency_us, const char* error);

// Records a cancel request sent to a loser after its race (one of kLost):
// a later race found it still running past its grace. Counts in cancels only.
void record_late_cancel(const char* target);

// Records that a hedged race sent its query to this target late (policies).
void record_hedge(const char* target);

// The p-quantile (0 < p < 1) of this target's winning latencies, in
// microseconds, or -1 when it has none yet. For the 'auto' hedge delay.
int64_t latency_quantile_us(const char* target, double p);

// Registers the shared memory request; called from _PG_init.
void stats_init();

}  // namespace mq::race
