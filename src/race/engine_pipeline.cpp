// What a race sends to each target, in one pipeline, and how the results are
// read back against it. Part of Race (engine.hpp).
//
// Every query goes out as
//     [DEALLOCATE, sync, ...] [probe, sync,] BEGIN TRANSACTION READ ONLY,
//     output formats, [Parse,] query, ROLLBACK, sync
// in one round trip. With multiquery.race_prepared_statements the query is a
// named statement of the connection's (PreparedStatements), parsed in the
// first pipeline that runs it and only bound and executed after that; a
// DEALLOCATE of one it no longer keeps has a sync of its own, so that one
// that never existed fails alone. The explicit read-only block is what keeps the query
// from writing, whatever the session's defaults (a server that does not
// report default_transaction_read_only, a pooler that dropped the startup
// option, a query that turned the default off): a DO block or procedure that
// COMMITs fails inside it (2D000), and SET, set_config, LISTEN or a WITH HOLD
// cursor are undone by the ROLLBACK. A query that returns no rows is a
// utility command, and some (PREPARE) outlive any rollback: its connection
// is closed rather than reused.
//
// The output formats (kOutputFormats) are set for the block alone, so that
// the rows come back in the text the local input functions read the same
// whatever the remote role's or database's DateStyle, IntervalStyle and
// extra_float_digits: the session's own settings, which race_query's callers
// may rely on, are never changed for good.
#include <cstring>
#include <iterator>
#include <memory>

#include "core/error.hpp"
#include "race/engine.hpp"
#include "race/settings.hpp"

