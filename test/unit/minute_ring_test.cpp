#include "core/minute_ring.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

namespace mq {
namespace {

constexpr int64_t kDay = MinuteRing::kSlots;
constexpr int64_t kNow = 29'000'000;  // minutes since 1970: some day in 2025

std::unique_ptr<MinuteRing> empty_ring() {
    auto ring = std::make_unique<MinuteRing>();
    ring->clear();
    return ring;
}

std::vector<MinuteRing::Entry> recent(const MinuteRing& ring, int64_t now) {
    std::vector<MinuteRing::Entry> out(MinuteRing::kSlots);
    out.resize(static_cast<size_t>(ring.recent(now, out.data())));
    return out;
}

TEST(MinuteRing, ZeroFilledMemoryIsEmpty) {
    auto raw = std::make_unique<unsigned char[]>(sizeof(MinuteRing));
    std::memset(raw.get(), 0, sizeof(MinuteRing));
    const auto* ring = reinterpret_cast<const MinuteRing*>(raw.get());
    EXPECT_TRUE(recent(*ring, kNow).empty());
    EXPECT_TRUE(recent(*ring, 0).empty());  // minute 0 itself, with 0 wins, is not reported
}

TEST(MinuteRing, CountsWithinAMinute) {
    auto ring = empty_ring();
    ring->add(kNow);
    ring->add(kNow);
    ring->add(kNow, 3);
    ring->add(kNow - 1);
    EXPECT_EQ(ring->wins_at(kNow, kNow), 5u);
    EXPECT_EQ(ring->wins_at(kNow - 1, kNow), 1u);
    EXPECT_EQ(ring->wins_at(kNow - 2, kNow), 0u);
    auto entries = recent(*ring, kNow);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].minute, kNow - 1);  // oldest first
    EXPECT_EQ(entries[0].wins, 1u);
    EXPECT_EQ(entries[1].minute, kNow);
    EXPECT_EQ(entries[1].wins, 5u);
}

TEST(MinuteRing, RollsOverAfterADay) {
    auto ring = empty_ring();
    ring->add(kNow, 7);
    // The same slot a day later starts from zero, not from yesterday's 7.
    ring->add(kNow + kDay);
    EXPECT_EQ(ring->wins_at(kNow + kDay, kNow + kDay), 1u);
    EXPECT_EQ(ring->wins_at(kNow, kNow + kDay), 0u);
}

TEST(MinuteRing, WindowIsTheLast1440MinutesIncludingNow) {
    auto ring = empty_ring();
    ring->add(kNow - kDay + 1);  // the oldest minute still in the window
    ring->add(kNow);
    EXPECT_EQ(recent(*ring, kNow).size(), 2u);
    EXPECT_EQ(ring->wins_at(kNow - kDay + 1, kNow), 1u);
    // One minute later, the oldest has aged out although nothing overwrote it.
    auto later = recent(*ring, kNow + 1);
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].minute, kNow);
    EXPECT_EQ(ring->wins_at(kNow - kDay + 1, kNow + 1), 0u);
}

TEST(MinuteRing, GapLongerThanADayReadsAsEmpty) {
    auto ring = empty_ring();
    for (int64_t minute = kNow - 100; minute <= kNow; ++minute)
        ring->add(minute, 2);
    EXPECT_EQ(recent(*ring, kNow).size(), 101u);
    // Nothing happened for three days: every old slot reads as 0.
    int64_t much_later = kNow + 3 * kDay + 17;
    EXPECT_TRUE(recent(*ring, much_later).empty());
    ring->add(much_later);
    auto entries = recent(*ring, much_later);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].wins, 1u);
}

TEST(MinuteRing, GapShorterThanADayKeepsWhatIsStillRecent) {
    auto ring = empty_ring();
    ring->add(kNow, 4);
    ring->add(kNow + 600, 1);  // ten hours later
    auto entries = recent(*ring, kNow + 600);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].minute, kNow);
    EXPECT_EQ(entries[0].wins, 4u);
}

TEST(MinuteRing, WrapsAroundTheEndOfTheRing) {
    // Minutes whose slots straddle the last and the first slot of the ring.
    int64_t day_start = (kNow / kDay) * kDay;  // slot 0
    auto ring = empty_ring();
    for (int64_t minute = day_start - 3; minute <= day_start + 2; ++minute)
        ring->add(minute, static_cast<uint64_t>(minute - day_start + 10));
    auto entries = recent(*ring, day_start + 2);
    ASSERT_EQ(entries.size(), 6u);
    for (size_t i = 0; i < entries.size(); ++i) {
        EXPECT_EQ(entries[i].minute, day_start - 3 + static_cast<int64_t>(i));
        EXPECT_EQ(entries[i].wins, static_cast<uint64_t>(entries[i].minute - day_start + 10));
    }
}

TEST(MinuteRing, AFullDayEveryMinute) {
    auto ring = empty_ring();
    for (int64_t minute = kNow - 2 * kDay; minute <= kNow; ++minute)
        ring->add(minute);
    auto entries = recent(*ring, kNow);
    ASSERT_EQ(entries.size(), static_cast<size_t>(kDay));
    EXPECT_EQ(entries.front().minute, kNow - kDay + 1);
    EXPECT_EQ(entries.back().minute, kNow);
    for (const auto& entry : entries)
        ASSERT_EQ(entry.wins, 1u);
}

TEST(MinuteRing, ClockGoingBackIsNotCountedAsTheFuture) {
    auto ring = empty_ring();
    ring->add(kNow + 5);  // written while the clock was ahead
    EXPECT_TRUE(recent(*ring, kNow).empty());  // a minute after now is not "recent"
    EXPECT_EQ(ring->wins_at(kNow + 5, kNow), 0u);
    // Writing the minute that shares its slot a day earlier evicts it.
    ring->add(kNow + 5 - kDay);
    EXPECT_EQ(ring->wins_at(kNow + 5 - kDay, kNow), 1u);
    EXPECT_EQ(ring->wins_at(kNow + 5, kNow + 5), 0u);
}

TEST(MinuteRing, MinutesBeforeTheEpochUseARealModulo) {
    auto ring = empty_ring();
    ring->add(-1);
    ring->add(-kDay - 1);  // same slot, a day earlier: evicts -1
    EXPECT_EQ(ring->wins_at(-1, 0), 0u);
    ring->add(-2);
    EXPECT_EQ(ring->wins_at(-2, 0), 1u);
    auto entries = recent(*ring, 0);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].minute, -2);
}

}  // namespace
}  // namespace mq
