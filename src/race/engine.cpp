// The race state machine and its wait loop; see engine.hpp.
#include "race/engine.hpp"

#include <poll.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/sql_quote.hpp"
#include "pg/guard.hpp"
#include "race/cancel.hpp"
#include "race/settings.hpp"
#include "race/stats.hpp"

extern "C" {
#include "storage/latch.h"
}

namespace mq::race {
namespace {

// How long the end of a race may spend, in total, sending cancel requests.
constexpr int kCancelSendBoundMs = 250;
// How many rows the winner may stream between two looks at interrupts.
constexpr int kRowsBetweenInterruptChecks = 1024;

std::string error_text(PGconn* conn) {
    std::string text = one_line(PQerrorMessage(conn));
    return text.empty() ? "connection lost" : text;
}

// True when conn's socket is ready now for the wanted WL_SOCKET_* event.
bool socket_ready(PGconn* conn, uint32_t wanted) {
    pollfd fd{PQsocket(conn), static_cast<short>(wanted == WL_SOCKET_READABLE ? POLLIN : POLLOUT),
              0};
    return fd.fd >= 0 && poll(&fd, 1, 0) > 0;
}

}  // namespace

Race::Race(const std::vector<TargetSpec>& targets, const RaceRequest& request, ResultSink* sink)
    : request_(request), sink_(sink) {
    for (const auto& param : request_.params)
        param_values_.push_back(param ? param->c_str() : nullptr);
    // Money's text follows lc_monetary: the remote writes it as this side reads it.
    std::string money_locale = sink_ == nullptr ? std::string() : sink_->money_locale();
    if (!money_locale.empty())
        money_setting_ = ", pg_catalog.set_config('lc_monetary', " + quote_literal(money_locale) +
                         ", true)";
    for (const TargetSpec& spec : targets)
        runners_.push_back(Runner{&spec, find_or_create_slot(spec)});
    // A read inside a held snapshot takes it as it is: the race that opened
    // it judged the target's freshness.
    if (request_.snapshot != RaceRequest::Snapshot::kInside)
        freshness_ = {request_.min_lsn, request_.max_replica_lag_ms};
    started_us_ = now_us();
    deadline_ms_ = request_.timeout_ms > 0 ? now_ms() + request_.timeout_ms : 0;
}

Race::~Race() {
    wind_down(false);
}

void Race::run() {
    // A target that failed recently sits out, unless all did: then trying
    // them beats failing without trying.
    int64_t now = now_ms();
    bool any_available = false;
    for (Runner& runner : runners_) {
        runner.slot->backoff.configure(target_backoff_ms, target_backoff_max_ms);
        any_available = any_available || !runner.slot->backoff.backed_off(now);
    }
    std::vector<Runner*> entering;
    for (Runner& runner : runners_) {
        if (any_available && runner.slot->backoff.backed_off(now)) {
            const TargetSlot& slot = *runner.slot;
            std::string why =
                slot.late_cancels_in_row >= kStalledAfterLateCancels
                    ? "stalled (" + std::to_string(slot.late_cancels_in_row) +
                          " losing queries in a row cancelled past their grace)"
                    : "failed " + std::to_string(slot.backoff.consecutive_failures()) +
                          " time(s) in a row";
            failures_.push_back({runner.spec->name, TargetFailure::Kind::kBackedOff, {},
                                 "skipped: " + why + ", backed off for another " +
                                     std::to_string(slot.backoff.retry_at_ms() - now) + " ms"});
            continue;
        }
        entering.push_back(&runner);
    }
    // Hedged start: the first target alone, the others once the delay is over.
    int hedge_delay = entering.size() > 1 ? resolve_hedge_delay(*entering.front()) : 0;
    if (hedge_delay > 0) {
        held_.assign(entering.begin() + 1, entering.end());
        entering.resize(1);
        hedge_at_ms_ = now_ms() + hedge_delay;
    }
    for (Runner* runner : entering)
        enter(runner);
    while (winner_ == nullptr) {
        pg::check_for_interrupts();
        for (Runner& runner : runners_)
            if (active(runner))
                advance(&runner);
        if (winner_ != nullptr)
            break;
        maybe_hedge();
        bool any_active = std::any_of(runners_.begin(), runners_.end(),
                                      [&](const Runner& r) { return active(r); });
        if (!any_active)
            raise_all_failed(false);
        if (deadline_ms_ != 0 && now_ms() >= deadline_ms_)
            raise_all_failed(true);
        wait_for_events();
    }
    wind_down(true);
}

bool Race::active(const Runner& runner) const {
    if (runner.phase == Phase::kHeld || runner.ended())
        return false;
    // While one target streams its rows, the others wait unread.
    return leader_ == nullptr || leader_ == &runner;
}

void Race::enter(Runner* runner) {
    TargetSlot* slot = runner->slot;
    // Only the holder's own reads use a held transaction, and they use
    // nothing else (route_around_snapshots keeps the others away).
    const void* holder =
        request_.snapshot == RaceRequest::Snapshot::kInside ? request_.holder : nullptr;
    if (slot->holder() != holder) {
        fail(runner, TargetFailure::Kind::kConnection,
             holder != nullptr ? "its connection no longer holds the snapshot"
                               : "its connection holds another statement's snapshot");
        return;
    }
    switch (slot->state()) {
        case ConnectionState::kNone:
            connect(runner);
            break;
        case ConnectionState::kConnecting:
            runner->phase = Phase::kReadying;  // made by an earlier race; goes on
            break;
        case ConnectionState::kIdle:
            // A role that lost superuser since the connection was made must
            // not keep using a connection made without a password.
            if (runner->spec->password_required && !PQconnectionUsedPassword(slot->conn))
                slot->close();
            if (slot->conn != nullptr && slot->idle_connection_alive()) {
                runner->origin = Origin::kCached;
                send_query(runner);
            } else {
                connect(runner);
            }
            break;
        case ConnectionState::kBusy:
            // Left running by a race that could not cancel it: treat as cancelled.
            slot->start_draining(now_ms() + cancel_timeout_ms);
            runner->phase = Phase::kReadying;
            break;
        case ConnectionState::kRollingBack:
            // A snapshot's ROLLBACK on its way: the query follows it in the
            // same pipeline, its results read after the ROLLBACK's.
            if (slot->rollback_in_flight() && slot->cancel_socket() < 0 &&
                PQstatus(slot->conn) == CONNECTION_OK &&
                !(runner->spec->password_required && !PQconnectionUsedPassword(slot->conn))) {
                runner->origin = Origin::kCached;
                send_query(runner);
                break;
            }
            runner->phase = Phase::kReadying;
            break;
        case ConnectionState::kLeftToFinish:
        case ConnectionState::kCancelSent:
        case ConnectionState::kDraining:
        case ConnectionState::kDrained:
            runner->phase = Phase::kReadying;
            break;
    }
}

void Race::connect(Runner* runner) {
    // A new connection would read another snapshot.
    if (request_.snapshot == RaceRequest::Snapshot::kInside) {
        runner->slot->close();
        fail(runner, TargetFailure::Kind::kConnection,
             "its connection, which held the snapshot, was lost");
        return;
    }
    std::string error;
    if (!runner->slot->start_connect(*runner->spec, &error)) {
        fail(runner, TargetFailure::Kind::kConnection, one_line(error));
        return;
    }
    runner->phase = Phase::kReadying;
}

void Race::advance(Runner* runner) {
    switch (runner->phase) {
        case Phase::kReadying:
            if (runner->slot->state() == ConnectionState::kConnecting)
                advance_connect(runner);
            else
                advance_drain(runner);
            break;
        case Phase::kSending:
        case Phase::kReceiving:
            advance_query(runner);
            break;
        default:
            break;
    }
    runner->ready = 0;
}

void Race::advance_connect(Runner* runner) {
    TargetSlot* slot = runner->slot;
    uint32_t wanted =
        slot->connect_poll() == PGRES_POLLING_READING ? WL_SOCKET_READABLE : WL_SOCKET_WRITEABLE;
    // libpq may be polled only once the socket is ready for what it asked. A
    // connection left half-made by an earlier race has not been waited on in
    // this one yet: ask the socket directly, so that a long-failed attempt
    // reports its own error rather than a timeout.
    if (!(runner->ready & wanted) && socket_ready(slot->conn, wanted))
        runner->ready |= wanted;
    if (runner->ready & wanted) {
        PostgresPollingStatusType polled = slot->poll_connect();
        if (polled == PGRES_POLLING_FAILED) {
            std::string reason = error_text(slot->conn);
            slot->close();
            fail(runner, TargetFailure::Kind::kConnection, reason);
            return;
        }
        if (polled == PGRES_POLLING_OK) {
            if (slot->password_required && !PQconnectionUsedPassword(slot->conn)) {
                slot->close();
                throw Error(mq::sqlstate::kSreProhibitedSqlStatementAttempted,
                            "password is required",
                            "Race target \"" + runner->spec->name +
                                "\" did not ask for a password; non-superusers may only use "
                                "targets that do.",
                            "The target server's authentication method must be changed.");
            }
            send_query(runner);
            return;
        }
    }
    if (now_ms() - slot->connect_started_ms() >= connect_timeout_ms) {
        slot->close();
        fail(runner, TargetFailure::Kind::kConnection,
             "could not connect within multiquery.connect_timeout (" +
                 std::to_string(connect_timeout_ms) + " ms)");
    }
}

void Race::advance_drain(Runner* runner) {
    TargetSlot* slot = runner->slot;
    bool broken = !slot->drain_arrived_results();
    if (broken) {
        slot->close();
        connect(runner);
        return;
    }
    // A loser an earlier race left to finish, still running past its grace.
    int64_t cancel_due = slot->cancel_due_us();
    if (cancel_due != 0 && now_us() >= cancel_due && !cancel_late_loser(runner))
        return;
    // A cancel request the server has not finished with may still signal
    // the backend, and would cancel the next query sent here: wait for the
    // server to close the request's socket (a signal that finds the backend
    // idle is dropped).
    bool settled = slot->cancel_settled();
    if (slot->state() == ConnectionState::kDrained && settled) {
        slot->check_after_query();
        if (slot->state() == ConnectionState::kIdle)
            send_query(runner);
        else
            connect(runner);
        return;
    }
    if (now_ms() >= slot->drain_deadline_ms()) {
        slot->close();
        // What an earlier statement left running (a cancel that reached its
        // backend before the query did is ignored by the server) is no fault
        // of the target: one fresh connection before it counts as failed. The
        // closed session's query stops within client_connection_check_interval.
        if (runner->origin != Origin::kReplacement) {
            runner->origin = Origin::kReplacement;
            connect(runner);
            return;
        }
        fail(runner, TargetFailure::Kind::kConnection,
             slot->state() == ConnectionState::kDrained
                 ? "its cancel request was not handled within multiquery.cancel_timeout (" +
                       std::to_string(cancel_timeout_ms) + " ms)"
                 : "its cancelled query did not end within multiquery.cancel_timeout (" +
                       std::to_string(cancel_timeout_ms) + " ms)");
    }
}

bool Race::cancel_late_loser(Runner* runner) {
    TargetSlot* slot = runner->slot;
    std::vector<PGconn*> connections{slot->conn};
    std::vector<int> sockets(1);
    send_cancel_requests(connections, kCancelSendBoundMs, &sockets);
    slot->note_late_cancel(now_ms());
    if (sockets[0] >= 0)
        record_late_cancel(runner->spec->name.c_str());
    if (sockets[0] < 0) {
        // Its server takes no cancel now: a fresh connection instead.
        slot->close();
        connect(runner);
        return false;
    }
    slot->cancel_sent(sockets[0], now_ms() + cancel_timeout_ms);
    return true;
}

void Race::advance_query(Runner* runner) {
    PGconn* conn = runner->slot->conn;
    if (runner->phase == Phase::kSending) {
        int flushed = PQflush(conn);
        if (flushed < 0) {
            connection_failed(runner, error_text(conn));
            return;
        }
        if (flushed == 0)
            runner->phase = Phase::kReceiving;
    }
    if (PQconsumeInput(conn) == 0) {
        connection_failed(runner, error_text(conn));
        return;
    }
    int rows = 0;
    while (runner->phase == Phase::kReceiving && !PQisBusy(conn)) {
        if (!take_result(runner, PQgetResult(conn)))
            return;
        if (++rows % kRowsBetweenInterruptChecks == 0) {
            pg::check_for_interrupts();
            if (PQconsumeInput(conn) == 0) {
                connection_failed(runner, error_text(conn));
                return;
            }
        }
    }
}

void Race::connection_failed(Runner* runner, const std::string& reason) {
    stop_leading(runner);
    runner->slot->close();
    // A cached connection may have died while it sat idle (its server
    // restarted, its backend was terminated): that is no fault of the target,
    // so it gets one fresh connection before it counts as failed.
    if (runner->origin == Origin::kCached) {
        runner->origin = Origin::kReplacement;
        connect(runner);
        return;
    }
    fail(runner, TargetFailure::Kind::kConnection, reason);
}

void Race::end_runner(Runner* runner, Phase ending, const std::string& error,
                      const TargetFailure* blame) {
    if (runner->ended())
        return;
    runner->phase = ending;
    runner->finished_us = now_us();
    runner->error = error;
    TargetSlot* slot = runner->slot;
    if (ending == Phase::kWon) {
        slot->latency.record(runner->finished_us - runner->sent_us);
        slot->backoff.record_success();
        slot->late_cancels_in_row = 0;
        winner_ = runner;
        return;
    }
    if (blame == nullptr)
        return;
    // Staleness is no fault of the connection (a stale standby is judged
    // afresh by the next race's probe), nor is the race's own deadline. A
    // read inside a snapshot judges only that connection (a terminated
    // backend, an idle timeout): the next race judges the target afresh.
    if (blame->kind != TargetFailure::Kind::kStale && blame->kind != TargetFailure::Kind::kTimeout &&
        request_.snapshot != RaceRequest::Snapshot::kInside)
        slot->backoff.record_failure(now_ms());
    failures_.push_back(*blame);
}

void Race::fail(Runner* runner, TargetFailure::Kind kind, const std::string& reason,
                const std::string& sqlstate) {
    TargetFailure failure{runner->spec->name, kind, sqlstate, reason};
    end_runner(runner, Phase::kFailed, reason, &failure);
}

void Race::stop_leading(Runner* runner) {
    if (leader_ != runner)
        return;
    sink_->clear();
    leader_ = nullptr;
}

void Race::raise_all_failed(bool timed_out) {
    if (timed_out)
        for (Runner& runner : runners_)
            if (runner.phase != Phase::kHeld && !runner.ended())
                fail(&runner, TargetFailure::Kind::kTimeout,
                     "no answer within " + std::to_string(request_.timeout_ms) + " ms");
    RaceFailureReport report = summarize_race_failure(failures_, request_.subject);
    // The target whose snapshot the statement reads cannot answer: another
    // would mix its snapshot in. The caller retries instead.
    if (request_.snapshot == RaceRequest::Snapshot::kInside)
        throw Error(mq::sqlstate::kSerializationFailure,
                    "could not finish " + request_.subject +
                        ": the race target that holds its snapshot failed",
                    report.detail, request_.snapshot_hint);
    throw Error(report.sqlstate, report.message, report.detail,
                timed_out ? "Raise timeout_ms or multiquery.race_timeout, or check the targets."
                          : std::string());
}

void Race::end_losers_transactions() {
    for (Runner& runner : runners_) {
        TargetSlot* slot = runner.slot;
        if (&runner == winner_ || runner.phase == Phase::kHeld || slot->conn == nullptr ||
            PQpipelineStatus(slot->conn) == PQ_PIPELINE_OFF)
            continue;
        // Only a pipeline that began the transaction (not a lagging
        // standby's probe alone, not an earlier query being drained).
        bool began = false;
        for (size_t i = 0; i < runner.pipeline.size; ++i)
            began = began || runner.pipeline.items[i].sent == Sent::kBegin;
        if (!began || runner.phase == Phase::kReadying)
            continue;
        // A loser whose whole answer is in is ended by the drain (its
        // ROLLBACK then goes out at once).
        if (!slot->drain_arrived_results()) {
            slot->close();
            continue;
        }
        if (slot->state() == ConnectionState::kRollingBack ||
            slot->state() == ConnectionState::kDrained)
            continue;
        if (!slot->queue_rollback())
            slot->close();
    }
}

void Race::wind_down(bool report_errors) {
    if (wound_down_)
        return;
    wound_down_ = true;
    try {
        // Cancel every query still running, all at once and never waiting
        // long: a target that cannot take a cancel now loses its connection.
        // A race that has a winner spares its losers that are still within
        // their grace (multiquery.race_cancel_grace): a cancel costs their
        // server a forked process and their connection a wait, while an
        // answer due within moments costs nothing but being read and dropped
        // by the next race that uses the connection, which also cancels it
        // if it is still running past its grace by then (as does a timeout
        // between races: late_cancel.hpp). A race abandoned (an error, an
        // interrupt) cancels at once.
        if (request_.snapshot == RaceRequest::Snapshot::kOpen)
            end_losers_transactions();
        int64_t grace_bound_us = winner_ != nullptr ? int64_t{race_cancel_grace_ms} * 1000 : 0;
        int64_t now_at = now_us();
        std::vector<Runner*> running;
        std::vector<PGconn*> connections;
        for (Runner& runner : runners_) {
            if (runner.phase == Phase::kHeld || runner.slot->state() != ConnectionState::kBusy ||
                runner.phase == Phase::kWon)
                continue;
            // A loser whose whole answer has already arrived needs no cancel:
            // sparing one spares its server a forked cancel handler.
            TargetSlot* slot = runner.slot;
            if (slot->drain_arrived_results() && slot->state() == ConnectionState::kDrained) {
                slot->latency.record(now_at - runner.sent_us);
                slot->check_after_query();
                continue;
            }
            // Its query is over (it failed); only its block's ROLLBACK runs.
            if (slot->state() == ConnectionState::kRollingBack)
                continue;
            int64_t cancel_at = runner.sent_us + slot->latency.grace_us(grace_bound_us);
            if (grace_bound_us > 0 && now_at < cancel_at) {
                slot->leave_to_finish(cancel_at, cancel_at / 1000 + cancel_timeout_ms);
                continue;
            }
            running.push_back(&runner);
            connections.push_back(slot->conn);
        }
        // Each request's socket stays with its connection, which takes no new
        // query before the server has closed it (engine: advance_drain). A
        // cancel counts once its request is written.
        std::vector<int> sockets(connections.size());
        send_cancel_requests(connections, kCancelSendBoundMs, &sockets);
        int64_t now = now_ms();
        for (size_t i = 0; i < running.size(); ++i) {
            TargetSlot* slot = running[i]->slot;
            if (sockets[i] >= 0) {
                slot->cancel_sent(sockets[i], now + cancel_timeout_ms);
                end_runner(running[i], Phase::kCancelled);
            } else {
                slot->close();
            }
        }
        // A query that failed left its read-only block aborted: read what
        // has arrived, so that its ROLLBACK goes out now rather than at this
        // backend's next race (the session would sit "idle in transaction
        // (aborted)" until then).
        for (Runner& runner : runners_) {
            TargetSlot* slot = runner.slot;
            if (runner.phase != Phase::kHeld && slot->reading_results() &&
                slot->conn != nullptr && !slot->drain_arrived_results())
                slot->close();
        }
        for (Runner& runner : runners_) {
            if (runner.phase == Phase::kHeld)
                continue;
            // A target sent a cancel request ended as cancelled above; any
            // other that did not win or fail is lost (an abandoned race's
            // target still connecting, a loser left to finish).
            end_runner(&runner, Phase::kLost);
            Outcome outcome = runner.phase == Phase::kWon       ? Outcome::kWin
                              : runner.phase == Phase::kFailed    ? Outcome::kError
                              : runner.phase == Phase::kCancelled ? Outcome::kCancelled
                                                                  : Outcome::kLost;
            record_outcome(runner.spec->name.c_str(), outcome, runner.finished_us - started_us_,
                           runner.error.empty() ? nullptr : runner.error.c_str());
        }
    } catch (...) {
        // From the destructor the race is ending with an error already: a
        // failure to record statistics must not replace the one the caller gets.
        if (report_errors)
            throw;
    }
}

}  // namespace mq::race
