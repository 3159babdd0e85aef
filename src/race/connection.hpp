// The per-backend cache of connections to race targets, and each target's
// circuit breaker. Connections outlive races: a cancelled query is drained
// (and its cancel request seen through) at the start of the next race that
// uses its connection, a connection still
// being made goes on being made, and an idle one is reused. The cache is
// bounded (multiquery.race_max_cached_connections, least recently used closed
// first; multiquery.race_connection_idle_timeout): see CacheScope.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "core/answer_latency.hpp"
#include "core/backoff.hpp"
#include "core/prepared_statements.hpp"
#include "core/repeat_filter.hpp"
#include "core/clock.hpp"
#include "race/target.hpp"

namespace mq::race {


// Where a target's connection is. Only TargetSlot's own methods change it,
// and its cancel bookkeeping goes with it: a cancel is due at a time only
// while kLeftToFinish, and a cancel request's socket is held only in
// kCancelSent, kRollingBack and kDrained (in kCancelSent always). A held
// request may still signal the backend: the connection takes no new query
// before the server has closed its socket (cancel_settled).
enum class ConnectionState : uint8_t {
    kNone,          // no connection
    kConnecting,    // PQconnectPoll in progress
    kIdle,          // ready for a query
    kBusy,          // a race's query is running on it
    kLeftToFinish,  // a loser spared its cancel within its grace: its results
                    // are read, and it is cancelled if still running at cancel_due_us
    kCancelSent,    // its query was cancelled: its results are read, and the
                    // request's socket is held until the server closes it
    kDraining,      // its query is over for us, no cancel out: its results are read
    kRollingBack,   // its query failed inside the read-only block, or its held
                    // snapshot was let go: the ROLLBACK runs
    kDrained,       // all read: fit for the next query once its cancel (if any)
                    // settles and check_after_query passes it
};

// How many losers in a row a target may need cancelled before it is backed
// off as stalled (TargetSlot::note_late_cancel).
inline constexpr int kStalledAfterLateCancels = 3;

// One target's cached state: its connection and its circuit breaker.
class TargetSlot {
public:
    TargetSlot() : backoff(0, 0) {}
    TargetSlot(const TargetSlot&) = delete;
    TargetSlot& operator=(const TargetSlot&) = delete;
    ~TargetSlot() { close(); }

    ConnectionState state() const { return state_; }
    // Draining what a query left: reading its results or its ROLLBACK, or
    // waiting for its cancel request to settle.
    bool draining() const {
        return state_ >= ConnectionState::kLeftToFinish && state_ <= ConnectionState::kDrained;
    }
    // Draining and still reading the query's own results.
    bool reading_results() const {
        return state_ == ConnectionState::kLeftToFinish ||
               state_ == ConnectionState::kCancelSent || state_ == ConnectionState::kDraining;
    }
    // Its query may still be running with no cancel sent: a race's, or a
    // loser left to finish.
    bool may_run_uncancelled() const {
        return state_ == ConnectionState::kBusy || state_ == ConnectionState::kLeftToFinish;
    }
    // When a loser left to finish is to be cancelled (now_us); 0 when no
    // cancel is due.
    int64_t cancel_due_us() const {
        return state_ == ConnectionState::kLeftToFinish ? cancel_at_us_ : 0;
    }
    // The socket of a cancel request sent and not yet seen through, or -1.
    int cancel_socket() const { return cancel_socket_; }
    // What PQconnectPoll last asked for: wait for this before calling it again.
    PostgresPollingStatusType connect_poll() const { return connect_poll_; }
    int64_t connect_started_ms() const { return connect_started_ms_; }
    // By when a draining connection must be drained, or be replaced.
    int64_t drain_deadline_ms() const { return drain_deadline_ms_; }

    // Starts connecting with spec's parameters (kConnecting); false (with
    // *error) if libpq or the file descriptor limit refused. Never blocks.
    bool start_connect(const TargetSpec& spec, std::string* error);
    // Polls a connection being made; PGRES_POLLING_OK leaves it kIdle.
    PostgresPollingStatusType poll_connect();
    // An idle connection was sent a race's pipeline: kBusy.
    void query_sent();
    // Closes the connection and its cancel socket, if any (kNone). Never blocks.
    void close();
    // A connection whose query is not over for us is drained with no cancel
    // (kDraining) until deadline_ms. A cancel request still held is let go.
    void start_draining(int64_t deadline_ms);
    // A busy loser spared its cancel (kLeftToFinish): cancelled at cancel_at_us
    // if it is still running then; drained until deadline_ms.
    void leave_to_finish(int64_t cancel_at_us, int64_t deadline_ms);
    // A busy connection, or a loser left to finish, was sent a cancel
    // request whose socket is cancel_socket (owned from now on): kCancelSent,
    // drained until deadline_ms.
    void cancel_sent(int cancel_socket, int64_t deadline_ms);
    // A request sent between races (late_cancel.cpp) is now the one to see
    // through (owned from now on), in place of any held before; drained
    // until deadline_ms. True when the connection was a loser left to
    // finish: its cancel came past its grace.
    bool take_late_cancel(int cancel_socket, int64_t deadline_ms);
    // Reads whatever results of the connection's query (kBusy or draining)
    // have already arrived, without blocking, then rolls back a read-only
    // block the query's failure left aborted (kRollingBack); kDrained once
    // both are over. False when the connection broke (the caller closes it).
    bool drain_arrived_results();
    // True once no cancel request of this connection's can still reach its
    // server's backend: none was sent, or the server has closed its socket
    // (it has signalled the backend). Never blocks.
    bool cancel_settled();
    // True when an idle connection is still usable: reads what the server may
    // have sent while it sat idle (a termination notice) without blocking.
    bool idle_connection_alive();
    // Checks a connection whose query just ended (kBusy or kDrained) is fit
    // for reuse: kIdle when it is outside any transaction and still
    // read-only, closed otherwise.
    void check_after_query();
    // A loser of this target was cancelled past its grace (at now_ms).
    void note_late_cancel(int64_t now_ms);

