// One drain worker's state and one turn of its loop: connect to Redis when
// needed, read a batch from each of its streams (from the committed
// progress), apply it, and say how long to sleep.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/drain_state.hpp"
#include "core/queue_backoff.hpp"
#include "core/queue_throttle.hpp"
#include "core/queue_stream_id.hpp"
#include "queue/apply.hpp"
#include "queue/redis.hpp"
#include "queue/redis_master.hpp"

namespace mq::queue {

class Drain {
public:
    explicit Drain(int worker);

    // One turn; returns milliseconds to wait before the next (0: go on at once).
    // Throws on a failure of the local transaction (the caller recovers).
    long run_once();

    // Records a failure that escaped run_once (its transaction already
    // aborted): the stream it was on backs off and re-reads its uncommitted
    // entries. Never throws.
    void failed(const char* sqlstate, const char* message) noexcept;

    // Marks the worker stopped in drain_status (at exit). Never throws.
    void stopped() noexcept;

    // The stream the worker is working on, for the context of its messages
    // (left set when an error escapes, until failed() or the next turn), or
    // nullptr. Never throws.
    const char* working_stream() const noexcept;

private:
    // A commit of the stream's progress up to last, ending at commit_lsn.
    struct CommitPoint {
        uint64_t commit_lsn;
        StreamId last;
        int64_t committed_us;
    };
    // What XINFO says of a stream and of our group on it. The counts are
    // Redis 7's (-1 before it, and entries_read while Redis does not know
    // it: after XGROUP SETID, or with entries deleted ahead of the group).
    struct StreamInfo {
        StreamId last_generated;
        StreamId max_deleted;
        StreamId group_last_delivered;
        int64_t entries_added = -1;       // every entry ever added to the stream
        int64_t group_entries_read = -1;  // every entry the group was given
        int64_t group_lag = -1;
    };
    static constexpr size_t kMaxUnsafePoints = 256;

    struct Stream {
        std::string name;
        int slot = -1;
        // Reading from the group is set up and rewound to the committed
        // progress; false after anything that may have lost our place.
        bool group_ready = false;
        // Committed batches whose commit may not be on every standby yet:
        // their entries stay in Redis until it is (trim()).
        std::deque<CommitPoint> unsafe;
        StreamId trimmed_to;
        bool show_running = false;  // the next successful read shows kRunning
        int64_t retry_at_us = 0;
        Backoff backoff{500, 30000};
        int64_t stats_at_us = 0;
        // The batch being applied, and how often in a row a batch starting at
        // the same entry failed: after multiquery.drain_max_attempts its
        // entries are tried alone (apply_batch's isolate).
        std::string applying_from;
        std::string failing_from;
        int failed_attempts = 0;
        // Pipelined on the connection (a worker with one stream): the next
        // read, sent while a batch is applied; its reply is read at the next
        // turn.
        bool read_sent = false;
        // Entries a read asks for at most, after a reply went over the
        // read's byte budget (0: the batch size). Doubles back after each
        // read that fit.
        int64_t read_cap = 0;
    };

    void sync_config(int64_t now_us);
    bool ensure_redis(int64_t now_us, long* wait_ms);
    bool database_ready(int64_t now_us);
    int64_t drain_stream(Stream& stream, int64_t count);
    std::vector<std::string> read_command(const Stream& stream, int64_t count) const;
    // Reads and drops every reply in flight; a stream whose read is dropped
    // is rewound before it reads again.
    void settle();
    // Drops the connection: every stream is rewound on the next one.
    void forget_redis();
    // Sets the group's read position to the stream's committed progress.
    void rewind(Stream& stream);
    StreamInfo stream_info(const std::string& stream);
    // How many entries the group had been given up to and with committed,
    // from its count at its last entry; -1 when that cannot be known.
    int64_t entries_given_up_to(const std::string& stream, const StreamId& committed,
                                const StreamInfo& info);
    // Warns when the stream lacks entries the committed progress expects;
    // given: entries the group had been given up to committed (-1: not known).
    void report_gaps(Stream& stream, const StreamId& committed, const StreamInfo& info,
                     int64_t given);
    // How many entries after committed were deleted from the stream; -1
    // when that cannot be known.
    int64_t entries_deleted_after(const std::string& stream, const StreamId& committed,
                                  const StreamInfo& info, int64_t given);
    void remember_commit(Stream& stream, const BatchResult& result);
    // Removes applied entries whose commit every standby has (XTRIM MINID).
    void trim(int64_t now_us);
    // True while a standby is further behind than drain_replica_lag_limit
    // (looked up at most every kLagCheckIntervalUs).
    bool replicas_behind(int64_t now_us);
    void refresh_backlog(Stream& stream, int64_t now_us);
    // Warns when entries left the stream before the group was given them;
    // returns how many (0: none, or not known).
    int64_t report_removed_unread(Stream& stream, const StreamInfo& info);
    void lose_redis(const RedisError& error, int64_t now_us);
    void set_all_states(DrainState state);

    int worker_;
    std::string consumer_;
    std::string group_;
    std::string config_streams_;
    std::vector<Stream> streams_;
    std::unique_ptr<RedisClient> redis_;
    RedisConfig redis_config_;        // the settings redis_ was made with
    SentinelConfig redis_sentinel_;
    Backoff redis_backoff_{250, 10000};
    int64_t redis_retry_at_us_ = 0;
    int64_t trim_at_us_ = 0;
    int64_t lag_check_at_us_ = 0;
    bool replicas_behind_ = false;
    TokenBucket bucket_;
    bool database_ready_ = false;
    int64_t database_check_at_us_ = 0;
    int current_ = -1;  // the stream being applied, for failed()
    int working_ = -1;  // the stream worked on, for working_stream()
};


}  // namespace mq::queue
