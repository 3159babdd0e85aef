// Exponential back-off of failed race targets; see backoff.hpp.
#include "core/backoff.hpp"

#include <algorithm>

namespace mq {

int64_t capped_doubling_ms(int failures, int64_t base_ms, int64_t cap_ms) {
    if (failures <= 0 || base_ms <= 0)
        return 0;
    int64_t cap = std::max(cap_ms, base_ms);
    int64_t pause = base_ms;
    // Doubling stops at the cap, so this never overflows however many failures.
    for (int i = 1; i < failures && pause < cap; ++i)
        pause = pause > cap / 2 ? cap : pause * 2;
    return std::min(pause, cap);
}

void TargetBackoff::record_failure(int64_t now_ms) {
    if (consecutive_failures_ < 1000)
        ++consecutive_failures_;
    retry_at_ms_ = now_ms + pause_ms(consecutive_failures_, base_ms_, cap_ms_);
}

}  // namespace mq
