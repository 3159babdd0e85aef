// The race's GUCs, read by the engine at the start of each race.
#pragma once

#include <cstdint>

namespace mq::race {

// multiquery.race_timeout: how long a race waits for an answer (ms, 0 = no
// limit beyond statement_timeout); race_query's timeout_ms overrides it.
extern int race_timeout_ms;
// multiquery.connect_timeout: how long one target may take to connect (ms).
extern int connect_timeout_ms;
// multiquery.cancel_timeout: how long a cancelled target has to give its
// connection back before it is closed and backed off (ms).
extern int cancel_timeout_ms;
// multiquery.race_cancel_grace: the longest a query that lost a race is left
// to finish before it is cancelled (ms; 0 = cancel at once). Within it each
// target's own grace follows its recent latency (core/answer_latency.hpp).
extern int race_cancel_grace_ms;
// multiquery.race_prepared_statements: how many of its queries each cached
// connection keeps as named prepared statements on its server (0 = none: every
// query is parsed and planned remotely each time).
extern int race_prepared_statements;
// multiquery.target_backoff / target_backoff_max: how long a failed target is
// skipped after its first failure, doubling up to the maximum (ms; 0 = never).
extern int target_backoff_ms;
extern int target_backoff_max_ms;
// multiquery.hedge_delay: how long a race waits for its first target before
// sending to the others (ms; 0 = all at once; kHedgeAuto = the first target's
// recent p95). Parsed from the string setting by its check hook.
constexpr int kHedgeAuto = -1;
extern int hedge_delay_ms;
// multiquery.max_replica_lag: the replay lag beyond which a standby sits out
// of races until a probe shows it caught up (ms; 0 = off).
extern int max_replica_lag_ms;

// multiquery.race_max_cached_connections: how many connections to race
// targets one backend keeps open between races (the least recently used is
// closed first; a running race's own connections count but are never closed).
extern int race_max_cached_connections;
// multiquery.race_connection_idle_timeout: how long a cached connection may
// sit unused before it is closed (ms; 0 = never). Applied when a race starts
// and ends and when race_connections() lists the cache.
extern int race_connection_idle_timeout_ms;
// multiquery.min_lsn: read-your-writes for every raced read of the session
// (race_query without its min_lsn argument, racing foreign tables): a target
// answers only once it has replayed this WAL position (0 = off).
extern uint64_t session_min_lsn;
// multiquery.min_lsn = 'local': at least as fresh as this server when the
// race starts (session_min_lsn is then 0).
extern bool session_min_lsn_local;

// The min_lsn a race takes from multiquery.min_lsn: the LSN set, or with
// 'local' this server's replayed (standby) or inserted (primary) position.
uint64_t min_lsn_for_race();

// multiquery.race_snapshot: kSnapshotStatement (the default) reads every
// raced scan of a statement (of a transaction under REPEATABLE READ or
// SERIALIZABLE) on one race group from the snapshot of the target that
// answered its first; kSnapshotScan races every scan on its own.
constexpr int kSnapshotStatement = 0;
constexpr int kSnapshotScan = 1;
extern int race_snapshot;

// Parses a hedge delay as multiquery.hedge_delay takes it: 'auto', or a
// duration with an optional unit ('10ms', '1s', '0'; a bare number is ms).
// Returns false (with *hint possibly set) when it is neither.
bool parse_hedge_delay(const char* text, int* delay_ms, const char** hint);

// Registers the GUCs above.
void define_settings();

}  // namespace mq::race
