// A token bucket that keeps the drain under multiquery.drain_max_rows_per_sec.
#pragma once

#include <cstdint>

namespace mq::queue {

// Tokens are rows. They accrue at rate_per_sec up to a burst of a tenth of a
// second's worth (at least one), so any 10-second window stays within about 1%
// of the rate. Rows are charged after they are applied, so an entry carrying
// many rows may overdraw the bucket; the debt is then paid by waiting.
// Times are caller-supplied microseconds on a monotonic clock. A rate of 0
// means unlimited.
class TokenBucket {
public:
    explicit TokenBucket(int64_t rate_per_sec = 0) { set_rate(rate_per_sec, 0); }

    // Changes the rate (on SIGHUP); keeps the tokens, clamped to the new burst.
    void set_rate(int64_t rate_per_sec, int64_t now_us);

    // How many rows may be read now (0 when the caller must wait), at most max_rows.
    int64_t allowance(int64_t max_rows, int64_t now_us);

    // Charges rows that were applied.
    void charge(int64_t rows, int64_t now_us);

    // Microseconds until at least one row may be read (0 when one may now).
    int64_t wait_us(int64_t now_us);

    int64_t rate() const { return rate_; }

private:
    void refill(int64_t now_us);

    int64_t rate_ = 0;
    double tokens_ = 0;
    double burst_ = 0;
    int64_t last_us_ = 0;
    bool started_ = false;
};

}  // namespace mq::queue
