// Capped exponential backoff; see queue_backoff.hpp.
#include "core/queue_backoff.hpp"

#include "core/backoff.hpp"

namespace mq::queue {

int64_t Backoff::next_delay_ms() {
    ++failures_;
    int64_t delay = capped_doubling_ms(failures_, initial_ms_, max_ms_);
    // At the cap every retry counts as a step of its own (max_ms apart).
    grew_ = failures_ == 1 || delay > last_delay_ms_ || delay == max_ms_;
    last_delay_ms_ = delay;
    return delay;
}

}  // namespace mq::queue
