// Reading the drain's progress and the standbys' positions; see progress.hpp.
#include "queue/progress.hpp"


#include "core/freshness.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/xact.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/pg_lsn.h"
#include "utils/snapmgr.h"
}

namespace mq::queue {
namespace {

// Runs one read-only SPI query with at most one text parameter in a
// transaction of its own; returns its single value as text, or "" for none
// or NULL. Runs inside pg::call.
char* single_value(const char* sql, const char* param) {
    char* value = nullptr;
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    PushActiveSnapshot(GetTransactionSnapshot());
    Oid type = TEXTOID;
    Datum arg = param ? CStringGetTextDatum(param) : (Datum)0;
    int rc = SPI_execute_with_args(sql, param ? 1 : 0, &type, &arg, nullptr, true, 1);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "unexpected SPI result %d", rc);
    if (SPI_processed == 1) {
        char* found = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        // Out of SPI's context, which SPI_finish frees.
        value = found ? MemoryContextStrdup(TopMemoryContext, found) : nullptr;
    }
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
    return value;
}

// single_value from C++: its text ("" for none or NULL), back in the caller's
// memory context (a transaction's commit leaves another one current).
std::string query_text(const char* sql, const char* param = nullptr) {
    MemoryContext caller = CurrentMemoryContext;
    char* value = pg::call([&] { return single_value(sql, param); });
    MemoryContextSwitchTo(caller);
    std::string text = value ? value : "";
    if (value)
        pfree(value);
    return text;
}

}  // namespace

std::string committed_progress(const std::string& stream) {
    std::string id = query_text("SELECT last_id FROM multiquery.drain_progress WHERE stream = $1",
                                stream.c_str());
    return id.empty() ? "0-0" : id;
}

uint64_t replication_safe_lsn() {
    // LEAST ignores NULLs: with no standby and no slot, flushed is safe.
    std::string text = query_text(
        "SELECT LEAST(pg_catalog.pg_current_wal_flush_lsn(),"
        " (SELECT pg_catalog.min(coalesce(flush_lsn, '0/0')) FROM pg_catalog.pg_stat_replication),"
        " (SELECT pg_catalog.min(restart_lsn) FROM pg_catalog.pg_replication_slots"
        "   WHERE slot_type = 'physical'))::text");
    return parse_lsn(text).value_or(0);
}

const char* const kReplicaLagQuery =
    "SELECT pg_catalog.max(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), lsn))"
    "::bigint::text FROM (SELECT replay_lsn AS lsn FROM pg_catalog.pg_stat_replication"
    " UNION ALL SELECT restart_lsn FROM pg_catalog.pg_replication_slots"
    "   WHERE slot_type = 'physical') AS standby WHERE lsn IS NOT NULL";

int64_t replica_lag_bytes() {
    std::string text = query_text(kReplicaLagQuery);
    return text.empty() ? -1 : std::stoll(text);
}

}  // namespace mq::queue
