// Token bucket; see queue_throttle.hpp.
#include "core/queue_throttle.hpp"

#include <algorithm>
#include <cmath>

namespace mq::queue {

void TokenBucket::set_rate(int64_t rate_per_sec, int64_t now_us) {
    rate_ = std::max<int64_t>(rate_per_sec, 0);
    burst_ = std::max(1.0, static_cast<double>(rate_) / 10.0);
    if (started_)
        refill(now_us);
    tokens_ = std::min(tokens_, burst_);
}

void TokenBucket::refill(int64_t now_us) {
    if (!started_) {
        started_ = true;
        last_us_ = now_us;
        tokens_ = burst_;
        return;
    }
    if (now_us > last_us_) {
        tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_us - last_us_) *
                                                 static_cast<double>(rate_) / 1e6);
        last_us_ = now_us;
    }
}

int64_t TokenBucket::allowance(int64_t max_rows, int64_t now_us) {
    if (rate_ == 0)
        return max_rows;
    refill(now_us);
    if (tokens_ < 1.0)
        return 0;
    return std::min<int64_t>(max_rows, static_cast<int64_t>(std::floor(tokens_)));
}

void TokenBucket::charge(int64_t rows, int64_t now_us) {
    if (rate_ == 0)
        return;
    refill(now_us);
    tokens_ -= static_cast<double>(rows);
}

int64_t TokenBucket::wait_us(int64_t now_us) {
    if (rate_ == 0)
        return 0;
    refill(now_us);
    if (tokens_ >= 1.0)
        return 0;
    return static_cast<int64_t>(std::ceil((1.0 - tokens_) * 1e6 / static_cast<double>(rate_)));
}

}  // namespace mq::queue
