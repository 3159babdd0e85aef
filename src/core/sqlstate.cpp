// SQLSTATE classification; see sqlstate.hpp.
#include "core/sqlstate.hpp"

namespace mq {
namespace {

// Classes whose every code means "the statement is wrong", whatever the server.
constexpr std::string_view kDeterministicClasses[] = {
    "0A",  // feature not supported
    "21",  // cardinality violation
    "22",  // data exception: division by zero, invalid input, out of range, ...
    "23",  // integrity constraint violation
    "26",  // invalid SQL statement name
    "2B",  // dependent privilege descriptors still exist
    "34",  // invalid cursor name
    "3F",  // invalid schema name
    "42",  // syntax error or access rule violation
    "44",  // WITH CHECK OPTION violation
    "P0",  // PL/pgSQL error (RAISE EXCEPTION)
};

// Codes from otherwise-transient classes that are still the statement's fault.
constexpr std::string_view kDeterministicCodes[] = {
    "25001",  // active_sql_transaction: a command that cannot run in a transaction block
    "25006",  // read_only_sql_transaction: a write sent where only reads go
    "2D000",  // invalid_transaction_termination: COMMIT in a DO block or procedure
    "2F005",  // function executed no return statement
    "39004",  // null value not allowed from an external routine
};

// Classes and codes of a server that cannot take writes now.
constexpr std::string_view kServerStateClasses[] = {
    "08",  // connection exception
    "53",  // insufficient resources: disk full, out of memory, too many connections
    "58",  // system error: I/O error, undefined file
};
constexpr std::string_view kServerStateCodes[] = {
    "25006",  // read_only_sql_transaction: a demoted primary
    "57P01",  // admin_shutdown
    "57P02",  // crash_shutdown
    "57P03",  // cannot_connect_now
    "57P04",  // database_dropped
    "XX001",  // data_corrupted
    "XX002",  // index_corrupted
};

}  // namespace

bool is_server_state_sqlstate(std::string_view sqlstate) {
    for (std::string_view code : kServerStateCodes)
        if (sqlstate == code)
            return true;
    for (std::string_view error_class : kServerStateClasses)
        if (sqlstate.substr(0, 2) == error_class)
            return true;
    return false;
}

FailureKind classify_sqlstate(std::string_view sqlstate) {
    if (sqlstate.size() != 5)
        return FailureKind::kTransient;
    for (std::string_view code : kDeterministicCodes)
        if (sqlstate == code)
            return FailureKind::kDeterministic;
    for (std::string_view error_class : kDeterministicClasses)
        if (sqlstate.substr(0, 2) == error_class)
            return FailureKind::kDeterministic;
    return FailureKind::kTransient;
}

}  // namespace mq
