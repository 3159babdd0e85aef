// How long a race target's answers usually take, and from that how long a
// query that lost a race is left to finish before it is cancelled.
//
// A cancel is expensive for the loser's server (a TCP connection and a forked
// process to serve it) and for the loser's connection, which takes no new
// query before the request is seen through; a loser that will answer within
// moments is cheaper left alone, its answer read and dropped by the next race
// that uses its connection. The grace follows the target's own latency the
// way TCP's retransmission timeout follows the round trip: a smoothed mean
// plus four smoothed deviations, plus a fixed slack for scheduling noise on
// a busy host, never more than the bound (multiquery.race_cancel_grace).
#pragma once

#include <cstdint>

namespace mq {

class AnswerLatency {
public:
    // One answer that took latency_us from sending to its last result.
    void record(int64_t latency_us);
    // The smoothed latency, or 0 before the first answer.
    int64_t typical_us() const { return mean_us_; }
    // How long after its query went out a loser may run before it is
    // cancelled: bound_us without any history yet, 0 when bound_us is 0.
    int64_t grace_us(int64_t bound_us) const;

    // Scheduling noise allowed on top of the latency's own spread.
    static constexpr int64_t kSlackUs = 1000;

private:
    int64_t mean_us_ = 0;
    int64_t deviation_us_ = 0;
    bool seen_ = false;
};

}  // namespace mq
