// SQL producers of the write queue: multiquery.enqueue() and the raw XADD
// that multiquery.retry_dead_letters() uses. Both talk to Redis over one
// connection per backend, kept between calls.
#include <memory>

#include "pg/guard.hpp"
#include "queue/drain.hpp"
#include "queue/redis.hpp"
#include "queue/redis_wait.hpp"
#include "queue/settings.hpp"

#include "core/queue_streams.hpp"

extern "C" {
#include "catalog/pg_type_d.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
}

namespace {

using mq::queue::RedisClient;
using mq::queue::RedisError;

std::unique_ptr<RedisClient> connection;  // this backend's; replaced when broken or reconfigured
int64_t connection_used_us = 0;

// Checks a connection idle for over a second with PING, so that one Redis
// closed meanwhile (a restart) is replaced before the XADD rather than
// failing it: an XADD whose reply was lost must not be re-sent blindly.
RedisClient& redis() {
    mq::queue::RedisConfig config = mq::queue::redis_config();
    int64_t now = mq::queue::monotonic_us();
    // A broken connection may have a reply still on its way (a command was
    // interrupted half-way): it is never reused.
    if (connection && (connection->broken() || connection->config() != config))
        connection.reset();
    if (connection && now - connection_used_us > 1000000) {
        try {
            connection->command({"PING"});
        } catch (const RedisError&) {
            connection.reset();
        }
    }
    if (!connection)
        connection = RedisClient::connect(config, mq::queue::latch_waiter());
    connection_used_us = now;
    return *connection;
}

// XADDs the fields to the stream; returns the new entry id.
std::string xadd(const std::string& stream, const std::vector<std::string>& fields) {
    std::vector<std::string> args{"XADD", stream, "*"};
    args.insert(args.end(), fields.begin(), fields.end());
    try {
        return mq::queue::reply_text(redis().command(args).get());
    } catch (const RedisError& e) {
        if (e.connection_lost())
            connection.reset();
        throw mq::Error(e.sqlstate(),
                        std::string("could not add to Redis stream \"") + stream + "\": " + e.what(),
                        e.detail(), e.hint());
    }
}

std::string text_arg(FunctionCallInfo fcinfo, int n) {
    char* value = mq::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(n)); });
    return std::string(value);
}

}  // namespace

// multiquery.enqueue(target regclass, row jsonb, stream text): XADDs one row for the drain.
MQ_FUNCTION(multiquery_enqueue) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        throw mq::Error("22004", "target and row of multiquery.enqueue() must not be null");
    Oid relid = PG_GETARG_OID(0);
    std::string stream;
    if (!PG_ARGISNULL(2)) {
        stream = text_arg(fcinfo, 2);
    } else {
        std::string error;
        auto names = mq::queue::parse_stream_list(
            mq::queue::drain_streams ? mq::queue::drain_streams : "", &error);
        if (!names || names->empty())
            throw mq::Error("22023", "no stream given and multiquery.drain_streams is empty");
        stream = names->front();
    }
    if (stream.empty() || stream.size() > mq::queue::kMaxStreamNameLength)
        throw mq::Error("22023", "invalid stream name");

    char* qualified = nullptr;
    char* json = nullptr;
    bool is_object = false, may_insert = false;
    mq::pg::call([&] {
        char* relname = get_rel_name(relid);
        if (relname == nullptr)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                            errmsg("relation with OID %u does not exist", relid)));
        qualified = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
                                               relname);
        // Whoever enqueues a row must be allowed to insert it: the drain
        // writes it later with the drain role's (usually wider) privileges.
        may_insert = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) == ACLCHECK_OK ||
                     pg_attribute_aclcheck_all(relid, GetUserId(), ACL_INSERT, ACLMASK_ANY) ==
                         ACLCHECK_OK;
        Jsonb* row = PG_GETARG_JSONB_P(1);
        is_object = JB_ROOT_IS_OBJECT(row) && !JB_ROOT_IS_SCALAR(row);
        json = JsonbToCString(nullptr, &row->root, VARSIZE(row));
    });
    if (!may_insert)
        throw mq::Error("42501", std::string("permission denied for table ") + qualified,
                        "multiquery.enqueue() requires INSERT privilege on the target.");
    if (!is_object)
        throw mq::Error("22023", "row must be a JSON object",
                        "Give one object per row, its keys naming columns of the target.");
    std::string id = xadd(stream, {"table", qualified, "row", json});
    return mq::pg::call([&] { return CStringGetTextDatum(id.c_str()); });
}

// multiquery._redis_xadd(stream text, fields text[]): XADDs raw field/value pairs (superuser).
MQ_FUNCTION(multiquery_redis_xadd) {
    std::string stream = text_arg(fcinfo, 0);
    Datum* elems = nullptr;
    bool* nulls = nullptr;
    int count = 0;
    mq::pg::call([&] {
        ArrayType* array = PG_GETARG_ARRAYTYPE_P(1);
        if (ARR_NDIM(array) > 1)
            ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                            errmsg("fields must be a one-dimensional array")));
        deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &count);
    });
    if (count == 0 || count % 2 != 0)
        throw mq::Error("22023", "fields must hold field/value pairs (an even, non-zero count)");
    std::vector<std::string> fields;
    for (int i = 0; i < count; ++i) {
        if (nulls[i])
            throw mq::Error("22004", "fields must not contain nulls");
        char* value = mq::pg::call([&] { return TextDatumGetCString(elems[i]); });
        fields.emplace_back(value);
    }
    std::string id = xadd(stream, fields);
    return mq::pg::call([&] { return CStringGetTextDatum(id.c_str()); });
}
