// The session on the source's server that computes the source's side of a
// table move: range hashes, boundaries and the rows of differing ranges.
//
// It is opened with the source's foreign server options and the caller's
// user mapping (a non-superuser must authenticate with a password, as in
// postgres_fdw), on the first of the server's targets that is not in
// recovery: a race group's standby may lag, and a stale source would revert
// rows. Every query runs read-only, with pg_catalog alone on the search_path
// and fixed output formats, so that values read back as the local side
// prints them.
#pragma once

#include <libpq-fe.h>

#include <string>

#include "move/rows.hpp"
#include "pg/postgres.hpp"
#include "race/target.hpp"

namespace mq::move {

class RemoteSource {
public:
    RemoteSource() = default;
    RemoteSource(const RemoteSource&) = delete;
    RemoteSource& operator=(const RemoteSource&) = delete;
    ~RemoteSource();

    // Connects for the foreign table source (its server) as the current user.
    void connect(Oid source);

    // Sends a query; its rows come from finish(). One query at a time.
    void start(const std::string& sql);
    // Waits (interruptibly) for the query sent by start() and returns its rows.
    Rows finish();
    Rows query(const std::string& sql) {
        start(sql);
        return finish();
    }

    // Which target answers ("server \"name\""), for messages.
    const std::string& name() const { return name_; }

private:
    // Connects to target; false (with *failure) when it is unreachable or in recovery.
    bool try_connect(const race::TargetSpec& target, std::string* failure);
    void wait_socket(bool for_write);
    [[noreturn]] void fail(const std::string& what, PGresult* result);

    PGconn* conn_ = nullptr;
    bool busy_ = false;
    std::string name_;
    std::string sql_;
};

}  // namespace mq::move
