// One drain worker's state and one turn of its loop: connect to Redis when
// needed, read a batch from each of its streams (pending entries first, then
// new ones), apply it, acknowledge it, and say how long to sleep.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/queue_backoff.hpp"
#include "core/queue_throttle.hpp"
#include "queue/redis.hpp"

namespace mq::queue {

class Drain {
public:
    explicit Drain(int worker);

    // One turn; returns milliseconds to wait before the next (0: go on at once).
    // Throws on a failure of the local transaction (the caller recovers).
    long run_once();

    // Records a failure that escaped run_once (its transaction already
    // aborted): the stream it was on backs off and re-reads its pending
    // entries. Never throws.
    void failed(const char* sqlstate, const char* message) noexcept;

    // Marks the worker stopped in drain_status (at exit). Never throws.
    void stopped() noexcept;

private:
    struct Stream {
        std::string name;
        int slot = -1;
        bool group_ready = false;
        bool recovering = true;  // pending entries (any consumer's) come before new ones
        std::string claim_cursor = "0-0";
        int64_t retry_at_us = 0;
        Backoff backoff{500, 30000};
        int64_t stats_at_us = 0;
        // The batch being applied, and how often in a row a batch starting at
        // the same entry failed: after multiquery.drain_max_attempts its
        // entries are tried alone (apply_batch's isolate).
        std::string applying_from;
        std::string failing_from;
        int failed_attempts = 0;
    };

    void sync_config(int64_t now_us);
    bool ensure_redis(int64_t now_us, long* wait_ms);
    bool database_ready(int64_t now_us);
    int64_t drain_stream(Stream& stream, int64_t count);
    void refresh_backlog(Stream& stream, int64_t now_us);
    void lose_redis(const RedisError& error, int64_t now_us);
    void set_all_states(const char* state);

    int worker_;
    std::string consumer_;
    std::string group_;
    std::string config_streams_;
    std::vector<Stream> streams_;
    std::unique_ptr<RedisClient> redis_;
    Backoff redis_backoff_{250, 10000};
    int64_t redis_retry_at_us_ = 0;
    TokenBucket bucket_;
    bool database_ready_ = false;
    int64_t database_check_at_us_ = 0;
    int current_ = -1;  // the stream being applied, for failed()
};

// Microseconds on a monotonic clock.
int64_t monotonic_us();

}  // namespace mq::queue
