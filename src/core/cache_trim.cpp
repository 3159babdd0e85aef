// The connection cache's trimming policy; see cache_trim.hpp.
#include "core/cache_trim.hpp"

#include <algorithm>
#include <numeric>

namespace mq {
namespace {

// At least this many targets are remembered whatever the bound, so that a
// backend racing a few dozen targets keeps their back-off state.
constexpr size_t kMinEntries = 64;

}  // namespace

size_t cache_entry_limit(int max_connections) {
    return std::max(kMinEntries, static_cast<size_t>(std::max(max_connections, 0)) * 4);
}

CacheTrim plan_cache_trim(const std::vector<CacheEntry>& entries, int64_t now_ms,
                          const CacheLimits& limits) {
    CacheTrim trim;
    // Least recently used first.
    std::vector<size_t> order(entries.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return entries[a].last_used_ms < entries[b].last_used_ms;
    });
    std::vector<bool> connected(entries.size());
    size_t pinned = 0;
    size_t unpinned_connected = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
        connected[i] = entries[i].connected;
        if (entries[i].pinned)
            ++pinned;
        else if (connected[i])
            ++unpinned_connected;
    }
    size_t bound = static_cast<size_t>(std::max(limits.max_connections, 0));
    size_t allowed = bound > pinned ? bound - pinned : 0;
    for (size_t i : order) {
        const CacheEntry& entry = entries[i];
        if (entry.pinned || !connected[i])
            continue;
        bool idle_too_long =
            limits.idle_timeout_ms > 0 && now_ms - entry.last_used_ms >= limits.idle_timeout_ms;
        if (idle_too_long || unpinned_connected > allowed) {
            trim.close.push_back(i);
            connected[i] = false;
            --unpinned_connected;
        }
    }
    size_t remaining = entries.size();
    for (size_t i : order) {
        if (remaining <= limits.max_entries)
            break;
        if (entries[i].pinned || connected[i])
            continue;
        trim.forget.push_back(i);
        --remaining;
    }
    return trim;
}

}  // namespace mq
