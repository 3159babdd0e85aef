// The SQL face of the per-backend connection cache, after postgres_fdw's
// postgres_fdw_get_connections / _disconnect / _disconnect_all:
// race_connections() lists this backend's cached connections, and
// race_disconnect(target) / race_disconnect_all() close them. They act on the
// caller's own backend only; a connection a running race uses is never closed.
#include <cstdlib>
#include <string>
#include <vector>

#include "core/conninfo.hpp"
#include "pg/guard.hpp"
#include "race/connection.hpp"

extern "C" {
#include "foreign/foreign.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace {

const char* state_name(mq::race::ConnectionState state) {
    switch (state) {
        case mq::race::ConnectionState::kConnecting:
            return "connecting";
        case mq::race::ConnectionState::kIdle:
            return "idle";
        case mq::race::ConnectionState::kBusy:
            return "busy";
        case mq::race::ConnectionState::kLeftToFinish:
        case mq::race::ConnectionState::kCancelSent:
        case mq::race::ConnectionState::kDraining:
        case mq::race::ConnectionState::kRollingBack:
        case mq::race::ConnectionState::kDrained:
            return "draining";
        case mq::race::ConnectionState::kNone:
            break;
    }
    return "closed";
}

// What a connection string target's cache key holds after "conninfo:<user>:".
std::string conninfo_of_key(const std::string& key) {
    constexpr std::string_view kPrefix = "conninfo:";
    if (key.compare(0, kPrefix.size(), kPrefix) != 0)
        return {};
    size_t colon = key.find(':', kPrefix.size());
    return colon == std::string::npos ? std::string() : key.substr(colon + 1);
}

// Closes the unpinned connections of the slots match accepts; true if any
// was open. A pinned one (in use by a running race: possible only when this
// runs inside one) draws a warning, as postgres_fdw_disconnect does.
template <typename Match>
bool close_matching(Match&& match) {
    bool closed = false;
    std::vector<std::string> in_use;
    mq::race::for_each_slot([&](const std::string& key, mq::race::TargetSlot* slot) {
        if (slot->conn == nullptr || !match(key, *slot))
            return;
        if (slot->pins > 0 || slot->holder() != nullptr) {
            in_use.push_back(slot->name);
            return;
        }
        slot->close();
        closed = true;
    });
    for (const std::string& name : in_use)
        mq::pg::call([&] {
            ereport(WARNING,
                    (errcode(ERRCODE_OBJECT_IN_USE),
                     errmsg("cannot close the connection to race target \"%s\" because a "
                            "running race or a snapshot uses it",
                            name.c_str())));
        });
    return closed;
}

}  // namespace

// multiquery.race_connections(): this backend's cached connections.
MQ_FUNCTION(multiquery_race_connections) {
    mq::pg::call([&] { InitMaterializedSRF(fcinfo, 0); });
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    // A listing never shows a connection the idle timeout has already doomed.
    mq::race::trim_cache();
    TimestampTz now = GetCurrentTimestamp();
    int64_t now_ms = mq::now_ms();
    struct Row {
        std::string target, state, host;
        bool busy;
        int64_t idle_ms;
        int pid, port;
    };
    std::vector<Row> rows;
    mq::race::for_each_slot([&](const std::string&, mq::race::TargetSlot* slot) {
        if (slot->conn == nullptr)
            return;
        bool connected = PQstatus(slot->conn) == CONNECTION_OK;
        const char* host = PQhost(slot->conn);
        const char* port = PQport(slot->conn);
        rows.push_back({slot->name, state_name(slot->state()),
                        host != nullptr ? host : "", slot->pins > 0,
                        now_ms - slot->last_used_ms, connected ? PQbackendPID(slot->conn) : 0,
                        port != nullptr ? std::atoi(port) : 0});
    });
    for (const Row& row : rows) {
        constexpr int kColumns = 6;
        Datum values[kColumns] = {};
        bool nulls[kColumns] = {};
        // While a race uses it, the connection is not idle.
        nulls[2] = row.busy;
        values[2] = TimestampTzGetDatum(now - row.idle_ms * 1000);
        nulls[3] = row.pid == 0;
        values[3] = Int32GetDatum(row.pid);
        nulls[4] = row.host.empty();
        nulls[5] = row.port == 0;
        values[5] = Int32GetDatum(row.port);
        mq::pg::call([&] {
            values[0] = CStringGetTextDatum(row.target.c_str());
            values[1] = CStringGetTextDatum(row.state.c_str());
            if (!nulls[4])
                values[4] = CStringGetTextDatum(row.host.c_str());
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        });
    }
    return Datum(0);
}

// multiquery.race_disconnect(target): closes the cached connections to one
// target, named as race_query takes it (a foreign server, for every user
// mapping; or a connection string) or as race_connections shows it. True if
// one was open. An unknown foreign server is an error.
MQ_FUNCTION(multiquery_race_disconnect) {
    std::string target = mq::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    if (mq::looks_like_conninfo(target))
        return BoolGetDatum(close_matching([&](const std::string& key, const mq::race::TargetSlot& slot) {
            return conninfo_of_key(key) == target || slot.name == target;
        }));
    Oid server = mq::pg::call([&] {
        return GetForeignServerByName(target.c_str(), false)->serverid;
    });
    std::string prefix = "server:" + std::to_string(server) + ":";
    return BoolGetDatum(close_matching([&](const std::string& key, const mq::race::TargetSlot&) {
        return key.compare(0, prefix.size(), prefix) == 0;
    }));
}

// multiquery.race_disconnect_all(): closes every cached connection of this
// backend; true if one was open.
MQ_FUNCTION(multiquery_race_disconnect_all) {
    return BoolGetDatum(close_matching([](const std::string&, const mq::race::TargetSlot&) {
        return true;
    }));
}
