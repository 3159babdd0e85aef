// One race: the same query sent to every target at once, the first
// successful answer kept, the others cancelled.
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

#include "core/race_failure.hpp"
#include "race/connection.hpp"
#include "race/result_sink.hpp"
#include "race/target.hpp"

namespace mq::race {

struct RaceRequest {
    std::string query;
    std::vector<std::optional<std::string>> params;  // nullopt: SQL NULL
    int timeout_ms = 0;                              // 0: no limit of its own
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

    struct Runner {
        const TargetSpec* spec;
        TargetSlot* slot;
        Phase phase = Phase::kIdle;
        bool entered = false;
        bool reused = false;       // its query went out on a cached connection
        bool reconnected = false;  // a broken cached connection was replaced once
        bool rows_complete = false;
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
    Runner* leader_ = nullptr;
    Runner* winner_ = nullptr;
    int64_t started_us_;
    int64_t deadline_ms_;  // 0: none
    bool wound_down_ = false;
};

}  // namespace mq::race
