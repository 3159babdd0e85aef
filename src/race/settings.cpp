// The race's GUCs; see settings.hpp. All PGC_USERSET, so that they can be set
// per session, per role and per database.
#include "race/settings.hpp"

#include <climits>
#include <cstdlib>

#include "pg/postgres.hpp"

extern "C" {
#include "access/xlog.h"
#include "access/xlogrecovery.h"
#include "utils/guc.h"
#include "utils/pg_lsn.h"
}

namespace mq::race {

int race_timeout_ms = 10000;
int connect_timeout_ms = 2000;
int cancel_timeout_ms = 1000;
int race_cancel_grace_ms = 5;
int race_prepared_statements = 16;
int target_backoff_ms = 1000;
int target_backoff_max_ms = 60000;
int hedge_delay_ms = 0;
int max_replica_lag_ms = 0;
int race_max_cached_connections = 8;
int race_connection_idle_timeout_ms = 300000;
uint64_t session_min_lsn = 0;
bool session_min_lsn_local = false;
int race_snapshot = kSnapshotStatement;

namespace {

const config_enum_entry race_snapshot_options[] = {
    {"statement", kSnapshotStatement, false},
    {"scan", kSnapshotScan, false},
    {nullptr, 0, false},
};

char* hedge_delay_text = nullptr;

// Accepts 'auto' or a duration; hands the parsed value to the assign hook.
bool check_hedge_delay(char** newval, void** extra, GucSource) {
    int delay = 0;
    const char* hint = nullptr;
    if (!parse_hedge_delay(*newval, &delay, &hint)) {
        GUC_check_errdetail("multiquery.hedge_delay must be 'auto' or a duration such as '10ms'.");
        if (hint != nullptr)
            GUC_check_errhint("%s", hint);
        return false;
    }
    // PostgreSQL 15 frees a check hook's extra with free().
    int* parsed = static_cast<int*>(malloc(sizeof(int)));
    if (parsed == nullptr)
        return false;
    *parsed = delay;
    *extra = parsed;
    return true;
}

void assign_hedge_delay(const char*, void* extra) {
    hedge_delay_ms = *static_cast<int*>(extra);
}

char* min_lsn_text = nullptr;

// The parsed multiquery.min_lsn: an LSN (0 = off), or 'local'.
struct MinLsnSetting {
    uint64_t lsn;
    bool local;
};

// Accepts '' (off), 'local' (this server's own position at each race) or an
// LSN as pg_lsn reads it ('0/3030BD0').
bool check_min_lsn(char** newval, void** extra, GucSource) {
    MinLsnSetting setting{0, false};
    if (pg_strcasecmp(*newval, "local") == 0) {
        setting.local = true;
    } else if (**newval != '\0') {
        bool invalid = false;
        setting.lsn = pg_lsn_in_internal(*newval, &invalid);
        if (invalid) {
            GUC_check_errdetail("multiquery.min_lsn must be an LSN such as '0/3030BD0', 'local', "
                                "or '' for none.");
            GUC_check_errhint("pg_current_wal_insert_lsn() on the primary after a write gives it.");
            return false;
        }
    }
    auto* parsed = static_cast<MinLsnSetting*>(malloc(sizeof(MinLsnSetting)));
    if (parsed == nullptr)
        return false;
    *parsed = setting;
    *extra = parsed;
    return true;
}

void assign_min_lsn(const char*, void* extra) {
    const auto* setting = static_cast<MinLsnSetting*>(extra);
    session_min_lsn = setting->lsn;
    session_min_lsn_local = setting->local;
}

}  // namespace

uint64_t min_lsn_for_race() {
    if (!session_min_lsn_local)
        return session_min_lsn;
    // Read from shared memory under a spinlock: no query, no error.
    return RecoveryInProgress() ? GetXLogReplayRecPtr(nullptr) : GetXLogInsertRecPtr();
}

bool parse_hedge_delay(const char* text, int* delay_ms, const char** hint) {
    if (pg_strcasecmp(text, "auto") == 0) {
        *delay_ms = kHedgeAuto;
        return true;
    }
    // parse_int reads units the way PostgreSQL's own time settings do, and
    // never raises an error.
    int value = 0;
    if (!parse_int(text, &value, GUC_UNIT_MS, hint) || value < 0)
        return false;
    *delay_ms = value;
    return true;
}

void define_settings() {
    DefineCustomIntVariable(
        "multiquery.race_timeout", "How long race_query waits for a target to answer.",
        "0 means no limit beyond statement_timeout. The timeout_ms argument overrides it.",
        &race_timeout_ms, 10000, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "multiquery.connect_timeout", "How long race_query lets one target take to connect.",
        "A target that has not finished connecting by then fails and is backed off.",
        &connect_timeout_ms, 2000, 1, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
        nullptr);
    DefineCustomIntVariable(
        "multiquery.cancel_timeout",
        "How long a cancelled target has to give its connection back.",
        "A target whose cancelled query has not ended by then loses its connection; the race "
        "that needed it connects once more.",
        &cancel_timeout_ms, 1000, 1, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "multiquery.race_cancel_grace",
        "The longest a query that lost a race is left to finish before it is cancelled.",
        "Within this bound each target's grace follows its recent latency; a loser still "
        "running past its grace is cancelled by the next race that uses its connection. "
        "0 cancels every loser at once.",
        &race_cancel_grace_ms, 5, 0, 60000, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "multiquery.race_prepared_statements",
        "How many queries each cached race connection keeps prepared on its server.",
        "A query raced again on the same connection is then only bound and executed remotely; "
        "the least recently used is deallocated first. 0 parses and plans every query anew.",
        &race_prepared_statements, 16, 0, 1000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "multiquery.target_backoff",
        "How long race_query skips a target after it failed or stalled.",
        "Doubles with each further failure up to multiquery.target_backoff_max; 0 disables.",
        &target_backoff_ms, 1000, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
        nullptr);
    DefineCustomIntVariable(
        "multiquery.target_backoff_max", "The longest time race_query skips a failed target.",
        nullptr, &target_backoff_max_ms, 60000, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr,
        nullptr, nullptr);
    DefineCustomStringVariable(
        "multiquery.hedge_delay",
        "How long race_query waits for its first target before sending to the others.",
        "0 sends to every target at once; 'auto' waits for the first target's recent 95th "
        "percentile winning latency (all at once while it has none). The hedge_delay argument "
        "overrides it.",
        &hedge_delay_text, "0", PGC_USERSET, 0, check_hedge_delay, assign_hedge_delay, nullptr);
    DefineCustomIntVariable(
        "multiquery.max_replica_lag",
        "The replay lag beyond which a standby does not take part in races.",
        "A lagging standby is only probed until it has caught up; 0 disables the bound.",
        &max_replica_lag_ms, 0, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "multiquery.race_max_cached_connections",
        "How many connections to race targets one backend keeps open between races.",
        "The least recently used is closed first. A running race's connections count against "
        "it but are never closed, so a race with more targets exceeds it while it runs.",
        &race_max_cached_connections, 8, 0, 10000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "multiquery.race_connection_idle_timeout",
        "How long a cached connection to a race target may stay unused before it is closed.",
        "Applied when a race starts or ends and when race_connections() is called, not while "
        "the backend runs no race; 0 keeps idle connections until the bound or backend exit.",
        &race_connection_idle_timeout_ms, 300000, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr,
        nullptr, nullptr);
    DefineCustomStringVariable(
        "multiquery.min_lsn",
        "Read-your-writes for every raced read of the session: the WAL position a target must "
        "have replayed to answer.",
        "'' (the default) or '0/0' lets every target answer; 'local' asks for at least the "
        "position of this server when the race starts (replayed on a standby, inserted on a "
        "primary). race_query's min_lsn argument, when given, wins over it.",
        &min_lsn_text, "", PGC_USERSET, 0, check_min_lsn, assign_min_lsn, nullptr);
    DefineCustomEnumVariable(
        "multiquery.race_snapshot",
        "Whether the raced scans of a statement read one snapshot or race each on its own.",
        "'statement': every raced scan of a statement on one race group (of the transaction, "
        "under REPEATABLE READ or SERIALIZABLE) reads the snapshot of the target that answered "
        "the first. 'scan': every scan is a race of its own.",
        &race_snapshot, kSnapshotStatement, race_snapshot_options, PGC_USERSET, 0, nullptr,
        nullptr, nullptr);
}

}  // namespace mq::race
