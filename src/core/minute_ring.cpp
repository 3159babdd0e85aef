// The per-minute ring of wins; see minute_ring.hpp.
#include "core/minute_ring.hpp"

#include <cstring>

namespace mq {

int MinuteRing::slot_of(int64_t minute) {
    // A true modulo, so that minutes before the epoch land in the ring too.
    int64_t slot = minute % kSlots;
    return static_cast<int>(slot < 0 ? slot + kSlots : slot);
}

bool MinuteRing::is_recent(int64_t minute, int64_t now_minute) {
    return minute <= now_minute && minute > now_minute - kSlots;
}

void MinuteRing::clear() {
    std::memset(static_cast<void*>(this), 0, sizeof(*this));
}

void MinuteRing::add(int64_t minute, uint64_t wins) {
    Entry& slot = slots_[slot_of(minute)];
    if (slot.minute != minute) {
        slot.minute = minute;
        slot.wins = 0;
    }
    slot.wins += wins;
}

uint64_t MinuteRing::wins_at(int64_t minute, int64_t now_minute) const {
    const Entry& slot = slots_[slot_of(minute)];
    if (slot.minute != minute || !is_recent(minute, now_minute))
        return 0;
    return slot.wins;
}

int MinuteRing::recent(int64_t now_minute, Entry* out) const {
    int written = 0;
    // Oldest first: start just after now's slot and go once round the ring.
    for (int64_t minute = now_minute - kSlots + 1; minute <= now_minute; ++minute) {
        const Entry& slot = slots_[slot_of(minute)];
        if (slot.minute == minute && slot.wins > 0)
            out[written++] = slot;
    }
    return written;
}

}  // namespace mq
