// Wins per minute over the last 24 hours, as a ring of 1440 slots: plain data
// so that it can live in shared memory and be copied with memcpy.
//
// A minute is a whole number of minutes since some epoch (the caller's clock).
// Each slot remembers which minute it counts, so a slot last written a day or
// more ago reads as 0 instead of being mistaken for today's: the ring needs no
// sweeping when time jumps over a gap, and no minute is ever counted twice.
#pragma once

#include <cstdint>
#include <type_traits>

namespace mq {

class MinuteRing {
public:
    static constexpr int kSlots = 24 * 60;

    // One minute's count, as read back.
    struct Entry {
        int64_t minute;
        uint64_t wins;
    };

    // Forgets every count. A zero-filled ring is also empty.
    void clear();
    // Adds wins to the given minute. Writing a minute evicts whatever minute
    // last used its slot, whether older (time moved on) or newer (the clock
    // went back).
    void add(int64_t minute, uint64_t wins = 1);
    // The count of one minute, as seen at now_minute: 0 unless that minute is
    // within the last kSlots minutes (now_minute included) and still in its slot.
    uint64_t wins_at(int64_t minute, int64_t now_minute) const;
    // Writes the minutes with wins within the last kSlots minutes, oldest
    // first, into out (room for kSlots entries); returns how many it wrote.
    int recent(int64_t now_minute, Entry* out) const;

private:
    static int slot_of(int64_t minute);
    static bool is_recent(int64_t minute, int64_t now_minute);

    Entry slots_[kSlots];
};

static_assert(std::is_trivially_copyable_v<MinuteRing>,
              "the ring lives in shared memory and is copied with memcpy");
static_assert(std::is_standard_layout_v<MinuteRing>);

}  // namespace mq
