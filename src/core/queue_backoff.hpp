// Retrying Redis and failed batches: the code base's one backoff curve
// (capped_doubling_ms, core/backoff.hpp), plus what the drain's log needs.
#pragma once

#include <cstdint>

namespace mq::queue {

// Delays double from initial_ms up to max_ms; reset() after a success.
class Backoff {
public:
    Backoff(int64_t initial_ms, int64_t max_ms) : initial_ms_(initial_ms), max_ms_(max_ms) {}

    // Records one more failure and returns how long to wait before the next try.
    int64_t next_delay_ms();

    // Forgets the failures: the next delay is initial_ms again.
    void reset() { failures_ = 0; }

    // Failures since the last reset.
    int failures() const { return failures_; }

    // True when the delay just returned is longer than the one before it, i.e.
    // once per backoff step: callers log only then, so a long outage logs a
    // few lines and then one per max_ms, never once per loop.
    bool grew() const { return grew_; }

private:
    int64_t initial_ms_;
    int64_t max_ms_;
    int failures_ = 0;
    int64_t last_delay_ms_ = 0;
    bool grew_ = false;
};

}  // namespace mq::queue
