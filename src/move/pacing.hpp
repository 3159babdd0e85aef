// How fast a table sync may write: at most max_rows_per_sec rows a second,
// and not at all while a standby is further behind than
// multiquery.drain_replica_lag_limit (the drain's own limit: a sync is
// heavy write work of the same kind).
#pragma once

#include <cstdint>

#include "core/queue_throttle.hpp"
#include "move/progress.hpp"

namespace mq::move {

class Pacer {
public:
    Pacer(int64_t max_rows_per_sec, ProgressSlot* progress);

    // Waits (interruptibly) until the next chunk may be written.
    void wait_for_turn();
    // Rows written by a chunk.
    void charge(int64_t rows);
    // How many rows a chunk should hold: small enough that a throttled sync
    // writes in short bursts.
    int64_t chunk_rows() const;

private:
    void sleep_ms(int64_t ms);
    bool standbys_behind();

    queue::TokenBucket bucket_;
    int64_t rate_;
    ProgressSlot* progress_;
};

}  // namespace mq::move
