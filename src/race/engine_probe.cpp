// Sending a race's query, and the probe that goes with it under the
// read-your-writes and lag policies. Part of Race (engine.hpp).
#include <cstdlib>
#include <cstring>

#include "race/engine.hpp"
#include "race/settings.hpp"

namespace mq::race {
namespace {

// The target's own view of its freshness, in one row: whether it is a
// standby; the WAL it has replayed (standby) or inserted (primary: every
// transaction that committed before the probe is in it, whether or not its
// WAL is written yet, so an LSN taken on the primary never judges the primary
// stale); its replay lag in ms. A standby whose WAL receiver runs and that has
// replayed all it received is caught up (lag 0) however old its last replayed
// transaction is (an idle primary writes none); otherwise the lag is the age
// of the last replayed transaction, NULL when none was replayed since start.
constexpr const char* kProbeQuery =
    "SELECT pg_catalog.pg_is_in_recovery(),"
    " CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn()"
    " ELSE pg_catalog.pg_current_wal_insert_lsn() END,"
    " CASE WHEN NOT pg_catalog.pg_is_in_recovery() THEN 0"
    " WHEN EXISTS (SELECT FROM pg_catalog.pg_stat_wal_receiver)"
    " AND pg_catalog.pg_last_wal_replay_lsn() >= pg_catalog.pg_last_wal_receive_lsn() THEN 0"
    " ELSE 1000 * EXTRACT(epoch FROM pg_catalog.clock_timestamp()"
    " - pg_catalog.pg_last_xact_replay_timestamp()) END";

std::string error_text(PGconn* conn) {
    std::string text = one_line(PQerrorMessage(conn));
    return text.empty() ? "connection lost" : text;
}

}  // namespace

void Race::send_query(Runner* runner) {
    TargetSlot* slot = runner->slot;
    PGconn* conn = slot->conn;
    if (freshness_.max_replica_lag_ms == 0)
        slot->lagging = false;
    runner->probed = freshness_.min_lsn != 0 || freshness_.max_replica_lag_ms > 0;
    runner->probe_only = runner->probed && slot->lagging;
    runner->step = runner->probed ? Step::kProbe : Step::kQuery;
    runner->rows_complete = false;
    bool sent = true;
    if (runner->probed) {
        // The probe and the query each end with a sync, so each is a
        // transaction of its own, in this order, whatever the server's
        // default isolation: the query's snapshot is taken after the probe
        // read the LSN, so a probe that saw min_lsn replayed means the query
        // sees those writes. One round trip all the same.
        sent = PQenterPipelineMode(conn) && PQsendQueryParams(conn, kProbeQuery, 0, nullptr,
                                                              nullptr, nullptr, nullptr, 0) &&
               PQpipelineSync(conn);
    }
    if (sent && !runner->probe_only) {
        sent = PQsendQueryParams(conn, request_.query.c_str(),
                                 static_cast<int>(param_values_.size()), nullptr,
                                 param_values_.data(), nullptr, nullptr, 0);
        if (sent && runner->probed)
            sent = PQpipelineSync(conn);
        else if (sent)
            // One row at a time, so that a large result is never held whole by libpq.
            PQsetSingleRowMode(conn);
    }
    if (!sent) {
        connection_failed(runner, error_text(conn));
        return;
    }
    slot->state = ConnectionState::kBusy;
    runner->phase = Phase::kSending;
}

bool Race::advance_probe(Runner* runner, PGresult* raw) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(raw, PQclear);
    PGconn* conn = runner->slot->conn;
    ExecStatusType status = raw == nullptr ? PGRES_EMPTY_QUERY : PQresultStatus(raw);
    switch (runner->step) {
        case Step::kProbe:
            // Single-row mode set for an earlier query on this connection is
            // not reset on entering a pipeline: the probe's row may come alone.
            if (status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE) {
                judge_probe(runner, raw);
                if (runner->phase == Phase::kFailed)
                    return false;
                runner->step = Step::kProbeEnd;
                return true;
            }
            if (status == PGRES_FATAL_ERROR) {
                const char* sqlstate = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
                fail(runner, TargetFailure::Kind::kRemote,
                     "its freshness probe failed: " + one_line(PQresultErrorMessage(raw)),
                     sqlstate != nullptr ? sqlstate : "");
                return false;
            }
            break;
        case Step::kProbeEnd:
            if (raw == nullptr) {
                runner->step = Step::kProbeSync;
                return true;
            }
            if (status == PGRES_TUPLES_OK && PQntuples(raw) == 0)
                return true;  // the end of a probe read in single-row mode
            break;
        case Step::kProbeSync:
            if (status != PGRES_PIPELINE_SYNC)
                break;
            if (runner->probe_only) {
                // Caught up again: now the real query, probe and all.
                if (PQexitPipelineMode(conn) == 0)
                    break;
                runner->slot->check_after_query();
                if (runner->slot->state != ConnectionState::kIdle) {
                    connect(runner);
                    return false;
                }
                send_query(runner);
                return false;
            }
            // The query's rows, one at a time (the query is now the pipeline's current one).
            PQsetSingleRowMode(conn);
            runner->step = Step::kQuery;
            return true;
        case Step::kQuerySync:
            if (status != PGRES_PIPELINE_SYNC || PQexitPipelineMode(conn) == 0)
                break;
            finish_query(runner);
            return false;
        case Step::kQuery:
            break;
    }
    connection_failed(runner, "unexpected result in the probe pipeline: " +
                                  std::string(raw == nullptr ? "end of results"
                                                             : PQresStatus(status)));
    return false;
}

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
    if (runner->probe_only) {
        // Nothing else runs there: what is left (the probe's end and sync)
        // is read by the next race; no cancel is sent.
        runner->slot->start_draining(now_ms() + cancel_timeout_ms);
    }
    fail(runner, TargetFailure::Kind::kStale, verdict.reason);
}

}  // namespace mq::race
