// The table syncs' progress in shared memory; see progress.hpp.
#include "move/progress.hpp"

#include <cstring>

#include "module.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_authid.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
}

namespace mq::move {
namespace {

constexpr const char* kShmemName = "multiquery table sync progress";
constexpr int kSlots = 64;
constexpr size_t kNameBytes = 2 * NAMEDATALEN + 8;

struct Slot {
    int pid;  // 0: free
    Oid database;
    Oid user;
    char target[kNameBytes];
    char source[kNameBytes];
    char phase[32];
    SyncCounts counts;
};

Slot* slots = nullptr;
LWLock* lock = nullptr;
shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;

void request_shared_memory() {
    if (previous_request_hook != nullptr) previous_request_hook();
    pg::run_guarded([] {
        pg::call([] {
            RequestAddinShmemSpace(sizeof(Slot) * kSlots);
            RequestNamedLWLockTranche(kShmemName, 1);
        });
    });
}

void attach_shared_memory() {
    if (previous_startup_hook != nullptr) previous_startup_hook();
    pg::run_guarded([] {
        pg::call([] {
            LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
            bool found = false;
            auto* shared =
                static_cast<Slot*>(ShmemInitStruct(kShmemName, sizeof(Slot) * kSlots, &found));
            if (!found) std::memset(static_cast<void*>(shared), 0, sizeof(Slot) * kSlots);
            lock = &GetNamedLWLockTranche(kShmemName)->lock;
            slots = shared;
            LWLockRelease(AddinShmemInitLock);
        });
    });
}

// Copies a name, cut at a character boundary.
void copy_name(char* buffer, size_t bytes, const std::string& text) {
    int length =
        pg_mbcliplen(text.c_str(), static_cast<int>(text.size()), static_cast<int>(bytes) - 1);
    std::memcpy(buffer, text.c_str(), static_cast<size_t>(length));
    buffer[length] = '\0';
}

// A backend that exits mid-sync (pg_terminate_backend, FATAL) unwinds no
// C++ frame: its slot is freed here.
void free_slot_at_exit(int, Datum slot) {
    int index = DatumGetInt32(slot);
    if (slots != nullptr && index >= 0 && slots[index].pid == MyProcPid) slots[index].pid = 0;
}

}  // namespace

void progress_init() {
    if (!loading_at_postmaster_start()) return;
    previous_request_hook = shmem_request_hook;
    shmem_request_hook = request_shared_memory;
    previous_startup_hook = shmem_startup_hook;
    shmem_startup_hook = attach_shared_memory;
}

ProgressSlot::ProgressSlot(const std::string& target, const std::string& source) {
    if (slots == nullptr) return;
    pg::call([&] {
        LWLockAcquire(lock, LW_EXCLUSIVE);
        for (int i = 0; i < kSlots; ++i)
            if (slots[i].pid == 0) {
                slot_ = i;
                std::memset(static_cast<void*>(&slots[i]), 0, sizeof(Slot));
                slots[i].pid = MyProcPid;
                slots[i].database = MyDatabaseId;
                slots[i].user = GetUserId();
                break;
            }
        LWLockRelease(lock);
    });
    if (slot_ < 0) return;
    pg::call([&] { before_shmem_exit(free_slot_at_exit, Int32GetDatum(slot_)); });
    copy_name(slots[slot_].target, kNameBytes, target);
    copy_name(slots[slot_].source, kNameBytes, source);
    set_phase("starting");
}

ProgressSlot::~ProgressSlot() {
    // Runs while an error unwinds too: no lock, no ereport. The slot is this
    // backend's alone, and readers take a slot whose pid is 0 as free.
    if (slot_ < 0) return;
    slots[slot_].pid = 0;
    cancel_before_shmem_exit(free_slot_at_exit, Int32GetDatum(slot_));
}

void ProgressSlot::set_phase(const char* phase) {
    if (slot_ < 0) return;
    pg::call([&] {
        LWLockAcquire(lock, LW_EXCLUSIVE);
        strlcpy(slots[slot_].phase, phase, sizeof slots[slot_].phase);
        LWLockRelease(lock);
    });
}

void ProgressSlot::set_counts(const SyncCounts& counts) {
    if (slot_ < 0) return;
    pg::call([&] {
        LWLockAcquire(lock, LW_EXCLUSIVE);
        slots[slot_].counts = counts;
        LWLockRelease(lock);
    });
}

}  // namespace mq::move

// multiquery.table_sync_progress(): the running syncs this role may see
// (its own, or all for members of pg_read_all_stats).
MQ_FUNCTION(multiquery_table_sync_progress) {
    using mq::move::Slot;
    mq::pg::call([&] { InitMaterializedSRF(fcinfo, 0); });
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    if (mq::move::slots == nullptr) return Datum(0);
    bool see_all =
        mq::pg::call([] { return has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS); });
    for (int i = 0; i < mq::move::kSlots; ++i) {
        Slot copy;
        mq::pg::call([&] {
            LWLockAcquire(mq::move::lock, LW_SHARED);
            copy = mq::move::slots[i];
            LWLockRelease(mq::move::lock);
        });
        if (copy.pid == 0 || (!see_all && copy.user != mq::pg::call([] { return GetUserId(); })))
            continue;
        constexpr int kColumns = 13;
        Datum values[kColumns];
        bool nulls[kColumns] = {};
        mq::pg::call([&] {
            values[0] = Int32GetDatum(copy.pid);
            values[1] = ObjectIdGetDatum(copy.database);
            values[2] = CStringGetTextDatum(copy.target);
            values[3] = CStringGetTextDatum(copy.source);
            values[4] = CStringGetTextDatum(copy.phase);
            values[5] = Int32GetDatum(copy.counts.pass);
            values[6] = Int64GetDatum(copy.counts.chunks_total);
            values[7] = Int64GetDatum(copy.counts.chunks_done);
            values[8] = Int64GetDatum(copy.counts.rows_fetched);
            values[9] = Int64GetDatum(copy.counts.rows_inserted);
            values[10] = Int64GetDatum(copy.counts.rows_updated);
            values[11] = Int64GetDatum(copy.counts.rows_deleted);
            values[12] = Int64GetDatum(copy.counts.rows_skipped);
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        });
    }
    return Datum(0);
}