namespace mq::race {
namespace {

std::string error_text(PGconn* conn) {
    std::string text = one_line(PQerrorMessage(conn));
    return text.empty() ? "connection lost" : text;
}

std::string field(const PGresult* result, int code) {
    const char* value = PQresultErrorField(result, code);
    return value == nullptr ? std::string() : std::string(value);
}

// True when the server ended the session with its error (FATAL, PANIC) or the
// connection is gone: an error that says nothing about the statement. Read
// from the untranslated severity, never from the message.
bool connection_survived(PGconn* conn, const PGresult* result) {
    std::string severity = field(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    return PQstatus(conn) == CONNECTION_OK && severity != "FATAL" && severity != "PANIC";
}

}  // namespace

// One statement, so that it costs one Parse/Bind/Execute; set_config's third
// argument makes each setting local to the block. DateStyle and
// IntervalStyle are set only when the session, as the server reports them,
// has others: every connection asks for ISO and postgres in its startup
// options (target.cpp), so this costs nothing unless a pooler dropped them.
// extra_float_digits is not reported, so it is always set. Where the server
// has it (14 on), client_connection_check_interval too: a query whose
// connection the race closed (one that overran its cancel, a cancel that
// reached the backend before the query did being ignored) stops within a
// second instead of running to its end; the backend then polls its client's
// socket once a second while the query runs.
std::string Race::output_formats_query(PGconn* conn) const {
    std::string sql = "SELECT pg_catalog.set_config('extra_float_digits', '3', true)";
    const char* date_style = PQparameterStatus(conn, "DateStyle");
    if (date_style == nullptr || std::strncmp(date_style, "ISO", 3) != 0)
        sql += ", pg_catalog.set_config('datestyle', 'ISO', true)";
    const char* interval_style = PQparameterStatus(conn, "IntervalStyle");
    if (interval_style == nullptr || std::strcmp(interval_style, "postgres") != 0)
        sql += ", pg_catalog.set_config('intervalstyle', 'postgres', true)";
    if (PQserverVersion(conn) >= 140000)
        sql += ", pg_catalog.set_config('client_connection_check_interval', '1000', true)";
    return sql + money_setting_;
}

void Race::send_query(Runner* runner) {
    TargetSlot* slot = runner->slot;
    PGconn* conn = slot->conn;
    if (freshness_.max_replica_lag_ms == 0)
        slot->lagging = false;
    bool probed = freshness_.min_lsn != 0 || freshness_.max_replica_lag_ms > 0;
    Pipeline& pipeline = runner->pipeline;
    pipeline.size = 0;
    pipeline.has_query = false;
    runner->at = 0;
    slot->pipeline_error = false;
    int param_count = static_cast<int>(param_values_.size());
    // Decided first, so that a statement evicted to make room is
    // deallocated in this very pipeline.
    PreparedStatements::Use statement;
    using Snapshot = RaceRequest::Snapshot;
    bool inside = request_.snapshot == Snapshot::kInside;
    // A query is prepared once it is known or comes back: one seen for the
    // first time runs unnamed (core/repeat_filter.hpp).
    if (!(probed && slot->lagging) &&
        (slot->statements.knows(request_.query, param_count) ||
         slot->repeats.seen_before(request_.query, param_count) ||
         race_prepared_statements == 0))
        statement = slot->statements.use(request_.query, param_count,
                                         static_cast<size_t>(race_prepared_statements));
    // A snapshot's ROLLBACK still in flight: its results come first.
    if (slot->rollback_in_flight()) {
        pipeline.add(Sent::kRollback, {}, true);
        pipeline.add(Sent::kSync, {}, true);
        slot->take_rollback_in_flight();
    }
    // Inside a held transaction a DEALLOCATE that fails would abort it: the
    // deallocations wait for a pipeline outside one.
    for (std::string& name : inside ? std::vector<std::string>()
                                    : slot->statements.take_deallocations(
                                          kMaxDeallocationsPerPipeline)) {
        pipeline.add(Sent::kDeallocate, std::move(name));
        pipeline.add(Sent::kSync);
    }
    // The probe and its sync first: a transaction of its own, so that the
    // query's snapshot is taken after the probe read the LSN, whatever the
    // server's default isolation. A lagging standby gets only the probe,
    // until one shows it caught up.
    if (probed) {
        pipeline.add(Sent::kProbe);
        pipeline.add(Sent::kSync);
    }
    // A snapshot's first query opens its transaction and ends with a
    // savepoint instead of the ROLLBACK (the same round trip); the reads
    // after it run inside (the block's output formats set again, for a read
    // that fetches money).
    if (!(probed && slot->lagging)) {
        if (!inside)
            pipeline.add(Sent::kBegin);
        pipeline.add(Sent::kOutputFormats, output_formats_query(conn));
        if (statement.prepare)
            pipeline.add(Sent::kPrepare, statement.name);
        pipeline.add(Sent::kQuery, statement.name);
        if (request_.snapshot == Snapshot::kNone)
            pipeline.add(Sent::kRollback);
        else if (!inside)
            pipeline.add(Sent::kSavepoint);
        pipeline.add(Sent::kSync);
    }
    bool sent = PQenterPipelineMode(conn) == 1;
    for (size_t i = 0; sent && i < pipeline.size; ++i) {
        const Item& item = pipeline.items[i];
        if (item.sent_before)
            continue;
        switch (item.sent) {
            case Sent::kDeallocate:
                // Our own generated name: nothing of the caller's is spliced.
                sent = PQsendQueryParams(conn, ("DEALLOCATE " + item.statement).c_str(), 0,
                                         nullptr, nullptr, nullptr, nullptr, 0);
                break;
            case Sent::kProbe:
                sent = PQsendQueryParams(conn, kProbeQuery, 0, nullptr, nullptr, nullptr,
                                         nullptr, 0);
                break;
            case Sent::kBegin:
                // REPEATABLE READ, so that every read of the held transaction
                // sees the snapshot of its first (a standby refuses SERIALIZABLE).
                sent = PQsendQueryParams(conn,
                                         request_.snapshot == Snapshot::kOpen
                                             ? "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE "
                                               "READ, READ ONLY"
                                             : "BEGIN TRANSACTION READ ONLY",
                                         0, nullptr, nullptr, nullptr, nullptr, 0);
                break;
            case Sent::kSavepoint:
                sent = PQsendQueryParams(conn,
                                         (std::string("SAVEPOINT ") + kSnapshotSavepoint).c_str(),
                                         0, nullptr, nullptr, nullptr, nullptr, 0);
                break;
            case Sent::kOutputFormats:
                sent = PQsendQueryParams(conn, item.statement.c_str(), 0, nullptr, nullptr,
                                         nullptr, nullptr, 0);
                break;
            case Sent::kPrepare:
                sent = PQsendPrepare(conn, item.statement.c_str(), request_.query.c_str(),
                                     param_count, nullptr);
                break;
            case Sent::kQuery:
                if (item.statement.empty())
                    sent = PQsendQueryParams(conn, request_.query.c_str(), param_count, nullptr,
                                             param_values_.data(), nullptr, nullptr, 0);
                else
                    sent = PQsendQueryPrepared(conn, item.statement.c_str(), param_count,
                                               param_values_.data(), nullptr, nullptr, 0);
                break;
            case Sent::kRollback:
                sent = PQsendQueryParams(conn, "ROLLBACK", 0, nullptr, nullptr, nullptr, nullptr,
                                         0);
                break;
            case Sent::kSync:
                sent = PQpipelineSync(conn);
                break;
        }
    }
    if (!sent) {
        connection_failed(runner, error_text(conn));
        return;
    }
    slot->query_sent();
    runner->phase = Phase::kSending;
    runner->sent_us = now_us();
}

bool Race::retry_statement(Runner* runner, const std::string& sqlstate) {
    const Item& item = runner->pipeline.items[runner->at];
    bool just_prepared =
        runner->at > 0 && runner->pipeline.items[runner->at - 1].sent == Sent::kPrepare;
    // "cached plan must not change result type" (a column's type changed
    // remotely; right after its Parse it is the query's own error) or
    // "prepared statement does not exist": the statement is stale, not the
    // query.
    bool stale = item.sent == Sent::kQuery && !item.statement.empty() &&
                 ((sqlstate == mq::sqlstate::kFeatureNotSupported && !just_prepared) ||
                  sqlstate == mq::sqlstate::kInvalidSqlStatementName);
    // Its name is taken on the server (a DEALLOCATE that did not run): the
    // name is deallocated and another one prepared.
    bool taken = item.sent == Sent::kPrepare &&
                 sqlstate == mq::sqlstate::kDuplicatePreparedStatement;
    if (!(stale || taken) || runner->statement_retried)
        return false;
    runner->statement_retried = true;
    TargetSlot* slot = runner->slot;
    slot->statements.forget(request_.query, static_cast<int>(param_values_.size()));
    stop_leading(runner);
    // The rest of the pipeline (and the ROLLBACK of its aborted block) is
    // read by the drain, which then sends the query again (advance_drain).
    slot->start_draining(now_ms() + cancel_timeout_ms);
    runner->phase = Phase::kReadying;
    return true;
}

bool Race::take_result(Runner* runner, PGresult* raw) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(raw, PQclear);
    PGconn* conn = runner->slot->conn;
    Sent item = runner->pipeline.items[runner->at].sent;
    ExecStatusType status = raw == nullptr ? PGRES_EMPTY_QUERY : PQresultStatus(raw);
    if (item == Sent::kSync) {
        if (status != PGRES_PIPELINE_SYNC) {
            connection_failed(runner, "unexpected result in the pipeline: " +
                                          std::string(raw == nullptr ? "end of results"
                                                                     : PQresStatus(status)));
            return false;
        }
        if (++runner->at == runner->pipeline.size) {
            finish_pipeline(runner);
            return false;
        }
        return true;
    }
    if (raw == nullptr) {
        // A statement's results are over; the next item's come next.
        ++runner->at;
        // The query's rows one at a time, so that a large result is never
        // held whole by libpq: set now that the query is the pipeline's
        // current statement, before any of its results is parsed.
        if (runner->pipeline.items[runner->at].sent == Sent::kQuery &&
            PQsetSingleRowMode(conn) == 0) {
            connection_failed(runner, "libpq refused single-row mode for the query");
            return false;
        }
        return true;
    }
    switch (item) {
        case Sent::kDeallocate:
            // Gone already or deallocated now: either way it is not kept.
            return true;
        case Sent::kPrepare:
            if (status == PGRES_COMMAND_OK) {
                runner->slot->statements.confirm(runner->pipeline.items[runner->at].statement);
                return true;
            }
            if (status == PGRES_FATAL_ERROR) {
                // Not prepared: the query's own error (syntax, an unknown
                // table), raised or judged as the query's; or its name is
                // taken (retry_statement deallocates that one).
                if (field(raw, PG_DIAG_SQLSTATE) != mq::sqlstate::kDuplicatePreparedStatement)
                    runner->slot->statements.drop(runner->pipeline.items[runner->at].statement);
                handle_result(runner, result.release());
                return runner->phase == Phase::kReceiving;
            }
            break;
        case Sent::kProbe:
            if (status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE) {
                // The probe's one row; in single-row mode an empty result ends it.
                if (PQntuples(raw) > 0)
                    judge_probe(runner, raw);
                return runner->phase == Phase::kReceiving;
            }
            if (status == PGRES_FATAL_ERROR) {
                fail(runner, TargetFailure::Kind::kRemote,
                     "its freshness probe failed: " + one_line(PQresultErrorMessage(raw)),
                     field(raw, PG_DIAG_SQLSTATE));
                return false;
            }
            break;
        case Sent::kBegin:
        case Sent::kOutputFormats:
        case Sent::kSavepoint:
            if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
                return true;
            if (status == PGRES_FATAL_ERROR) {
                // The query after it is skipped; the sync is read by the drain.
                stop_leading(runner);
                runner->slot->start_draining(now_ms() + cancel_timeout_ms);
                fail(runner, TargetFailure::Kind::kRemote,
                     std::string(item == Sent::kBegin ? "its read-only transaction could not begin: "
                                 : item == Sent::kSavepoint
                                     ? "its snapshot could not be kept: "
                                     : "its output formats could not be set: ") +
                         one_line(PQresultErrorMessage(raw)),
                     field(raw, PG_DIAG_SQLSTATE));
                return false;
            }
            break;
        case Sent::kQuery:
            handle_result(runner, result.release());
            return runner->phase == Phase::kReceiving;
        case Sent::kRollback:
            // Whatever it answered, the connection's transaction status after
            // the last sync decides whether it is reused (check_after_query).
            return true;
        case Sent::kSync:
            break;
    }
    connection_failed(runner, "unexpected result in the pipeline: " +
                                  std::string(PQresStatus(status)));
    return false;
}

void Race::finish_pipeline(Runner* runner) {
    TargetSlot* slot = runner->slot;
    if (PQexitPipelineMode(slot->conn) == 0) {
        connection_failed(runner, error_text(slot->conn));
        return;
    }
    // The query won: a snapshot it opened is kept for its holder.
    if (runner->pipeline.has_query && request_.snapshot == RaceRequest::Snapshot::kOpen)
        slot->hold(request_.holder);
    // Still inside a transaction nobody holds, or read-write: closed rather
    // than reused.
    slot->check_after_query();
    // Every Parse's outcome was read on the way.
    slot->statements.settle(!slot->pipeline_error);
    if (!runner->pipeline.has_query) {
        // A lagging standby caught up again: now the real query, probe and all.
        if (slot->state() == ConnectionState::kIdle)
            send_query(runner);
        else
            connect(runner);
        return;
    }
    // Every other outcome of the query (no rows, an error) left the
    // receiving phase when its result was read: the rows are all in.
    end_runner(runner, Phase::kWon);
}

void Race::handle_result(Runner* runner, PGresult* raw) {
    // Owns the result, so that a throwing conversion still frees it.
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(raw, PQclear);
    TargetSlot* slot = runner->slot;
    switch (PQresultStatus(raw)) {
        case PGRES_SINGLE_TUPLE:
        case PGRES_TUPLES_OK:
            if (leader_ == nullptr) {
                leader_ = runner;
                sink_->check_shape(raw, runner->spec->name);
            }
            sink_->add_rows(raw, runner->spec->name);
            return;
        case PGRES_COMMAND_OK: {
            // A utility command: some (PREPARE) leave session state that no
            // ROLLBACK undoes, so the connection is not reused.
            std::string command = PQcmdStatus(raw);
            slot->close();
            end_runner(runner, Phase::kFailed, "the query returned no rows");
            throw Error(mq::sqlstate::kFeatureNotSupported,
                        "race_query needs a query that returns rows",
                        "Race target \"" + runner->spec->name + "\" ran a " + command +
                            " command.",
                        "Send SELECT, VALUES, TABLE or a statement with RETURNING.");
        }
        case PGRES_EMPTY_QUERY:
            slot->close();
            end_runner(runner, Phase::kFailed, "empty query");
            throw Error(mq::sqlstate::kSyntaxError, "race_query's query is empty");
        case PGRES_FATAL_ERROR: {
            std::string sqlstate = field(raw, PG_DIAG_SQLSTATE);
            std::string message = field(raw, PG_DIAG_MESSAGE_PRIMARY);
            if (message.empty())
                message = one_line(PQresultErrorMessage(raw));
            bool survived = connection_survived(slot->conn, raw);
            if (survived && retry_statement(runner, sqlstate))
                return;
            // The query is over on that server; what follows its error is
            // read later, and its aborted block rolled back, by the drain.
            slot->start_draining(now_ms() + cancel_timeout_ms);
            if (classify_remote_error(sqlstate, survived) == FailureKind::kDeterministic) {
                // The query's own error, the same on every target: the race
                // raises it, and no target is blamed.
                end_runner(runner, Phase::kFailed, message);
                std::string hint = field(raw, PG_DIAG_MESSAGE_HINT);
                if (hint.empty())
                    hint = remote_error_hint(sqlstate, survived);
                // As postgres_fdw reports it: the remote context, then where
                // the error came from (the target's name never shows a password).
                Error error(sqlstate, message, field(raw, PG_DIAG_MESSAGE_DETAIL), hint);
                std::string remote_context = field(raw, PG_DIAG_CONTEXT);
                if (!remote_context.empty())
                    error.add_context(remote_context);
                std::string where = "race target \"" + runner->spec->name +
                                    "\", remote SQL command: " + request_.query;
                if (request_.subject != RaceRequest().subject)
                    where = request_.subject + ", " + where;
                error.add_context(where);
                throw error;
            }
            stop_leading(runner);
            fail(runner, TargetFailure::Kind::kRemote, message + " (SQLSTATE " + sqlstate + ")",
                 sqlstate);
            return;
        }
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
            // libpq cannot leave COPY without finishing it: drop the connection.
            slot->close();
            end_runner(runner, Phase::kFailed, "COPY");
            throw Error(mq::sqlstate::kFeatureNotSupported, "race_query does not run COPY",
                        "Race target \"" + runner->spec->name + "\" started a COPY.");
        default:
            connection_failed(runner, one_line(PQresultErrorMessage(raw)));
            return;
    }
}

}  // namespace mq::race
