// The freshness probe of the read-your-writes and lag policies, and how a
// target is judged by its answer. Part of Race (engine.hpp).
#include <cstdlib>
#include <cstring>

#include "race/engine.hpp"
#include "race/settings.hpp"

namespace mq::race {

// The target's own view of its freshness, in one row: whether it is a
// standby; the WAL it has replayed (standby) or inserted (primary: every
// transaction that committed before the probe is in it, whether or not its
// WAL is written yet, so an LSN taken on the primary never judges the primary
// stale); its replay lag in ms. A standby whose WAL receiver runs and that has
// replayed all it received is caught up (lag 0) however old its last replayed
// transaction is (an idle primary writes none); otherwise the lag is the age
// of the last replayed transaction, NULL when none was replayed since start.
const char* const Race::kProbeQuery =
    "SELECT pg_catalog.pg_is_in_recovery(),"
    " CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn()"
    " ELSE pg_catalog.pg_current_wal_insert_lsn() END,"
    " CASE WHEN NOT pg_catalog.pg_is_in_recovery() THEN 0"
    " WHEN EXISTS (SELECT FROM pg_catalog.pg_stat_wal_receiver)"
    " AND pg_catalog.pg_last_wal_replay_lsn() >= pg_catalog.pg_last_wal_receive_lsn() THEN 0"
    " ELSE 1000 * EXTRACT(epoch FROM pg_catalog.clock_timestamp()"
    " - pg_catalog.pg_last_xact_replay_timestamp()) END";

void Race::judge_probe(Runner* runner, const PGresult* result) {
    FreshnessProbe probe;
    std::optional<uint64_t> lsn;
    if (PQntuples(result) == 1 && PQnfields(result) == 3 && !PQgetisnull(result, 0, 0) &&
        !PQgetisnull(result, 0, 1)) {
        probe.in_recovery = std::strcmp(PQgetvalue(result, 0, 0), "t") == 0;
        lsn = parse_lsn(PQgetvalue(result, 0, 1));
        if (!PQgetisnull(result, 0, 2))
            probe.lag_ms = std::strtod(PQgetvalue(result, 0, 2), nullptr);
    }
    if (!lsn) {
        fail(runner, TargetFailure::Kind::kRemote, "its freshness probe returned no LSN");
        return;
    }
    probe.lsn = *lsn;
    // Only the lag moves a target in or out of the lagging set: a target
    // stale for one race's min_lsn may be fine for the next.
    runner->slot->lagging =
        freshness_.max_replica_lag_ms > 0 &&
        judge_freshness(probe, {0, freshness_.max_replica_lag_ms}).kind ==
            FreshnessVerdict::Kind::kLagging;
    FreshnessVerdict verdict = judge_freshness(probe, freshness_);
    if (verdict.kind == FreshnessVerdict::Kind::kFresh)
        return;
    if (!runner->pipeline.has_query) {
        // Nothing else runs there: what is left (the probe's end and sync)
        // is read by the next race; no cancel is sent.
        runner->slot->start_draining(now_ms() + cancel_timeout_ms);
    }
    fail(runner, TargetFailure::Kind::kStale, verdict.reason);
}

}  // namespace mq::race
