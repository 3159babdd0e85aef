// What each drain worker is doing, per stream, kept in shared memory for the
// multiquery.drain_status view. Workers write; any backend reads. Every
// function here is safe from C++ with live objects (none longjmps); without
// shared_preload_libraries there is no shared memory and they do nothing.
#pragma once

#include <cstdint>

#include "core/drain_state.hpp"

namespace mq::queue::status {

// At most this many (worker, stream) rows are shown; more streams still drain.
inline constexpr int kMaxSlots = 128;

// Finds or takes the slot of (worker, stream), records pid; -1 when full.
int attach(int worker, const char* stream, int pid);

// Frees the worker's slots whose stream is no longer among keep[0..n).
void detach_others(int worker, const char* const* keep, int n);

// Marks every slot of the worker: new state (and pid 0 when stopping).
void set_worker_state(int worker, DrainState state, bool stopped);

// sqlstate: the error's SQLSTATE, for DrainState::kRetryingAfterError.
void set_state(int slot, DrainState state, const char* sqlstate = nullptr);
void set_error(int slot, const char* message);
void add_applied(int slot, int64_t entries, int64_t rows, int64_t skipped, int64_t dead_letters,
                 const char* last_applied_id);
// Entries removed from the stream before the drain read them (counted
// where they are detected: drain_rewind.cpp).
void add_removed_unread(int slot, int64_t entries);
void set_backlog(int slot, int64_t pending, int64_t lag);
// The stream has been trimmed up to and with this entry id.
void set_trimmed(int slot, const char* trimmed_to);

// Registers the shared memory request and its initialisation (from _PG_init).
void init();

}  // namespace mq::queue::status
