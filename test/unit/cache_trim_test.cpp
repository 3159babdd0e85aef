// The connection cache's trimming policy.
#include "core/cache_trim.hpp"

#include <gtest/gtest.h>

namespace {

using Entries = std::vector<mq::CacheEntry>;
using Indexes = std::vector<size_t>;

mq::CacheEntry connected(int64_t last_used, bool pinned = false) {
    return {last_used, true, pinned};
}

mq::CacheEntry unconnected(int64_t last_used, bool pinned = false) {
    return {last_used, false, pinned};
}

mq::CacheLimits limits(int max_connections, int64_t idle_timeout_ms = 0, size_t max_entries = 64) {
    return {max_connections, idle_timeout_ms, max_entries};
}

TEST(PlanCacheTrim, WithinTheBoundNothingCloses) {
    Entries entries = {connected(1), connected(2), unconnected(3)};
    mq::CacheTrim trim = mq::plan_cache_trim(entries, 10, limits(2));
    EXPECT_EQ(trim.close, Indexes{});
    EXPECT_EQ(trim.forget, Indexes{});
}

TEST(PlanCacheTrim, ClosesTheLeastRecentlyUsedFirst) {
    Entries entries = {connected(30), connected(10), connected(40), connected(20)};
    mq::CacheTrim trim = mq::plan_cache_trim(entries, 50, limits(2));
    EXPECT_EQ(trim.close, (Indexes{1, 3}));
}

TEST(PlanCacheTrim, PinnedEntriesCountAgainstTheBoundButStayOpen) {
    // A race holds two targets (one not yet connected): of a bound of 3, one
    // unpinned connection may stay, the most recent.
    Entries entries = {connected(1, true), unconnected(2, true), connected(5), connected(9)};
    mq::CacheTrim trim = mq::plan_cache_trim(entries, 10, limits(3));
    EXPECT_EQ(trim.close, Indexes{2});
}

TEST(PlanCacheTrim, ARaceMayExceedTheBoundWhileItRuns) {
    Entries entries = {connected(1, true), connected(2, true), connected(3, true), connected(4)};
    mq::CacheTrim trim = mq::plan_cache_trim(entries, 10, limits(2));
    EXPECT_EQ(trim.close, Indexes{3});
}

TEST(PlanCacheTrim, ClosesConnectionsIdleLongerThanTheTimeout) {
    Entries entries = {connected(100), connected(850), connected(0, true), unconnected(0)};
    mq::CacheTrim trim = mq::plan_cache_trim(entries, 1000, limits(8, 500));
    EXPECT_EQ(trim.close, Indexes{0});
    trim = mq::plan_cache_trim(entries, 1000, limits(8, 0));
    EXPECT_EQ(trim.close, Indexes{});
}

TEST(PlanCacheTrim, ABoundOfZeroKeepsNoIdleConnection) {
    Entries entries = {connected(1), connected(2, true)};
    mq::CacheTrim trim = mq::plan_cache_trim(entries, 10, limits(0));
    EXPECT_EQ(trim.close, Indexes{0});
}

TEST(PlanCacheTrim, ForgetsTheLeastRecentlyUsedUnconnectedEntries) {
    Entries entries = {unconnected(5), connected(1), unconnected(2), unconnected(3, true),
                       unconnected(4)};
    mq::CacheTrim trim = mq::plan_cache_trim(entries, 10, limits(8, 0, 3));
    // The connected and the pinned entries stay; the two oldest others go.
    EXPECT_EQ(trim.forget, (Indexes{2, 4}));
}

TEST(PlanCacheTrim, EntriesClosedNowMayBeForgotten) {
    Entries entries = {connected(1), connected(2), connected(3)};
    mq::CacheTrim trim = mq::plan_cache_trim(entries, 10, limits(1, 0, 2));
    EXPECT_EQ(trim.close, (Indexes{0, 1}));
    EXPECT_EQ(trim.forget, Indexes{0});
}

TEST(CacheEntryLimit, GrowsWithTheBound) {
    EXPECT_EQ(mq::cache_entry_limit(8), 64u);
    EXPECT_EQ(mq::cache_entry_limit(0), 64u);
    EXPECT_EQ(mq::cache_entry_limit(100), 400u);
}

}  // namespace
