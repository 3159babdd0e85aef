// Race statistics in shared memory: the table of targets, its lock, and the
// recording side the race engine calls (stats.hpp).
//
// One LWLock guards the whole table. record_outcome() holds it exclusively
// for a hash probe and a few additions; everything that can take time or fail
// (cutting strings at character boundaries, hashing, reading the clock) is
// done before taking it, and nothing under it allocates or reports.
// The table is an open-addressed hash on the target name with linear probing;
// slots are only ever emptied all at once (reset), so a probe may stop at the
// first unused slot.
#include "race/stats.hpp"

#include <cmath>
#include <cstring>

#include "module.hpp"
#include "pg/guard.hpp"
#include "race/stats_shmem.hpp"

extern "C" {
#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
}

namespace mq::race {
namespace {

constexpr const char* kShmemName = "multiquery race stats";

// One target's statistics and where they sit in the hash.
struct TargetStatsSlot {
    bool in_use;
    uint32 hash;
    stats::TargetSummary summary;
    MinuteRing wins_per_minute;
};

// The table, in shared memory: a header followed by slot_count slots.
struct SharedTable {
    int slot_count;
    int used;
    uint64 untracked;
    TimestampTz stats_reset;
    TargetStatsSlot slots[FLEXIBLE_ARRAY_MEMBER];
};

int max_targets_guc = 64;  // multiquery.stats_max_targets
SharedTable* table = nullptr;  // null unless preloaded
LWLock* table_lock = nullptr;
shmem_request_hook_type previous_shmem_request_hook = nullptr;
shmem_startup_hook_type previous_shmem_startup_hook = nullptr;

// The table's size for the configured number of targets. May ereport.
Size table_size() {
    return add_size(offsetof(SharedTable, slots),
                    mul_size(static_cast<Size>(max_targets_guc), sizeof(TargetStatsSlot)));
}

// Asks the postmaster for the table's memory and its lock.
void request_shared_memory() {
    if (previous_shmem_request_hook != nullptr)
        previous_shmem_request_hook();
    mq::pg::run_guarded([] {
        mq::pg::call([] {
            RequestAddinShmemSpace(table_size());
            RequestNamedLWLockTranche(kShmemName, 1);
        });
    });
}

// Finds (or, after a restart, creates and empties) the table in shared memory.
void attach_shared_memory() {
    if (previous_shmem_startup_hook != nullptr)
        previous_shmem_startup_hook();
    mq::pg::run_guarded([] {
        mq::pg::call([] {
            LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
            bool found = false;
            auto* shared = static_cast<SharedTable*>(ShmemInitStruct(kShmemName, table_size(), &found));
            if (!found) {
                std::memset(static_cast<void*>(shared), 0, table_size());
                shared->slot_count = max_targets_guc;
                shared->stats_reset = GetCurrentTimestamp();
            }
            table_lock = &GetNamedLWLockTranche(kShmemName)->lock;
            table = shared;
            LWLockRelease(AddinShmemInitLock);
        });
    });
}

// A name or message cut to fit a buffer of bytes (NUL included) without
// splitting a multibyte character, and cut again before any byte sequence
// invalid in the database encoding (a remote message may carry one), so the
// views always show valid text. Never errors: these functions only measure.
void clip_copy(char* buffer, size_t bytes, const char* text) {
    int length = static_cast<int>(strnlen(text, bytes * 4));
    int clipped = pg_mbcliplen(text, length, static_cast<int>(bytes) - 1);
    // pg_mbcliplen trusts a lead byte's length, even past the end of the text.
    if (clipped > length)
        clipped = length;
    clipped = pg_encoding_verifymbstr(GetDatabaseEncoding(), text, clipped);
    std::memcpy(buffer, text, static_cast<size_t>(clipped));
    buffer[clipped] = '\0';
}

// The slot of a target, added if absent and there is room; null when the
// table is full. Call with the lock held exclusively (shared if !add).
TargetStatsSlot* find_slot(const char* target, uint32 hash, bool add) {
    int count = table->slot_count;
    for (int probe = 0; probe < count; ++probe) {
        TargetStatsSlot* slot = &table->slots[(hash + static_cast<uint32>(probe)) % count];
        if (!slot->in_use) {
            if (!add)
                return nullptr;
            slot->in_use = true;
            slot->hash = hash;
            std::memcpy(slot->summary.target, target, stats::kTargetBytes);
            ++table->used;
            return slot;
        }
        if (slot->hash == hash && std::strcmp(slot->summary.target, target) == 0)
            return slot;
    }
    return nullptr;
}

// A target's name as the table keys it, and its hash.
struct TargetKey {
    char name[stats::kTargetBytes];
    uint32 hash;
};

void make_key(const char* target, TargetKey* key) {
    std::memset(key->name, 0, sizeof(key->name));
    clip_copy(key->name, sizeof(key->name), target);
    key->hash = hash_bytes(reinterpret_cast<const unsigned char*>(key->name),
                           static_cast<int>(std::strlen(key->name)));
}

}  // namespace

void stats_init() {
    // PostgreSQL refuses (FATAL) a PGC_POSTMASTER variable defined after
    // startup, and the table it sizes only exists when preloaded anyway.
    if (!mq::loading_at_postmaster_start())
        return;
    mq::pg::call([] {
        DefineCustomIntVariable(
            "multiquery.stats_max_targets",
            "Sets how many race targets the race statistics track.",
            "Outcomes of further targets are only counted, in "
            "multiquery.race_stats_info.untracked. Each target takes about 28 kB of "
            "shared memory.",
            &max_targets_guc, 64, 1, 4096, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
    });
    previous_shmem_request_hook = shmem_request_hook;
    shmem_request_hook = request_shared_memory;
    previous_shmem_startup_hook = shmem_startup_hook;
    shmem_startup_hook = attach_shared_memory;
}

void record_outcome(const char* target, Outcome outcome, int64_t latency_us, const char* error) {
    if (table == nullptr || target == nullptr)
        return;
    TargetKey key;
    make_key(target, &key);
    char error_text[stats::kErrorBytes];
    if (error != nullptr)
        clip_copy(error_text, sizeof(error_text), error);
    TimestampTz now = GetCurrentTimestamp();
    int64_t minute = stats::minute_of(now);

    LWLockAcquire(table_lock, LW_EXCLUSIVE);
    TargetStatsSlot* slot = find_slot(key.name, key.hash, true);
    if (slot == nullptr) {
        ++table->untracked;
    } else {
        stats::TargetSummary& summary = slot->summary;
        ++summary.races;
        switch (outcome) {
            case Outcome::kWin:
                ++summary.wins;
                summary.win_latency_us.record(latency_us);
                slot->wins_per_minute.add(minute);
                break;
            case Outcome::kCancelled:
                ++summary.cancels;
                break;
            case Outcome::kLost:
                break;
            case Outcome::kError:
                ++summary.errors;
                break;
        }
        if (error != nullptr) {
            std::memcpy(summary.last_error, error_text, sizeof(error_text));
            summary.last_error_at = now;
            summary.has_error = true;
        }
    }
    LWLockRelease(table_lock);
}

namespace {

// Adds one to a counter of target's summary (hedges, cancels) and nothing else.
void count(const char* target, uint64_t stats::TargetSummary::*counter) {
    if (table == nullptr || target == nullptr)
        return;
    TargetKey key;
    make_key(target, &key);
    LWLockAcquire(table_lock, LW_EXCLUSIVE);
    TargetStatsSlot* slot = find_slot(key.name, key.hash, true);
    if (slot == nullptr)
        ++table->untracked;
    else
        ++(slot->summary.*counter);
    LWLockRelease(table_lock);
}

}  // namespace

void record_hedge(const char* target) {
    count(target, &stats::TargetSummary::hedges);
}

void record_late_cancel(const char* target) {
    count(target, &stats::TargetSummary::cancels);
}

int64_t latency_quantile_us(const char* target, double p) {
    if (table == nullptr || target == nullptr || !(p > 0.0 && p < 1.0))
        return -1;
    TargetKey key;
    make_key(target, &key);
    LatencyHistogram histogram;
    histogram.clear();
    LWLockAcquire(table_lock, LW_SHARED);
    TargetStatsSlot* slot = find_slot(key.name, key.hash, false);
    if (slot != nullptr)
        std::memcpy(static_cast<void*>(&histogram), &slot->summary.win_latency_us,
                    sizeof(histogram));
    LWLockRelease(table_lock);
    std::optional<double> quantile = histogram.quantile(p);
    return quantile ? std::llround(*quantile) : -1;
}

namespace stats {

bool tracking() { return table != nullptr; }

int slot_count() { return table != nullptr ? table->slot_count : 0; }

bool copy_summary(int slot, TargetSummary* out) {
    if (table == nullptr || slot < 0 || slot >= table->slot_count)
        return false;
    LWLockAcquire(table_lock, LW_SHARED);
    const TargetStatsSlot& source = table->slots[slot];
    bool in_use = source.in_use;
    if (in_use)
        std::memcpy(static_cast<void*>(out), &source.summary, sizeof(*out));
    LWLockRelease(table_lock);
    return in_use;
}

bool copy_wins(int slot, char (*target)[kTargetBytes], MinuteRing* wins) {
    if (table == nullptr || slot < 0 || slot >= table->slot_count)
        return false;
    LWLockAcquire(table_lock, LW_SHARED);
    const TargetStatsSlot& source = table->slots[slot];
    bool in_use = source.in_use;
    if (in_use) {
        std::memcpy(*target, source.summary.target, kTargetBytes);
        std::memcpy(static_cast<void*>(wins), &source.wins_per_minute, sizeof(*wins));
    }
    LWLockRelease(table_lock);
    return in_use;
}

TableInfo table_info() {
    TableInfo info{};
    if (table == nullptr)
        return info;
    info.tracking = true;
    LWLockAcquire(table_lock, LW_SHARED);
    info.targets = table->used;
    info.max_targets = table->slot_count;
    info.untracked = table->untracked;
    info.stats_reset = table->stats_reset;
    LWLockRelease(table_lock);
    return info;
}

void reset_all() {
    if (table == nullptr)
        return;
    TimestampTz now = GetCurrentTimestamp();
    LWLockAcquire(table_lock, LW_EXCLUSIVE);
    // Zeroing every slot (counters, histogram, ring) takes a while for a big
    // table, but resets are rare and the recorders only wait, never fail.
    std::memset(static_cast<void*>(table->slots), 0,
                static_cast<size_t>(table->slot_count) * sizeof(TargetStatsSlot));
    table->used = 0;
    table->untracked = 0;
    table->stats_reset = now;
    LWLockRelease(table_lock);
}

int64_t minute_of(TimestampTz time) {
    int64_t minute = time / USECS_PER_MINUTE;
    return time % USECS_PER_MINUTE < 0 ? minute - 1 : minute;
}

TimestampTz minute_start(int64_t minute) { return minute * USECS_PER_MINUTE; }

}  // namespace stats
}  // namespace mq::race
