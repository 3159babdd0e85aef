// Judging and reporting target failures; see race_failure.hpp.
#include "core/race_failure.hpp"

#include "core/sqlstate.hpp"

namespace mq {

FailureKind classify_remote_error(std::string_view sqlstate, bool connection_survived) {
    if (sqlstate == mq::sqlstate::kProtocolViolation && connection_survived)
        return FailureKind::kDeterministic;
    return classify_sqlstate(sqlstate);
}

std::string remote_error_hint(std::string_view sqlstate, bool connection_survived) {
    if (sqlstate == mq::sqlstate::kProtocolViolation && connection_survived)
        return "The params array must have one element for each $n the query uses.";
    if (sqlstate == mq::sqlstate::kReadOnlySqlTransaction)
        return "race_query runs every query in a read-only transaction: it is for reads.";
    if (sqlstate == mq::sqlstate::kInvalidTransactionTermination)
        return "race_query runs every query inside a read-only transaction block, where a "
               "procedure or DO block cannot COMMIT or ROLLBACK.";
    if (sqlstate == mq::sqlstate::kActiveSqlTransaction)
        return "race_query runs every query inside a read-only transaction block; this "
               "command cannot run there.";
    return {};
}

std::string one_line(std::string_view message) {
    // libpq ends lines with '\n' and indents continuation lines with a tab
    // ("Connection refused\n\tIs the server running ...?"): each line, trimmed,
    // is a sentence of its own, so they are joined by "; ", not run together.
    std::string out;
    size_t start = 0;
    while (start <= message.size()) {
        size_t end = message.find('\n', start);
        if (end == std::string_view::npos)
            end = message.size();
        std::string_view line = message.substr(start, end - start);
        size_t first = line.find_first_not_of(" \t\r");
        if (first != std::string_view::npos) {
            size_t last = line.find_last_not_of(" \t\r");
            if (!out.empty())
                out += "; ";
            out.append(line.substr(first, last - first + 1));
        }
        start = end + 1;
    }
    return out;
}

RaceFailureReport summarize_race_failure(const std::vector<TargetFailure>& failures,
                                         std::string_view subject) {
    RaceFailureReport report;
    bool all_connection = !failures.empty();
    bool any_timeout = false;
    bool any_stale = false;
    std::string first_remote;
    for (const TargetFailure& failure : failures) {
        if (failure.kind == TargetFailure::Kind::kTimeout)
            any_timeout = true;
        if (failure.kind == TargetFailure::Kind::kStale)
            any_stale = true;
        if (failure.kind != TargetFailure::Kind::kConnection &&
            failure.kind != TargetFailure::Kind::kBackedOff)
            all_connection = false;
        if (failure.kind == TargetFailure::Kind::kRemote && first_remote.empty())
            first_remote = failure.sqlstate;
        if (!report.detail.empty())
            report.detail += '\n';
        report.detail += failure.target + ": " + failure.reason;
    }
    if (any_timeout)
        report.sqlstate = mq::sqlstate::kQueryCanceled;
    else if (any_stale && first_remote.empty())
        report.sqlstate = mq::sqlstate::kObjectNotInPrerequisiteState;
    else if (all_connection || first_remote.empty())
        report.sqlstate = mq::sqlstate::kConnectionFailure;
    else
        report.sqlstate = first_remote;
    size_t n = failures.size();
    std::string name(subject);
    if (any_timeout)
        report.message = name + " timed out: no target answered";
    else if (report.sqlstate == mq::sqlstate::kObjectNotInPrerequisiteState)
        report.message = name + " failed: no target was fresh enough";
    else if (n == 1)
        report.message = name + " failed: its only target failed";
    else
        report.message = name + " failed: all " + std::to_string(n) + " targets failed";
    return report;
}

}  // namespace mq
