// SQL producers of the write queue: multiquery.enqueue() and the raw XADD
// that multiquery.retry_dead_letters() uses. Both talk to Redis over one
// connection per backend, kept between calls.
#include <algorithm>
#include <memory>

#include "core/sqlstate.hpp"
#include "pg/guard.hpp"
#include "pg/text_array.hpp"
#include "queue/drain.hpp"
#include "queue/redis.hpp"
#include "queue/redis_wait.hpp"
#include "queue/settings.hpp"

#include "core/queue_streams.hpp"

extern "C" {
#include "catalog/pg_type_d.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
}

namespace {

using mq::queue::drain_database_name;
using mq::queue::RedisClient;
using mq::queue::RedisError;

std::unique_ptr<RedisClient> connection;  // this backend's; replaced when broken or reconfigured
std::string connection_settings;          // the settings it was made with
int64_t connection_used_us = 0;

// The settings that decide which Redis enqueue() writes to, as one value.
std::string settings_of(const mq::queue::RedisConfig& config,
                        const mq::queue::SentinelConfig& sentinel) {
    std::string key = config.host + '\n' + std::to_string(config.port) + '\n' + config.user +
                      '\n' + config.password_file + '\n' + std::to_string(config.timeout_ms) +
                      '\n' + sentinel.master_name;
    for (const mq::queue::HostPort& address : sentinel.sentinels)
        key += '\n' + address.host + ':' + std::to_string(address.port);
    return key;
}

// Checks a connection idle for over a second with PING, so that one Redis
// closed meanwhile (a restart) is replaced before the XADD rather than
// failing it: an XADD whose reply was lost must not be re-sent blindly.
RedisClient& redis() {
    mq::queue::RedisConfig config = mq::queue::redis_config();
    mq::queue::SentinelConfig sentinel = mq::queue::sentinel_config();
    std::string settings = settings_of(config, sentinel);
    int64_t now = mq::now_us();
    // A broken connection may have a reply still on its way (a command was
    // interrupted half-way): it is never reused.
    if (connection && (connection->broken() || connection_settings != settings))
        connection.reset();
    if (connection && now - connection_used_us > 1000000) {
        try {
            connection->command({"PING"});
        } catch (const RedisError&) {
            connection.reset();
        }
    }
    if (!connection) {
        connection = mq::queue::connect_master(config, sentinel, mq::queue::latch_waiter());
        connection_settings = settings;
    }
    connection_used_us = now;
    return *connection;
}

// XADDs the fields to the stream; returns the new entry id.
std::string xadd(const std::string& stream, const std::vector<std::string>& fields) {
    std::vector<std::string> args{"XADD", stream, "*"};
    args.insert(args.end(), fields.begin(), fields.end());
    for (int attempt = 1;; ++attempt) {
        try {
            return std::string(redis().command(args).text());
        } catch (const RedisError& e) {
            if (mq::queue::master_unavailable(e))
                connection.reset();
            // READONLY: a replica since a failover refused the XADD, so it
            // was not applied: once more, to the master Sentinel names now.
            if (e.is_reply("READONLY") && attempt == 1)
                continue;
            std::string sqlstate = e.is_reply("LOADING")    ? mq::sqlstate::kCannotConnectNow
                                   : e.is_reply("READONLY") ? mq::sqlstate::kConnectionFailure
                                                            : e.sqlstate();
            throw mq::Error(sqlstate,
                            std::string("could not add to Redis stream \"") + stream + "\": " +
                                e.what(),
                            e.detail(), e.hint());
        }
    }
}

std::string text_arg(FunctionCallInfo fcinfo, int n) {
    char* value = mq::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(n)); });
    return std::string(value);
}

// Checks, as the caller, everything the caller could not do by inserting the
// row itself: the drain inserts it later as the table's owner (or
// multiquery.drain_role), so a check skipped here is a privilege gained.
// Returns the table's quoted, qualified name. Runs inside pg::call.
char* check_may_enqueue(Oid relid, Jsonb* row) {
    Oid user = GetUserId();
    char* relname = get_rel_name(relid);
    if (relname == nullptr)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                        errmsg("relation with OID %u does not exist", relid)));
    Oid nsp = get_rel_namespace(relid);
    char* qualified = quote_qualified_identifier(get_namespace_name(nsp), relname);
    if (pg_namespace_aclcheck(nsp, user, ACL_USAGE) != ACLCHECK_OK)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied for schema %s",
                               quote_identifier(get_namespace_name(nsp)))));
    // Policies would be checked against the drain's role, not the caller:
    // refuse rather than let a row past a WITH CHECK the caller is under.
    if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("multiquery.enqueue() cannot check row-level security of table %s",
                               qualified),
                        errdetail("Row-level security applies to role \"%s\" on this table, "
                                  "and the drain would insert the row as another role.",
                                  GetUserNameFromId(user, false)),
                        errhint("Insert into this table directly.")));
    bool table_insert = pg_class_aclcheck(relid, user, ACL_INSERT) == ACLCHECK_OK;
    JsonbIterator* it = JsonbIteratorInit(&row->root);
    JsonbValue value;
    JsonbIteratorToken token;
    bool any_key = false;
    while ((token = JsonbIteratorNext(&it, &value, true)) != WJB_DONE) {
        if (token != WJB_KEY)
            continue;
        any_key = true;
        char* column = pnstrdup(value.val.string.val, value.val.string.len);
        AttrNumber attnum = get_attnum(relid, column);
        if (attnum <= 0)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                            errmsg("column \"%s\" of relation %s does not exist", column,
                                   qualified)));
        if (!table_insert && pg_attribute_aclcheck(relid, attnum, user, ACL_INSERT) !=
                                 ACLCHECK_OK)
            ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                            errmsg("permission denied for column %s of table %s",
                                   quote_identifier(column), qualified),
                            errhint("multiquery.enqueue() requires INSERT privilege on every "
                                    "column the row names.")));
    }
    if (!table_insert && !any_key)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("permission denied for table %s", qualified),
                        errhint("A row of defaults only needs INSERT privilege on the table.")));
    return qualified;
}

