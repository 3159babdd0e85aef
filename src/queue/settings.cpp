// The write queue's GUCs; see settings.hpp and docs/write_queue.md.
#include "queue/settings.hpp"

#include <climits>

#include "module.hpp"

#include "core/queue_streams.hpp"
#include "core/redis_address.hpp"
#include "core/table_list.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace mq::queue {

char* redis_host = nullptr;
int redis_port = 6379;
char* redis_user = nullptr;
char* redis_password_file = nullptr;
int redis_timeout_ms = 2000;
char* redis_sentinels = nullptr;
char* redis_master_name = nullptr;
char* drain_database = nullptr;
char* drain_role = nullptr;
char* drain_superuser_tables = nullptr;
char* drain_streams = nullptr;
char* drain_group = nullptr;
int drain_batch_size = 1000;
int drain_max_rows_per_sec = 0;
int drain_workers = 1;
int drain_max_entry_size = 1024 * 1024;
int drain_max_attempts = 3;
int drain_lock_timeout_ms = 5000;
int drain_statement_timeout_ms = 60000;
bool drain_trim = true;
int drain_trim_delay_ms = 0;
int drain_replica_lag_limit_kb = 0;

namespace {

// A GUC check hook from a parser of the core (text, &error) -> optional:
// refuses a value the parser refuses, with its reason as the detail.
template <auto parse>
bool check_parses(char** newval, void** /*extra*/, GucSource /*source*/) {
    bool ok = false;
    try {
        std::string error;
        ok = parse(*newval ? *newval : "", &error).has_value();
        if (!ok)
            GUC_check_errdetail("%s", error.c_str());
    } catch (...) {
        ok = false;
    }
    return ok;
}

}  // namespace

