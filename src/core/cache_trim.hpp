// Which cached race connections to close, and which cached targets to forget:
// the policy behind multiquery.race_max_cached_connections and
// multiquery.race_connection_idle_timeout, free of PostgreSQL and libpq.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mq {

// One cached target as the policy sees it.
struct CacheEntry {
    int64_t last_used_ms = 0;  // when a race last finished with it (monotonic)
    bool connected = false;    // holds a connection (idle, connecting or draining)
    bool pinned = false;       // a running race uses it: never closed nor forgotten
};

struct CacheLimits {
    int max_connections = 8;      // per backend; the pinned count against it first
    int64_t idle_timeout_ms = 0;  // 0: connections are never closed for being idle
    size_t max_entries = 64;      // targets remembered (with their back-off state)
};

struct CacheTrim {
    std::vector<size_t> close;   // indexes of entries whose connection to close
    std::vector<size_t> forget;  // indexes of entries to drop (none is connected afterwards)
};

// The entries to trim, so that: no unpinned connection has been idle longer
// than the timeout; unpinned connections number at most max_connections less
// the pinned entries (the least recently used closed first); and at most
// max_entries entries remain (the least recently used unconnected forgotten
// first). Pinned entries may exceed either bound on their own.
CacheTrim plan_cache_trim(const std::vector<CacheEntry>& entries, int64_t now_ms,
                          const CacheLimits& limits);

// How many targets a backend remembers for a given connection bound.
size_t cache_entry_limit(int max_connections);

}  // namespace mq
