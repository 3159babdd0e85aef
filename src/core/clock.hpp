// The one monotonic clock the extension times things with: deadlines,
// backoffs, latencies. Never goes back when the wall clock is set.
#pragma once

#include <chrono>
#include <cstdint>

namespace mq {

// Microseconds on a monotonic clock (its origin means nothing).
inline int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Milliseconds on the same clock.
inline int64_t now_ms() {
    return now_us() / 1000;
}

}  // namespace mq
