// See answer_latency.hpp.
#include "core/answer_latency.hpp"

#include <algorithm>
#include <cstdlib>

namespace mq {

void AnswerLatency::record(int64_t latency_us) {
    latency_us = std::max<int64_t>(0, latency_us);
    if (!seen_) {
        mean_us_ = latency_us;
        deviation_us_ = latency_us / 2;
        seen_ = true;
        return;
    }
    // RFC 6298's gains: 1/4 for the deviation, 1/8 for the mean.
    deviation_us_ += (std::llabs(latency_us - mean_us_) - deviation_us_) / 4;
    mean_us_ += (latency_us - mean_us_) / 8;
}

int64_t AnswerLatency::grace_us(int64_t bound_us) const {
    if (bound_us <= 0)
        return 0;
    if (!seen_)
        return bound_us;
    return std::min(bound_us, mean_us_ + 4 * deviation_us_ + kSlackUs);
}

}  // namespace mq