// Redis host, port, user, password file and timeout are PGC_SUSET: the
// workers follow postgresql.conf (on SIGHUP), and a superuser session may
// point its own enqueue() elsewhere (a superuser reads any file the server
// can anyway). No setting holds the password itself: PostgreSQL logs every
// changed setting's value on reload ("parameter ... changed to ...").
void define_settings() {
    DefineCustomStringVariable(
        "multiquery.redis_host", "Host name or IP address of the Redis server of the write queue.",
        nullptr, &redis_host, "127.0.0.1", PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("multiquery.redis_port", "TCP port of the Redis server.", nullptr,
                            &redis_port, 6379, 1, 65535, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable(
        "multiquery.redis_user", "Redis ACL user to authenticate as (empty: the default user).",
        nullptr, &redis_user, "", PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable(
        "multiquery.redis_password_file",
        "File whose first line is the Redis password (empty: no AUTH).",
        "Read at each connect; refused if it has group or world access.", &redis_password_file,
        "", PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("multiquery.redis_timeout",
                            "How long to wait for Redis to connect or answer a command.", nullptr,
                            &redis_timeout_ms, 2000, 10, 600000, PGC_SUSET, GUC_UNIT_MS, nullptr,
                            nullptr, nullptr);
    DefineCustomStringVariable(
        "multiquery.redis_sentinels",
        "Redis Sentinels (host:port, comma-separated) that name the write queue's master.",
        "Empty: multiquery.redis_host and redis_port are the master.", &redis_sentinels, "",
        PGC_SUSET, 0, check_parses<parse_host_ports>, nullptr, nullptr);
    DefineCustomStringVariable("multiquery.redis_master_name",
                               "Name of the master the Sentinels monitor for the write queue.",
                               nullptr, &redis_master_name, "mymaster", PGC_SUSET, 0, nullptr,
                               nullptr, nullptr);
    DefineCustomStringVariable(
        "multiquery.drain_role", "Role whose privileges the drain's inserts run with.",
        "Empty (or a superuser) means each table's owner; set a role that may write only the "
        "queue's tables.",
        &drain_role, "", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
    // Superusers only: whoever may write to a stream could otherwise fill
    // a table that commands superuser rights (target.cpp).
    DefineCustomStringVariable(
        "multiquery.drain_superuser_tables",
        "Tables owned by a superuser or an extension that the drain may write.",
        "Schema-qualified names, comma-separated, or * for every such table; system relations "
        "are never written.",
        &drain_superuser_tables, "", PGC_SUSET, 0, check_parses<parse_table_list>, nullptr,
        nullptr);
    DefineCustomStringVariable("multiquery.drain_streams",
                               "Comma-separated Redis streams the drain workers read.", nullptr,
                               &drain_streams, "multiquery", PGC_SIGHUP, 0,
                               check_parses<parse_stream_list>, nullptr, nullptr);
    DefineCustomStringVariable("multiquery.drain_group",
                               "Redis consumer group the drain workers read the streams with.",
                               nullptr, &drain_group, "multiquery", PGC_SIGHUP, 0, nullptr,
                               nullptr, nullptr);
    DefineCustomIntVariable("multiquery.drain_batch_size",
                            "Most entries the drain reads and applies in one transaction.",
                            nullptr, &drain_batch_size, 1000, 1, 100000, PGC_SIGHUP, 0, nullptr,
                            nullptr, nullptr);
    DefineCustomIntVariable("multiquery.drain_max_rows_per_sec",
                            "Most rows per second each drain worker inserts (0: no limit).",
                            nullptr, &drain_max_rows_per_sec, 0, 0, 100000000, PGC_SIGHUP, 0,
                            nullptr, nullptr, nullptr);
    DefineCustomIntVariable("multiquery.drain_max_entry_size",
                            "Largest stream entry the drain applies; larger ones are dead letters.",
                            nullptr, &drain_max_entry_size, 1024 * 1024, 1024, 256 * 1024 * 1024,
                            PGC_SIGHUP, GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
    // A table's owner decides what an insert into it does (triggers, rules,
    // locks): these bound how long one table can hold its stream back.
    DefineCustomIntVariable(
        "multiquery.drain_max_attempts",
        "Times a batch is retried after a transient failure before its entries are tried one by one.",
        "An entry that then still fails alone becomes a dead letter, so that one table cannot "
        "stall its stream.",
        &drain_max_attempts, 3, 1, 1000, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("multiquery.drain_lock_timeout",
                            "Longest wait of the drain's inserts for a lock (0: no limit).",
                            nullptr, &drain_lock_timeout_ms, 5000, 0, INT_MAX, PGC_SIGHUP,
                            GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("multiquery.drain_statement_timeout",
                            "Longest time the drain's inserts of one batch may run (0: no limit).",
                            "Bounds triggers that sleep or wait however they set lock_timeout.",
                            &drain_statement_timeout_ms, 60000, 0, INT_MAX, PGC_SIGHUP,
                            GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable(
        "multiquery.drain_trim", "Removes applied entries from the streams (XTRIM MINID).",
        "An entry goes once its batch's commit is flushed on every connected standby and "
        "kept by every physical replication slot, so that a promoted standby can re-read it.",
        &drain_trim, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("multiquery.drain_trim_delay",
                            "How long applied entries stay in the streams beyond that.", nullptr,
                            &drain_trim_delay_ms, 0, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_MS, nullptr,
                            nullptr, nullptr);
    DefineCustomIntVariable(
        "multiquery.drain_replica_lag_limit",
        "Pauses the drain while a standby has this much WAL left to replay (0: never).",
        "Standbys are the connected ones and those holding a physical replication slot; the "
        "drain is the one writer the extension controls, so it yields to their replay.",
        &drain_replica_lag_limit_kb, 0, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_KB, nullptr, nullptr,
        nullptr);
    // What only the postmaster reads: defining a PGC_POSTMASTER variable
    // after startup is FATAL, and a library loaded late (LOAD, or a first
    // call without shared_preload_libraries) starts no workers anyway.
    if (!loading_at_postmaster_start())
        return;
    DefineCustomStringVariable(
        "multiquery.drain_database", "Database the drain workers write into.",
        "The multiquery extension must be created there.", &drain_database, "postgres",
        PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("multiquery.drain_workers",
                            "Number of drain background workers; each stream is read by one.",
                            nullptr, &drain_workers, 1, 0, 32, PGC_POSTMASTER, 0, nullptr,
                            nullptr, nullptr);
}

const char* drain_database_name() {
    if (drain_database != nullptr)
        return drain_database;
    const char* configured = GetConfigOption("multiquery.drain_database", true, false);
    return configured != nullptr ? configured : "postgres";
}

RedisConfig redis_config() {
    RedisConfig config;
    config.host = redis_host ? redis_host : "127.0.0.1";
    config.port = redis_port;
    config.user = redis_user ? redis_user : "";
    config.password_file = redis_password_file ? redis_password_file : "";
    config.timeout_ms = redis_timeout_ms;
    return config;
}

SentinelConfig sentinel_config() {
    SentinelConfig config;
    std::string error;
    config.sentinels = parse_host_ports(redis_sentinels ? redis_sentinels : "", &error)
                           .value_or(std::vector<HostPort>{});
    config.master_name = redis_master_name ? redis_master_name : "";
    return config;
}

}  // namespace mq::queue