// The drain resolves the table's name and inserts in multiquery.drain_database:
// a backend of another database would check another catalog's table and
// rights, so enqueue() runs only there. Runs inside pg::call.
void check_drained_database() {
    const char* drained = drain_database_name();
    const char* here = get_database_name(MyDatabaseId);
    if (here != nullptr && strcmp(here, drained) == 0)
        return;
    ereport(ERROR,
            (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
             errmsg("multiquery.enqueue() runs only in database \"%s\", where the drain writes",
                    drained),
             errdetail("This is database \"%s\"; the drain resolves the table's name and "
                       "inserts into it in database \"%s\" (multiquery.drain_database), whose "
                       "tables and privileges a backend of another database cannot check.",
                       here ? here : "?", drained),
             errhint("Connect to database \"%s\" to call multiquery.enqueue().", drained)));
}

// An entry on a stream that no worker reads waits in Redis until one does:
// said at once, rather than found out when the rows never arrive.
void warn_if_undrained(const std::string& stream) {
    std::string error;
    auto names = mq::queue::parse_stream_list(
        mq::queue::drain_streams ? mq::queue::drain_streams : "", &error);
    if (names && std::find(names->begin(), names->end(), stream) != names->end())
        return;
    std::string listed = mq::queue::drain_streams ? mq::queue::drain_streams : "";
    mq::pg::call([&] {
        ereport(WARNING,
                (errcode(ERRCODE_WARNING),
                 errmsg("no drain worker reads stream \"%s\"", stream.c_str()),
                 errdetail("multiquery.drain_streams is \"%s\"; the entry waits in Redis until "
                           "a worker reads that stream.",
                           listed.c_str()),
                 errhint("Add the stream to multiquery.drain_streams in postgresql.conf and "
                         "reload, or enqueue to one of the streams listed there.")));
    });
}

}  // namespace

// multiquery.enqueue(target regclass, row jsonb, stream text): XADDs one row for the drain.
MQ_FUNCTION(multiquery_enqueue) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        throw mq::Error(mq::sqlstate::kNullValueNotAllowed,
                        "target and row of multiquery.enqueue() must not be null");
    Oid relid = PG_GETARG_OID(0);
    std::string stream;
    if (!PG_ARGISNULL(2)) {
        stream = text_arg(fcinfo, 2);
    } else {
        std::string error;
        auto names = mq::queue::parse_stream_list(
            mq::queue::drain_streams ? mq::queue::drain_streams : "", &error);
        if (!names || names->empty())
            throw mq::Error(mq::sqlstate::kInvalidParameterValue,
                            "no stream given and multiquery.drain_streams is empty");
        stream = names->front();
    }
    if (stream.empty() || stream.size() > mq::queue::kMaxStreamNameLength)
        throw mq::Error(mq::sqlstate::kInvalidParameterValue, "invalid stream name");
    warn_if_undrained(stream);

    char* json = nullptr;
    char* qualified = nullptr;
    mq::pg::call([&] {
        Jsonb* row = PG_GETARG_JSONB_P(1);
        if (!JB_ROOT_IS_OBJECT(row) || JB_ROOT_IS_SCALAR(row))
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("row must be a JSON object"),
                            errhint("Give one object per row, its keys naming columns of the "
                                    "target.")));
        check_drained_database();
        qualified = check_may_enqueue(relid, row);
        json = JsonbToCString(nullptr, &row->root, VARSIZE(row));
    });
    std::string id = xadd(stream, {"table", qualified, "row", json});
    return mq::pg::call([&] { return CStringGetTextDatum(id.c_str()); });
}

// multiquery._redis_xadd(stream text, fields text[]): XADDs raw field/value pairs (superuser).
MQ_FUNCTION(multiquery_redis_xadd) {
    std::string stream = text_arg(fcinfo, 0);
    auto elements = mq::pg::text_array_elements(PG_GETARG_DATUM(1), "fields");
    if (elements.empty() || elements.size() % 2 != 0)
        throw mq::Error(mq::sqlstate::kInvalidParameterValue,
                        "fields must hold field/value pairs (an even, non-zero count)");
    std::vector<std::string> fields;
    for (auto& element : elements) {
        if (!element)
            throw mq::Error(mq::sqlstate::kNullValueNotAllowed, "fields must not contain nulls");
        fields.push_back(std::move(*element));
    }
    std::string id = xadd(stream, fields);
    return mq::pg::call([&] { return CStringGetTextDatum(id.c_str()); });
}
