// One race: the same query sent to every target at once, the first
// successful answer kept, the others cancelled.
//
// Policies (docs/race_query.md): with a hedge delay the query goes to the
// first target alone, and to the others only when it has not answered in
// time (or failed). With min_lsn or a replica lag bound, each target gets a
// probe of its own LSN and lag in the same pipeline as the query, in a
// transaction of its own before the query's (so the query's snapshot is
// taken after the LSN the probe saw); a target whose probe fails the policy
// drops out before its rows are read.
//
// Every target moves through connecting (or draining what an earlier race
// cancelled), sending, and receiving; all of them are driven from one wait on
// the backend's latch and every target's socket, so that interrupts
// (statement_timeout, pg_cancel_backend, pg_terminate_backend) are served
// while the race waits. The first target to deliver a row (or its whole
// result) leads: its rows stream into the caller's tuplestore while the
// others wait unread; if it then fails transiently its rows are dropped and
// the race goes on with the others.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/freshness.hpp"
#include "core/race_failure.hpp"
#include "race/connection.hpp"
#include "race/result_sink.hpp"
#include "race/target.hpp"

namespace mq::race {

struct RaceRequest {
    std::string query;
    std::vector<std::optional<std::string>> params;  // nullopt: SQL NULL
    int timeout_ms = 0;                              // 0: no limit of its own
    uint64_t min_lsn = 0;         // read-your-writes: 0 = any target's answer counts
    int hedge_delay_ms = 0;       // 0: all at once; kHedgeAuto: the first target's p95
    int max_replica_lag_ms = 0;   // 0: standbys take part however far behind
};

class Race {
public:
    Race(const std::vector<TargetSpec>& targets, const RaceRequest& request, ResultSink* sink);
    Race(const Race&) = delete;
    Race& operator=(const Race&) = delete;
    // Cancels whatever still runs (without blocking) and records the outcomes.
    ~Race();

    // Runs the race until the winner's rows are all in the sink. Throws the
    // remote error of a deterministic failure, or a report naming every
    // target when all failed or time ran out.
    void run();

private:
    enum class Phase { kIdle, kConnecting, kDraining, kSending, kReceiving, kWon, kFailed };
    // Where a pipelined (probed) query is: the probe's result, its end, its
    // sync, the query's results, the query's sync. Unprobed queries stay at kQuery.
    enum class Step { kProbe, kProbeEnd, kProbeSync, kQuery, kQuerySync };

    struct Runner {
        const TargetSpec* spec;
        TargetSlot* slot;
        Phase phase = Phase::kIdle;
        bool entered = false;
        bool reused = false;       // its query went out on a cached connection
        bool reconnected = false;  // a broken cached connection was replaced once
        bool rows_complete = false;
        bool probed = false;      // a probe went out with the query (pipeline mode)
        bool probe_only = false;  // a lagging standby: only the probe went out
        Step step = Step::kQuery;
        uint32_t ready = 0;        // socket events seen by the last wait
        int64_t finished_us = 0;  // when it won or failed
        std::string error;
    };

    void enter(Runner* runner);
    void advance(Runner* runner);
    void advance_connect(Runner* runner);
    void advance_drain(Runner* runner);
    void advance_query(Runner* runner);
    void handle_result(Runner* runner, PGresult* result);
    void send_query(Runner* runner);
    // Takes one result of a probed pipeline before the query's rows; false
    // once the runner has left the receiving phase (failed, or re-sent).
    bool advance_probe(Runner* runner, PGresult* result);
    void judge_probe(Runner* runner, const PGresult* result);
    // The query's results are all read: win if it had rows, reuse the connection.
    void finish_query(Runner* runner);
    // Sends the held targets their query once the hedge delay is over or
    // every entered target failed.
    void maybe_hedge();
    int resolve_hedge_delay(const Runner& first) const;
    void connect(Runner* runner);
    void fail(Runner* runner, TargetFailure::Kind kind, const std::string& reason,
              const std::string& sqlstate = {});
    void connection_failed(Runner* runner, const std::string& reason);
    [[noreturn]] void raise_all_failed(bool timed_out);
    void wait_for_events();
    // Cancels what still runs and records every target's outcome, once.
    void wind_down(bool report_errors);
    bool active(const Runner& runner) const;

    RaceRequest request_;
    ResultSink* sink_;
    std::vector<Runner> runners_;
    std::vector<TargetFailure> failures_;
    std::vector<const char*> param_values_;
    FreshnessPolicy freshness_;
    std::vector<Runner*> held_;  // hedging: not yet sent their query
    int64_t hedge_at_ms_ = 0;
    Runner* leader_ = nullptr;
    Runner* winner_ = nullptr;
    int64_t started_us_;
    int64_t deadline_ms_;  // 0: none
    bool wound_down_ = false;
};

}  // namespace mq::race
