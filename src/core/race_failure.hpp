// How a race judges one target's failure, and how it reports the failure of
// every target at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/sqlstate.hpp"

namespace mq {

// Classifies an error a target returned, by its SQLSTATE and whether the
// connection survived it (never by its message, which follows the server's
// lc_messages). Like classify_sqlstate, except for a protocol violation
// (08P01) the server answered with a plain ERROR and kept the session: that is
// the server's complaint that the parameters sent do not match the query's
// $n, the caller's fault; a protocol violation that ended the session is not.
FailureKind classify_remote_error(std::string_view sqlstate, bool connection_survived);

// A hint that makes a well-known remote error clearer to a race_query caller,
// decided by the same two facts, or empty.
std::string remote_error_hint(std::string_view sqlstate, bool connection_survived);

// Why one target dropped out of a race.
struct TargetFailure {
    enum class Kind {
        kConnection,  // could not connect, or the connection broke
        kTimeout,     // no answer before the race's deadline
        kRemote,      // the server answered with a (transient) error
        kBackedOff,   // skipped: it failed recently and is backed off
        kStale,       // answered, but behind min_lsn or over the lag bound (policies)
    };
    std::string target;    // the name to show (no password)
    Kind kind;
    std::string sqlstate;  // kRemote only
    std::string reason;    // one line, no trailing newline
};

// The error to raise when every target of a race failed.
struct RaceFailureReport {
    std::string sqlstate;
    std::string message;
    std::string detail;  // one line per target: "target: reason"
};

// SQLSTATE: 08006 when every target failed to connect or lost its
// connection; 57014 when any timed out (the race ran out of time); 55000
// when a target was too stale and none failed remotely (the message says no
// target was fresh enough); otherwise the first remote SQLSTATE. The message
// counts the targets, and names the race by subject ("race_query", or a raced
// foreign table's read).
RaceFailureReport summarize_race_failure(const std::vector<TargetFailure>& failures,
                                         std::string_view subject = "race_query");

// Joins the lines of a libpq message into one, each trimmed, separated by
// "; ", blank lines and the trailing newline dropped.
std::string one_line(std::string_view message);

}  // namespace mq
