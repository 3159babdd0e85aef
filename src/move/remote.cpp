// The source's session; see remote.hpp.
#include "move/remote.hpp"

#include <vector>

#include "core/error.hpp"
#include "core/sqlstate.hpp"
#include "pg/guard.hpp"
#include "race/cancel.hpp"

extern "C" {
#include "foreign/foreign.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/lsyscache.h"
#include "utils/wait_event.h"
}

namespace mq::move {
namespace {

// Set after connecting: the formats race targets already get from their
// startup options (DateStyle, IntervalStyle, extra_float_digits), plus the
// ones the table move's canonical text also depends on; jit off as on the
// local side (local.cpp).
constexpr const char* kSessionSetup =
    "SET search_path = pg_catalog; SET TimeZone = 'UTC'; SET bytea_output = 'hex'; "
    "SET DateStyle = 'ISO'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; "
    "SET jit = off; SET default_transaction_read_only = on";

constexpr int kCancelBoundMs = 100;

}  // namespace

void RemoteSource::connect(Oid source) {
    ForeignServer* server =
        pg::call([&] { return GetForeignServer(GetForeignTable(source)->serverid); });
    std::vector<race::TargetSpec> targets = race::resolve_server_targets(server, InvalidOid);
    std::string failures;
    for (const race::TargetSpec& target : targets) {
        std::string failure;
        if (try_connect(target, &failure)) return;
        failures += (failures.empty() ? "" : " ") + failure;
    }
    throw Error(sqlstate::kUnableToConnect,
                "could not reach the source's primary through foreign server \"" +
                    std::string(server->servername) + "\"",
                failures,
                "The source is read only from a server that is not in recovery, never from a "
                "standby that may lag behind.");
}

RemoteSource::~RemoteSource() {
    if (conn_ == nullptr) return;
    if (busy_) {
        std::vector<int> sockets(1, -1);
        race::send_cancel_requests({conn_}, kCancelBoundMs, &sockets);
        if (sockets[0] >= 0) race::close_cancel_socket(sockets[0]);
    }
    PQfinish(conn_);
    ReleaseExternalFD();
}

bool RemoteSource::try_connect(const race::TargetSpec& target, std::string* failure) {
    std::vector<const char*> keywords, values;
    for (size_t i = 0; i < target.keywords.size(); ++i) {
        keywords.push_back(target.keywords[i].c_str());
        values.push_back(target.values[i].c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    if (!AcquireExternalFD()) {
        *failure = "Too many open files in this backend to connect to \"" + target.name + "\".";
        return false;
    }
    conn_ = PQconnectStartParams(keywords.data(), values.data(), 0);
    name_ = target.name;
    PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
    while (conn_ != nullptr && PQstatus(conn_) != CONNECTION_BAD && poll != PGRES_POLLING_OK &&
           poll != PGRES_POLLING_FAILED) {
        wait_socket(poll == PGRES_POLLING_WRITING);
        poll = PQconnectPoll(conn_);
    }
    if (conn_ == nullptr || poll != PGRES_POLLING_OK) {
        *failure = "Target \"" + target.name +
                   "\" did not connect: " + (conn_ ? PQerrorMessage(conn_) : "out of memory");
        while (!failure->empty() && failure->back() == '\n') failure->pop_back();
        *failure += ".";
        if (conn_ != nullptr) PQfinish(conn_);
        conn_ = nullptr;
        ReleaseExternalFD();
        return false;
    }
    if (target.password_required && !PQconnectionUsedPassword(conn_))
        throw Error(sqlstate::kSreProhibitedSqlStatementAttempted, "password is required",
                    "Non-superuser cannot connect if the server does not request a password.",
                    "Target \"" + target.name +
                        "\"'s server must ask for the password of its "
                        "user mapping.");
    PQsetnonblocking(conn_, 1);
    query(kSessionSetup);
    Rows recovery = query("SELECT pg_catalog.pg_is_in_recovery()");
    if (recovery.size() == 1 && recovery[0][0] == std::string("f")) return true;
    *failure = "Target \"" + target.name + "\" is in recovery.";
    PQfinish(conn_);
    conn_ = nullptr;
    ReleaseExternalFD();
    return false;
}

void RemoteSource::wait_socket(bool for_write) {
    int events =
        WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | (for_write ? WL_SOCKET_WRITEABLE : WL_SOCKET_READABLE);
    pg::call([&] {
        WaitLatchOrSocket(MyLatch, events, PQsocket(conn_), -1, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
    });
}

void RemoteSource::start(const std::string& sql) {
    sql_ = sql;
    if (!PQsendQuery(conn_, sql.c_str())) fail("could not send a query to the source", nullptr);
    busy_ = true;
    int flushed;
    while ((flushed = PQflush(conn_)) == 1) wait_socket(true);
    if (flushed < 0) fail("could not send a query to the source", nullptr);
}

Rows RemoteSource::finish() {
    Rows rows;
    PGresult* error = nullptr;
    for (;;) {
        while (PQisBusy(conn_)) {
            wait_socket(false);
            if (!PQconsumeInput(conn_)) fail("lost the connection to the source", nullptr);
        }
        PGresult* result = PQgetResult(conn_);
        if (result == nullptr) break;
        ExecStatusType status = PQresultStatus(result);
        if (status == PGRES_TUPLES_OK) {
            int columns = PQnfields(result);
            rows.reserve(rows.size() + static_cast<size_t>(PQntuples(result)));
            for (int r = 0; r < PQntuples(result); ++r) {
                Row row(columns);
                for (int c = 0; c < columns; ++c)
                    if (!PQgetisnull(result, r, c))
                        row[c] = std::string(PQgetvalue(result, r, c), PQgetlength(result, r, c));
                rows.push_back(std::move(row));
            }
        } else if (status != PGRES_COMMAND_OK && error == nullptr) {
            error = result;
            continue;
        }
        PQclear(result);
    }
    busy_ = false;
    if (error != nullptr) fail("the source's server failed a query", error);
    return rows;
}

void RemoteSource::fail(const std::string& what, PGresult* result) {
    std::string sqlstate = sqlstate::kConnectionFailure;
    std::string message = what;
    std::string detail;
    if (result != nullptr) {
        const char* code = PQresultErrorField(result, PG_DIAG_SQLSTATE);
        const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
        const char* remote_detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
        if (code != nullptr) sqlstate = code;
        if (primary != nullptr) message = primary;
        if (remote_detail != nullptr) detail = remote_detail;
        PQclear(result);
    } else {
        detail = PQerrorMessage(conn_);
        while (!detail.empty() && detail.back() == '\n') detail.pop_back();
    }
    Error error(sqlstate, message, detail);
    std::string shown = sql_.size() > 200 ? sql_.substr(0, 200) + "..." : sql_;
    error.add_context("source server \"" + name_ + "\", remote SQL command: " + shown);
    throw error;
}

}  // namespace mq::move
