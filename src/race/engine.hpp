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
// Every query runs inside BEGIN TRANSACTION READ ONLY ... ROLLBACK, sent
// with it in one pipeline (engine_pipeline.cpp): it cannot write, and leaves
// nothing transactional behind on the cached connection.
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
    // What the error messages call the race when every target failed.
    std::string subject = "race_query";
    // Snapshots (racing foreign tables): kOpen runs the query as the first
    // of a REPEATABLE READ READ ONLY transaction that the winner keeps open
    // for holder (TargetSlot::hold; the losers' end at once); kInside runs
    // it inside the transaction its one target's connection holds for
    // holder, and fails with SQLSTATE 40001 rather than read anywhere else.
    enum class Snapshot : uint8_t { kNone, kOpen, kInside };
    Snapshot snapshot = Snapshot::kNone;
    const void* holder = nullptr;
    // kInside: the hint of the 40001 error (retry the statement or the transaction).
    std::string snapshot_hint;
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

    // The target that answered, once run() has returned.
    const TargetSpec* winner() const { return winner_ == nullptr ? nullptr : winner_->spec; }

private:
    // Where a target is in this race. How its connection gets ready (made,
    // or drained of what an earlier query left) is its slot's
    // ConnectionState, not repeated here. Transitions:
    //   kHeld       not entered: held for the hedge, or skipped while backed off
    //   kReadying   its connection is being made, or drained of what an
    //               earlier query left (a loser of an earlier race, a cancelled
    //               query, or this race's query whose prepared statement went
    //               stale) -> kSending (-> kFailed)
    //   kSending    its pipeline is being flushed -> kReceiving
    //   kReceiving  its results are read against the pipeline -> kWon, kFailed,
    //               or kReadying to re-send a query whose statement went stale
    //   kWon, kFailed, kCancelled, kLost  ended, only ever by end_runner;
    //               cancelled (sent a cancel) and lost (left running, or
    //               still connecting) happen only as the race winds down
    enum class Phase { kHeld, kReadying, kSending, kReceiving, kWon, kFailed, kCancelled, kLost };

    // What goes out to a target, all in one pipeline (one round trip); its
    // results come back in the same order and are read against this list.
    // The query runs inside BEGIN TRANSACTION READ ONLY ... ROLLBACK whatever
    // the session's defaults: it cannot write, and whatever transactional
    // state it leaves (SET, LISTEN, a WITH HOLD cursor) is rolled back. The
    // block and its one sync form one segment: a query that fails leaves the
    // block aborted, and the drain then sends the ROLLBACK itself
    // (TargetSlot::drain_arrived_results), so the healthy path costs one
    // flush each way.
    enum class Sent : uint8_t {
        kDeallocate,  // DEALLOCATE of a statement the connection no longer keeps
        kProbe,       // the freshness probe (policies): a transaction of its own
        kBegin,       // BEGIN TRANSACTION READ ONLY (kOpen: REPEATABLE READ too)
        kOutputFormats,  // DateStyle, IntervalStyle, extra_float_digits for the block
        kPrepare,     // the Parse of the query's named statement, first time only
        kQuery,       // the caller's query, its rows read one at a time
        kRollback,    // ends the block, leaving the connection idle
        kSavepoint,   // kOpen: keeps the block open, with a savepoint to fall back to
        kSync,        // a pipeline sync
    };
    struct Item {
        Sent sent;
        // Sent before the pipeline was made (a snapshot's ROLLBACK and its
        // sync, still unread): only its results are read here.
        bool sent_before = false;
        // kDeallocate, kPrepare, kQuery: the statement's name; kOutputFormats:
        // its SQL.
        std::string statement;
    };
    // At most: a ROLLBACK in flight and its sync, 4 deallocations with
    // their syncs, probe and sync, and the block (begin, output formats,
    // prepare, query, rollback or savepoint, sync).
    static constexpr size_t kMaxDeallocationsPerPipeline = 4;
    static constexpr size_t kMaxPipelineItems = 2 + 2 * kMaxDeallocationsPerPipeline + 2 + 6;
    struct Pipeline {
        Item items[kMaxPipelineItems];
        size_t size = 0;
        bool has_query = false;
        void add(Sent sent, std::string statement = {}, bool sent_before = false) {
            has_query = has_query || sent == Sent::kQuery;
            items[size++] = {sent, sent_before, std::move(statement)};
        }
    };
    // A cached connection that broke while idle gets one fresh replacement
    // before its target counts as failed.
    enum class Origin { kNew, kCached, kReplacement };

    struct Runner {
        const TargetSpec* spec;
        TargetSlot* slot;
        Phase phase = Phase::kHeld;
        Origin origin = Origin::kNew;
        Pipeline pipeline;     // what went out on its connection
        size_t at = 0;         // the item of pipeline whose results come next
        uint32_t ready = 0;        // socket events seen by the last wait
        int64_t sent_us = 0;       // when its (last) pipeline went out
        // Its prepared statement failed in a way a fresh one cures (its cached
        // plan changed result type, or it vanished): re-sent once.
        bool statement_retried = false;
        int64_t finished_us = 0;  // when it ended
        std::string error;
        // The endings come last in Phase.
        bool ended() const { return phase >= Phase::kWon; }
    };

    // The freshness probe's SQL (engine_probe.cpp).
    static const char* const kProbeQuery;
    // The statement that sets the block's output formats on conn
    // (engine_pipeline.cpp).
    std::string output_formats_query(PGconn* conn) const;

    void enter(Runner* runner);
    void advance(Runner* runner);
    void advance_connect(Runner* runner);
    void advance_drain(Runner* runner);
    // Cancels a draining loser left to finish whose grace is over; false
    // (the runner moved on) when the request could not be sent.
    bool cancel_late_loser(Runner* runner);
    void advance_query(Runner* runner);
    // Sends the runner's pipeline: deallocations due, the probe if a policy
    // asks for one (only the probe to a lagging standby), then the query in
    // its read-only block, as a named prepared statement when
    // multiquery.race_prepared_statements allows.
    void send_query(Runner* runner);
    // A prepared query failed in a way a fresh statement cures: forgets it
    // and sends the query again once the pipeline has drained; false when
    // the error is the query's own.
    bool retry_statement(Runner* runner, const std::string& sqlstate);
    // Takes the next result of the runner's pipeline (owning it); false once
    // the runner has left the receiving phase (won, failed, or re-sent).
    bool take_result(Runner* runner, PGresult* result);
    // One result of the caller's query: rows, or why there are none.
    void handle_result(Runner* runner, PGresult* result);
    void judge_probe(Runner* runner, const PGresult* result);
    // The last sync is read: the query won (the connection is idle again),
    // or a lagging standby's probe passed and the query follows.
    void finish_pipeline(Runner* runner);
    // Sends the held targets their query once the hedge delay is over or
    // every entered target failed.
    void maybe_hedge();
    int resolve_hedge_delay(const Runner& first) const;
    void connect(Runner* runner);
    // Every ending of a runner, once: ending is kWon, kFailed, kCancelled or
    // kLost. A win records the target's latency and clears its back-off. A
    // failure with blame is the target's: it goes into the report of a race
    // every target failed, and backs the target off unless it is staleness
    // (judged afresh by the next probe) or the race's own timeout. A failure
    // without blame is the query's own (the race raises it): no target's.
    void end_runner(Runner* runner, Phase ending, const std::string& error = {},
                    const TargetFailure* blame = nullptr);
    // The runner fails, the target blamed (end_runner).
    void fail(Runner* runner, TargetFailure::Kind kind, const std::string& reason,
              const std::string& sqlstate = {});
    // A runner whose rows were streaming stops leading: its rows are dropped.
    void stop_leading(Runner* runner);
    void connection_failed(Runner* runner, const std::string& reason);
    [[noreturn]] void raise_all_failed(bool timed_out);
    // kOpen: ends the transaction each loser's pipeline opened, at the latest
    // right after its query (queued behind it).
    void end_losers_transactions();
    void wait_for_events();
    // Cancels what still runs and records every target's outcome, once.
    void wind_down(bool report_errors);
    bool active(const Runner& runner) const;

    RaceRequest request_;
    ResultSink* sink_;
    std::string money_setting_;  // the output formats' lc_monetary, when a column is money
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