    // Snapshots (racing foreign tables, snapshot.hpp): who keeps this
    // connection's REPEATABLE READ transaction open between races, or
    // nullptr. Only that holder's races use the connection meanwhile; other
    // races go to a connection of their own (route_around_snapshots). A
    // held transaction that an error aborted is rolled back to its
    // savepoint (kSnapshotSavepoint) by the drain, keeping its snapshot.
    const void* holder() const { return holder_; }
    // The connection won a race that opened its transaction for holder.
    void hold(const void* holder) { holder_ = holder; }
    // Ends the held transaction without waiting: ROLLBACK is sent now (queued
    // behind a pipeline still in flight) and its answer read by the next race
    // that uses the connection. Never throws.
    void release_hold() noexcept;
    // A held transaction's ROLLBACK (and its sync) went out in a pipeline
    // whose results nobody has read yet: the next race may send its own
    // pipeline right behind it (Race::send_query) instead of waiting.
    bool rollback_in_flight() const {
        return rollback_in_flight_ && state_ == ConnectionState::kRollingBack;
    }
    // The next race took the ROLLBACK's results into its own pipeline.
    void take_rollback_in_flight() { rollback_in_flight_ = false; }
    // Queues ROLLBACK and a sync behind the pipeline in flight, so that the
    // transaction it opened ends as soon as it is over, whoever reads the
    // results; false when the connection broke (the caller closes it).
    bool queue_rollback();

    std::string name;
    PGconn* conn = nullptr;
    // The named statements prepared on this session (multiquery.race_prepared_statements);
    // a reconnect starts with none.
    PreparedStatements statements;
    // The queries seen once on this target: a query is prepared only when it
    // comes back (kept across reconnects: it is about the query, not the session).
    RepeatFilter repeats;
    // An error result was read since the last pipeline went out: the Parses
    // whose outcome was not seen may not have run (PreparedStatements::settle).
    bool pipeline_error = false;
    // How long this target's answers take: a loser's grace derives from it.
    AnswerLatency latency;
    bool password_required = false;
    bool invalidated = false;  // its server or user mapping changed: reconnect
    uint32_t server_hash = 0;
    uint32_t mapping_hash = 0;
    // Its last probe showed replay lag over multiquery.max_replica_lag: it is
    // sent only the probe until one shows it caught up.
    bool lagging = false;
    TargetBackoff backoff;
    // Losers cancelled past their grace since the target last answered
    // (won, or a loser's answer within its grace): a target that keeps
    // needing a cancel is stalled (a replay conflict, a lock, a hung disk),
    // and from kStalledAfterLateCancels on each further one backs it off
    // like a failure (note_late_cancel). Kept across reconnects: it is
    // about the server, not the session.
    int late_cancels_in_row = 0;
    // The cache's bookkeeping: how many running races use this slot (it is
    // then never closed nor dropped by the bounds), and when a race last
    // finished with it (now_ms), for the LRU order and the idle timeout.
    int pins = 0;
    int64_t last_used_ms = 0;

private:
    // Lets go of a cancel request still held and moves to a draining state.
    void enter_drain(ConnectionState state, int64_t deadline_ms);

    ConnectionState state_ = ConnectionState::kNone;
    PostgresPollingStatusType connect_poll_ = PGRES_POLLING_WRITING;
    int64_t connect_started_ms_ = 0;
    int64_t drain_deadline_ms_ = 0;
    // Meaningful only in the states ConnectionState's comment names: -1
    // and 0 in every other.
    int cancel_socket_ = -1;
    int64_t cancel_at_us_ = 0;
    const void* holder_ = nullptr;
    bool rollback_in_flight_ = false;
};

// The savepoint a held transaction takes right after its first query: an
// error later in the transaction is rolled back to it, and the transaction
// reads on with the same snapshot.
inline constexpr const char* kSnapshotSavepoint = "multiquery_snapshot";

// Points each target whose cached connection holds a snapshot (for any
// holder) at a connection of its own: a second cache entry for the same
// target ("lane"), so that no race sends its BEGIN or ROLLBACK into a
// transaction kept open for a statement.
void route_around_snapshots(std::vector<TargetSpec>* targets);

// Ends every transaction held for holder (release_hold). Never throws.
void release_snapshots(const void* holder) noexcept;

// The lifetime of one race, for the cache: its targets' slots are pinned
// (created if need be) and the bounds applied before it connects anything, so
// that older connections make room for its targets, never the reverse; a race
// with more targets than the bound holds them all while it runs. Its end
// stamps them as used and applies the bounds again. Create it before the Race
// and destroy it after.
class CacheScope {
public:
    explicit CacheScope(const std::vector<TargetSpec>& targets);
    CacheScope(const CacheScope&) = delete;
    CacheScope& operator=(const CacheScope&) = delete;
    ~CacheScope();

private:
    std::vector<TargetSlot*> pinned_;
};

// The slot for spec's key, created on first use. Never null.
TargetSlot* find_or_create_slot(const TargetSpec& spec);

// Applies the cache's bounds now: closes connections idle too long and the
// least recently used beyond the bound, forgets targets beyond the map's bound.
void trim_cache();

// Calls visit for every cached slot with its cache key (see TargetSpec::key).
void for_each_slot(const std::function<void(const std::string& key, TargetSlot* slot)>& visit);

// Cancels every busy connection and closes all: at backend exit.
void close_all_connections();

}  // namespace mq::race
