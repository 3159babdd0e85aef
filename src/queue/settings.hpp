// The write queue's GUCs (multiquery.redis_*, multiquery.drain_*).
#pragma once

#include "queue/redis.hpp"
#include "queue/redis_master.hpp"

namespace mq::queue {

extern char* redis_host;
extern int redis_port;
extern char* redis_user;
extern char* redis_password_file;
extern int redis_timeout_ms;
extern char* redis_sentinels;
extern char* redis_master_name;
extern char* drain_database;
// multiquery.drain_database, also where the library was not preloaded (the
// setting is then read as postgresql.conf has it, "postgres" by default).
const char* drain_database_name();
extern char* drain_role;
extern char* drain_superuser_tables;
extern char* drain_streams;
extern char* drain_group;
extern int drain_batch_size;
extern int drain_max_rows_per_sec;
extern int drain_workers;
extern int drain_max_entry_size;
extern int drain_max_attempts;
extern int drain_lock_timeout_ms;
extern int drain_statement_timeout_ms;
extern bool drain_trim;
extern int drain_trim_delay_ms;
extern int drain_replica_lag_limit_kb;

// Defines the GUCs; called from _PG_init in every process that loads the library.
void define_settings();

// Where Redis is, as the GUCs say now.
RedisConfig redis_config();

// The Sentinels to ask for the master, as the GUCs say now (none: use redis_host).
SentinelConfig sentinel_config();

}  // namespace mq::queue
