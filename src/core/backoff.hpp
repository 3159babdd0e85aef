// The circuit breaker of one race target: after a transient failure the
// target is skipped for a while, twice as long after each further failure.
#pragma once

#include <cstdint>

namespace mq {

// The pause after `failures` consecutive failures: base_ms after the first,
// doubling after each further one, never over cap_ms (nor under base_ms);
// 0 without failures or with base_ms 0. The one backoff curve of the code
// base: race targets and the drain's retries both use it.
int64_t capped_doubling_ms(int failures, int64_t base_ms, int64_t cap_ms);

class TargetBackoff {
public:
    // base_ms: the pause after the first failure (0 disables backing off);
    // cap_ms: the longest pause, however many failures follow.
    TargetBackoff(int64_t base_ms, int64_t cap_ms) : base_ms_(base_ms), cap_ms_(cap_ms) {}

    // Changes the pause lengths (the GUCs may change between races).
    void configure(int64_t base_ms, int64_t cap_ms) {
        base_ms_ = base_ms;
        cap_ms_ = cap_ms;
    }

    // A transient failure at now_ms: backs the target off.
    void record_failure(int64_t now_ms);

    // A success: the target is healthy again and the next failure starts over.
    void record_success() {
        consecutive_failures_ = 0;
        retry_at_ms_ = 0;
    }

    // True while the target should be skipped. Configuring a zero base turns
    // back-off off at once, for pauses already under way too.
    bool backed_off(int64_t now_ms) const { return base_ms_ > 0 && now_ms < retry_at_ms_; }

    // When the target may be tried again (0 when never backed off).
    int64_t retry_at_ms() const { return retry_at_ms_; }
    int consecutive_failures() const { return consecutive_failures_; }

    // The pause after the given number of consecutive failures.
    static int64_t pause_ms(int failures, int64_t base_ms, int64_t cap_ms) {
        return capped_doubling_ms(failures, base_ms, cap_ms);
    }

private:
    int64_t base_ms_;
    int64_t cap_ms_;
    int consecutive_failures_ = 0;
    int64_t retry_at_ms_ = 0;
};

}  // namespace mq
