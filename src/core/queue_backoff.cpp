// Capped exponential backoff; see queue_backoff.hpp.
#include "core/queue_backoff.hpp"

#include <algorithm>

namespace mq::queue {

int64_t Backoff::next_delay_ms() {
    int64_t delay = initial_ms_;
    for (int i = 0; i < failures_ && delay < max_ms_; ++i)
        delay *= 2;
    delay = std::min(delay, max_ms_);
    ++failures_;
    // At the cap every retry counts as a step of its own (max_ms apart).
    grew_ = failures_ == 1 || delay > last_delay_ms_ || delay == max_ms_;
    last_delay_ms_ = delay;
    return delay;
}

}  // namespace mq::queue
