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


enum class ConnectionState {
    kNone,        // no connection
    kConnecting,  // PQconnectPoll in progress
    kIdle,        // ready for a query
    kBusy,        // a race's query is running on it
    kDraining,    // its query ended or was cancelled: its results are to be read, and
                  // its cancel request (if any) confirmed, before it takes another
};

// How many losers in a row a target may need cancelled before it is backed
// off as stalled (TargetSlot::note_late_cancel).
inline constexpr int kStalledAfterLateCancels = 3;

// One target's cached state: its connection and its circuit breaker.
struct TargetSlot {
    TargetSlot() : backoff(0, 0) {}
    TargetSlot(const TargetSlot&) = delete;
    TargetSlot& operator=(const TargetSlot&) = delete;
    ~TargetSlot() { close(); }

    // Starts connecting with spec's parameters; false (with *error) if libpq or
    // the file descriptor limit refused. Never blocks.
    bool start_connect(const TargetSpec& spec, std::string* error);
    // Closes the connection and its cancel socket, if any. Never blocks.
    void close();
    // Moves a connection whose query is not over for us to kDraining, until
    // deadline_ms; cancel_socket (owned from now on) is where its cancel
    // request went, or -1 when none was sent; cancel_at_us, when not 0, is
    // when to cancel a query left to finish if it is still running then.
    void start_draining(int64_t deadline_ms, int cancel_socket = -1, int64_t cancel_at_us = 0);
    // Reads whatever results of the connection's query have already arrived,
    // without blocking, then rolls back a read-only block the query's failure
    // left aborted; drain is kDone once both are over. False when the
    // connection broke (the caller closes it).
    bool drain_arrived_results();
    // True once no cancel request of this connection's can still reach its
    // server's backend: none was sent, or the server has closed its socket
    // (it has signalled the backend). Never blocks.
    bool cancel_settled();
    // True when an idle connection is still usable: reads what the server may
    // have sent while it sat idle (a termination notice) without blocking.
    bool idle_connection_alive();
    // Checks a connection whose query just ended is fit for reuse: outside any
    // transaction and still read-only; closes it otherwise.
    void check_after_query();
    // A loser of this target was cancelled past its grace (at now_ms).
    void note_late_cancel(int64_t now_ms);

    std::string name;
    PGconn* conn = nullptr;
    ConnectionState state = ConnectionState::kNone;
    // What PQconnectPoll last asked for: wait for this before calling it again.
    PostgresPollingStatusType connect_poll = PGRES_POLLING_WRITING;
    int64_t connect_started_ms = 0;
    int64_t drain_deadline_ms = 0;
    // While draining, what is left before the connection is idle again: the
    // results of its query (kResults), then, when the query failed, the
    // ROLLBACK of the read-only block it aborted (kRollback). Its cancel
    // request, if any, is seen through apart (cancel_settled).
    enum class DrainStep : uint8_t { kResults, kRollback, kDone };
    DrainStep drain = DrainStep::kResults;
    // The socket of a cancel request sent and not yet confirmed, or -1. A
    // signal still in flight would cancel the next query on this connection.
    int cancel_socket = -1;
    // While draining a loser that was not cancelled (multiquery.race_cancel_grace):
    // when (now_us) to cancel it if its answer is not all in by then; 0 = none due.
    int64_t cancel_at_us = 0;
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
};

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
