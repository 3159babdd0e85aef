// The drain's status in shared memory and the multiquery.drain_status view.
#include "queue/status.hpp"

#include <cstring>
#include <string>

#include "pg/guard.hpp"

extern "C" {
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

namespace mq::queue::status {
namespace {

struct Slot {
    bool used;
    int worker;
    int pid;
    char stream[256];
    DrainState state;
    char state_sqlstate[6];  // for kRetryingAfterError
    int64 entries_applied;
    int64 rows_applied;
    int64 entries_skipped;
    int64 dead_letters;
    char last_applied_id[48];
    char trimmed_to[48];
    int64 pending;  // -1: not known yet
    int64 lag;      // -1: not known (Redis cannot tell)
    char last_error[512];
    TimestampTz last_error_at;  // 0: never
    TimestampTz updated_at;
    int64 entries_removed_unread;
};

struct Shared {
    LWLock* lock;
    Slot slots[kMaxSlots];
};

Shared* shared = nullptr;
shmem_request_hook_type previous_request_hook = nullptr;
shmem_startup_hook_type previous_startup_hook = nullptr;
constexpr const char* kTranche = "multiquery_drain_status";

// Copies from into a fixed field, cut at a character boundary of the
// database encoding when it does not fit: never half a UTF-8 character.
void copy(char* to, size_t size, const char* from) {
    if (from == nullptr)
        from = "";
    int length = static_cast<int>(strlen(from));
    int fits = pg_mbcliplen(from, length, static_cast<int>(size) - 1);
    memcpy(to, from, static_cast<size_t>(fits));
    to[fits] = '\0';
}

// Runs fn on the slot under the lock; nothing when there is no shared memory.
template <typename Fn>
void with_slot(int slot, Fn&& fn) {
    if (shared == nullptr || slot < 0 || slot >= kMaxSlots)
        return;
    pg::call([&] {
        LWLockAcquire(shared->lock, LW_EXCLUSIVE);
        fn(shared->slots[slot]);
        shared->slots[slot].updated_at = GetCurrentTimestamp();
        LWLockRelease(shared->lock);
    });
}

// Runs fn on each used slot of one worker under the lock.
template <typename Fn>
void with_worker_slots(int worker, Fn&& fn) {
    if (shared == nullptr)
        return;
    pg::call([&] {
        LWLockAcquire(shared->lock, LW_EXCLUSIVE);
        for (Slot& s : shared->slots)
            if (s.used && s.worker == worker)
                fn(s);
        LWLockRelease(shared->lock);
    });
}

void request_shmem() {
    if (previous_request_hook)
        previous_request_hook();
    RequestAddinShmemSpace(MAXALIGN(sizeof(Shared)));
    RequestNamedLWLockTranche(kTranche, 1);
}

void startup_shmem() {
    if (previous_startup_hook)
        previous_startup_hook();
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    bool found = false;
    shared = static_cast<Shared*>(ShmemInitStruct("multiquery drain status", sizeof(Shared), &found));
    if (!found) {
        std::memset(shared, 0, sizeof(Shared));
        shared->lock = &(GetNamedLWLockTranche(kTranche))->lock;
    }
    LWLockRelease(AddinShmemInitLock);
}

}  // namespace

int attach(int worker, const char* stream, int pid) {
    if (shared == nullptr)
        return -1;
    int found = -1;
    pg::call([&] {
        LWLockAcquire(shared->lock, LW_EXCLUSIVE);
        int free_slot = -1;
        for (int i = 0; i < kMaxSlots && found < 0; ++i) {
            Slot& s = shared->slots[i];
            if (s.used && s.worker == worker && std::strcmp(s.stream, stream) == 0)
                found = i;
            else if (!s.used && free_slot < 0)
                free_slot = i;
        }
        if (found < 0 && free_slot >= 0) {
            found = free_slot;
            Slot& s = shared->slots[found];
            std::memset(&s, 0, sizeof(Slot));
            s.used = true;
            s.worker = worker;
            copy(s.stream, sizeof(s.stream), stream);
            s.pending = -1;
            s.lag = -1;
        }
        if (found >= 0) {
            shared->slots[found].pid = pid;
            shared->slots[found].state = DrainState::kStarting;
            shared->slots[found].updated_at = GetCurrentTimestamp();
        }
        LWLockRelease(shared->lock);
    });
    return found;
}

void detach_others(int worker, const char* const* keep, int n) {
    with_worker_slots(worker, [&](Slot& s) {
        bool kept = false;
        for (int i = 0; i < n && !kept; ++i)
            kept = std::strcmp(s.stream, keep[i]) == 0;
        if (!kept)
            s.used = false;
    });
}

void set_worker_state(int worker, DrainState state, bool stopped) {
    TimestampTz now = GetCurrentTimestamp();
    with_worker_slots(worker, [&](Slot& s) {
        s.state = state;
        if (stopped)
            s.pid = 0;
        s.updated_at = now;
    });
}

void set_state(int slot, DrainState state, const char* sqlstate) {
    with_slot(slot, [&](Slot& s) {
        s.state = state;
        copy(s.state_sqlstate, sizeof(s.state_sqlstate), sqlstate);
    });
}

void set_error(int slot, const char* message) {
    with_slot(slot, [&](Slot& s) {
        copy(s.last_error, sizeof(s.last_error), message);
        s.last_error_at = GetCurrentTimestamp();
    });
}

void add_applied(int slot, int64_t entries, int64_t rows, int64_t skipped, int64_t dead_letters,
                 const char* last_applied_id) {
    with_slot(slot, [&](Slot& s) {
        s.entries_applied += entries;
        s.rows_applied += rows;
        s.entries_skipped += skipped;
        s.dead_letters += dead_letters;
        if (last_applied_id && *last_applied_id)
            copy(s.last_applied_id, sizeof(s.last_applied_id), last_applied_id);
    });
}

void add_removed_unread(int slot, int64_t entries) {
    with_slot(slot, [&](Slot& s) { s.entries_removed_unread += entries; });
}

void set_backlog(int slot, int64_t pending, int64_t lag) {
    with_slot(slot, [&](Slot& s) {
        s.pending = pending;
        s.lag = lag;
    });
}

void set_trimmed(int slot, const char* trimmed_to) {
    with_slot(slot, [&](Slot& s) { copy(s.trimmed_to, sizeof(s.trimmed_to), trimmed_to); });
}

void init() {
    previous_request_hook = shmem_request_hook;
    shmem_request_hook = request_shmem;
    previous_startup_hook = shmem_startup_hook;
    shmem_startup_hook = startup_shmem;
}

}  // namespace mq::queue::status

namespace {

using mq::queue::status::kMaxSlots;

// Adds one row of the view; a frame with no C++ object, so it may ereport.
// An extension not updated yet declares fewer columns: the row is cut to
// desc's, the columns being added only at the end.
void put_row(Tuplestorestate* store, TupleDesc desc, const mq::queue::status::Slot* s,
             const char* state) {
    Datum values[16];
    bool nulls[16] = {false};
    values[0] = Int32GetDatum(s->worker);
    values[1] = Int32GetDatum(s->pid);
    nulls[1] = s->pid == 0;
    values[2] = CStringGetTextDatum(s->stream);
    values[3] = CStringGetTextDatum(state);
    values[4] = Int64GetDatum(s->entries_applied);
    values[5] = Int64GetDatum(s->rows_applied);
    values[6] = Int64GetDatum(s->entries_skipped);
    values[7] = Int64GetDatum(s->dead_letters);
    values[8] = CStringGetTextDatum(s->last_applied_id);
    nulls[8] = s->last_applied_id[0] == '\0';
    values[9] = Int64GetDatum(s->pending);
    nulls[9] = s->pending < 0;
    values[10] = Int64GetDatum(s->lag);
    nulls[10] = s->lag < 0;
    values[11] = CStringGetTextDatum(s->last_error);
    nulls[11] = s->last_error[0] == '\0';
    values[12] = TimestampTzGetDatum(s->last_error_at);
    nulls[12] = s->last_error_at == 0;
    values[13] = TimestampTzGetDatum(s->updated_at);
    values[14] = CStringGetTextDatum(s->trimmed_to);
    nulls[14] = s->trimmed_to[0] == '\0';
    values[15] = Int64GetDatum(s->entries_removed_unread);
    if (desc->natts > 16)
        elog(ERROR, "multiquery._drain_status() is declared with %d columns, more than 16",
             desc->natts);
    tuplestore_putvalues(store, desc, values, nulls);
}

}  // namespace

// multiquery._drain_status(): the rows of the multiquery.drain_status view.
MQ_FUNCTION(multiquery_drain_status) {
    using mq::queue::status::Slot;
    ReturnSetInfo* rsinfo = nullptr;
    Slot* copy = nullptr;
    mq::pg::call([&] {
        InitMaterializedSRF(fcinfo, 0);
        rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
        if (mq::queue::status::shared == nullptr)
            return;
        copy = static_cast<Slot*>(palloc(sizeof(Slot) * kMaxSlots));
        LWLockAcquire(mq::queue::status::shared->lock, LW_SHARED);
        std::memcpy(copy, mq::queue::status::shared->slots, sizeof(Slot) * kMaxSlots);
        LWLockRelease(mq::queue::status::shared->lock);
    });
    if (copy == nullptr)
        return (Datum)0;
    for (int i = 0; i < kMaxSlots; ++i) {
        if (!copy[i].used)
            continue;
        std::string state = mq::queue::to_string(copy[i].state, copy[i].state_sqlstate);
        const Slot* row = &copy[i];
        mq::pg::call([&] { put_row(rsinfo->setResult, rsinfo->setDesc, row, state.c_str()); });
    }
    return (Datum)0;
}
