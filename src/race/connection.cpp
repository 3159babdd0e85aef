// The per-backend connection cache; see connection.hpp.
#include "race/connection.hpp"

#include <poll.h>

#include <chrono>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "core/cache_trim.hpp"
#include "pg/guard.hpp"
#include "race/cancel.hpp"
#include "race/late_cancel.hpp"
#include "race/settings.hpp"
#include "race/stats.hpp"

extern "C" {
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/inval.h"
#include "utils/syscache.h"
}

namespace mq::race {
namespace {

// How long backend exit waits, in total, to send cancels for running queries.
constexpr int kExitCancelBoundMs = 250;

// Heap-allocated and never freed: a static map would be destroyed after
// PostgreSQL's own exit callbacks, in no order we control.
std::unordered_map<std::string, std::unique_ptr<TargetSlot>>* slots = nullptr;

// Marks the connections made with a changed foreign server or user mapping
// for reconnection (hashvalue 0: every entry of that cache changed).
void invalidate_slots(Datum, int cacheid, uint32 hashvalue) {
    if (slots == nullptr)
        return;
    for (auto& [key, slot] : *slots) {
        uint32_t hash = cacheid == FOREIGNSERVEROID ? slot->server_hash : slot->mapping_hash;
        if (hash != 0 && (hashvalue == 0 || hash == hashvalue))
            slot->invalidated = true;
    }
}

void close_at_exit(int, Datum) {
    close_all_connections();
}

// Registers the callbacks once, the first time this backend races.
void ensure_registered() {
    if (slots != nullptr)
        return;
    pg::call([] {
        CacheRegisterSyscacheCallback(FOREIGNSERVEROID, invalidate_slots, (Datum)0);
        CacheRegisterSyscacheCallback(USERMAPPINGOID, invalidate_slots, (Datum)0);
        before_shmem_exit(close_at_exit, (Datum)0);
    });
    slots = new std::unordered_map<std::string, std::unique_ptr<TargetSlot>>();
}

}  // namespace

bool TargetSlot::start_connect(const TargetSpec& spec, std::string* error) {
    close();
    if (!AcquireExternalFD()) {
        *error = "too many open files in this backend to connect";
        return false;
    }
    std::vector<const char*> keywords, values;
    for (size_t i = 0; i < spec.keywords.size(); ++i) {
        keywords.push_back(spec.keywords[i].c_str());
        values.push_back(spec.values[i].c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    conn = PQconnectStartParams(keywords.data(), values.data(), 0);
    if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD) {
        *error = conn == nullptr ? "out of memory" : PQerrorMessage(conn);
        close();
        return false;
    }
    // Before anything is queued to send, so that switching never flushes.
    PQsetnonblocking(conn, 1);
    state_ = ConnectionState::kConnecting;
    connect_poll_ = PGRES_POLLING_WRITING;
    connect_started_ms_ = now_ms();
    password_required = spec.password_required;
    server_hash = spec.server_hash;
    mapping_hash = spec.mapping_hash;
    invalidated = false;
    return true;
}

PostgresPollingStatusType TargetSlot::poll_connect() {
    connect_poll_ = PQconnectPoll(conn);
    if (connect_poll_ == PGRES_POLLING_OK)
        state_ = ConnectionState::kIdle;
    return connect_poll_;
}

void TargetSlot::query_sent() {
    state_ = ConnectionState::kBusy;
}

void TargetSlot::close() {
    // A new session will have none of this one's statements, nor its
    // transaction: a holder finds its snapshot gone.
    holder_ = nullptr;
    rollback_in_flight_ = false;
    statements.clear();
    pipeline_error = false;
    close_cancel_socket(cancel_socket_);
    cancel_socket_ = -1;
    cancel_at_us_ = 0;
    if (conn != nullptr) {
        // Non-blocking: the Terminate message is queued, never waited for.
        PQfinish(conn);
        ReleaseExternalFD();
        conn = nullptr;
    }
    state_ = ConnectionState::kNone;
}

void TargetSlot::enter_drain(ConnectionState state, int64_t deadline_ms) {
    close_cancel_socket(cancel_socket_);
    cancel_socket_ = -1;
    cancel_at_us_ = 0;
    state_ = state;
    drain_deadline_ms_ = deadline_ms;
}

void TargetSlot::start_draining(int64_t deadline_ms) {
    enter_drain(ConnectionState::kDraining, deadline_ms);
}

void TargetSlot::leave_to_finish(int64_t cancel_at_us, int64_t deadline_ms) {
    enter_drain(ConnectionState::kLeftToFinish, deadline_ms);
    cancel_at_us_ = cancel_at_us;
}

void TargetSlot::cancel_sent(int socket, int64_t deadline_ms) {
    if (socket == cancel_socket_)
        cancel_socket_ = -1;  // the same request: kept, not closed
    enter_drain(ConnectionState::kCancelSent, deadline_ms);
    cancel_socket_ = socket;
}

bool TargetSlot::take_late_cancel(int socket, int64_t deadline_ms) {
    bool was_left_to_finish = state_ == ConnectionState::kLeftToFinish;
    // The latest request replaces the one before: the server closed that
    // one's socket before the latest went.
    close_cancel_socket(cancel_socket_);
    cancel_socket_ = socket;
    cancel_at_us_ = 0;
    drain_deadline_ms_ = deadline_ms;
    if (reading_results())
        state_ = ConnectionState::kCancelSent;
    return was_left_to_finish;
}

bool TargetSlot::cancel_settled() {
    if (cancel_socket_ >= 0 && cancel_delivered(cancel_socket_)) {
        close_cancel_socket(cancel_socket_);
        cancel_socket_ = -1;
        // Its query's results may still be coming: drained as any other's.
        if (state_ == ConnectionState::kCancelSent)
            state_ = ConnectionState::kDraining;
    }
    return cancel_socket_ < 0;
}

bool TargetSlot::idle_connection_alive() {
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK)
        return false;
    pollfd fd{PQsocket(conn), POLLIN, 0};
    if (poll(&fd, 1, 0) > 0 && (PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK))
        return false;
    return !PQisBusy(conn);
}

bool TargetSlot::drain_arrived_results() {
    if (PQflush(conn) < 0 || PQconsumeInput(conn) == 0)
        return false;
    int pipeline_ends = 0;
    while ((state_ == ConnectionState::kBusy || reading_results() ||
            state_ == ConnectionState::kRollingBack) &&
           !PQisBusy(conn)) {
        PGresult* result = PQgetResult(conn);
        ExecStatusType status = result == nullptr ? PGRES_EMPTY_QUERY : PQresultStatus(result);
        if (status == PGRES_FATAL_ERROR || status == PGRES_PIPELINE_ABORTED)
            pipeline_error = true;
        PQclear(result);
        if (result != nullptr)
            continue;
        // In a pipeline, NULL ends one query's results, not the pipeline:
        // it is over when libpq agrees to leave pipeline mode. (A pipeline
        // holds at most a few syncs; more ends than that means libpq and we
        // disagree: start afresh.)
        if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF) {
            if (PQexitPipelineMode(conn) == 0 && ++pipeline_ends > 32)
                return false;
            continue;
        }
        // The query ended (on its own or cancelled): nothing left to cancel.
        // A loser that ends before its cancel is due answered in time.
        if (state_ == ConnectionState::kLeftToFinish)
            late_cancels_in_row = 0;
        cancel_at_us_ = 0;
        // A failed query leaves its read-only block aborted (its ROLLBACK
        // was skipped with it), and a block that opened a snapshot for
        // nobody (a loser's, or one whose holder let go) is still open: end
        // the block before the connection is reused. A held transaction that
        // failed is rolled back to its savepoint instead, keeping its
        // snapshot; if that fails too, the snapshot is given up.
        // A cancel request still held stays held: it may yet reach the backend.
        PGTransactionStatusType transaction = PQtransactionStatus(conn);
        bool held = holder_ != nullptr;
        if (held && transaction == PQTRANS_INERROR && state_ == ConnectionState::kRollingBack) {
            holder_ = nullptr;
            held = false;
        }
        bool repair = held && transaction == PQTRANS_INERROR;
        bool end = !held && (transaction == PQTRANS_INTRANS ||
                             (transaction == PQTRANS_INERROR && state_ != ConnectionState::kRollingBack));
        if (repair || end) {
            std::string sql = repair ? std::string("ROLLBACK TO SAVEPOINT ") + kSnapshotSavepoint
                                     : std::string("ROLLBACK");
            // In a pipeline of its own, so that a holder letting go in the
            // meantime can queue its ROLLBACK right behind (release_hold).
            if (PQenterPipelineMode(conn) == 0 ||
                PQsendQueryParams(conn, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) ==
                    0 ||
                PQpipelineSync(conn) == 0)
                return false;
            state_ = ConnectionState::kRollingBack;
            // A round trip of its own: the time since the query's end
            // (maybe long, with no race in between) is not held against it.
            drain_deadline_ms_ = now_ms() + cancel_timeout_ms;
            if (PQflush(conn) < 0)
                return false;
            continue;
        }
        state_ = ConnectionState::kDrained;
        rollback_in_flight_ = false;
        // The Parses this pipeline sent whose outcome nobody saw: they ran
        // if nothing in it failed.
        statements.settle(!pipeline_error);
    }
    return true;
}

bool TargetSlot::queue_rollback() {
    return PQsendQueryParams(conn, "ROLLBACK", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
           PQpipelineSync(conn) == 1 && PQflush(conn) >= 0;
}

void TargetSlot::release_hold() noexcept {
    if (holder_ == nullptr)
        return;
    holder_ = nullptr;
    if (conn == nullptr)
        return;
    // A race of the holder's was abandoned with its pipeline in flight:
    // the ROLLBACK runs right after it, whoever reads the results.
    if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF) {
        if (!queue_rollback())
            close();
        return;
    }
    // Draining (a cancelled query's results): the drain ends the
    // transaction once they are read, the holder gone.
    if (state_ != ConnectionState::kIdle)
        return;
    if (PQtransactionStatus(conn) == PQTRANS_IDLE)
        return;
    // Sent now, its answer read by the next race here (kRollingBack): the
    // remote session leaves its transaction at once, and no race waits for
    // it (the next one's pipeline goes right behind it).
    if (PQenterPipelineMode(conn) == 0 || !queue_rollback()) {
        close();
        return;
    }
    state_ = ConnectionState::kRollingBack;
    rollback_in_flight_ = true;
    drain_deadline_ms_ = now_ms() + cancel_timeout_ms;
}

void TargetSlot::note_late_cancel(int64_t now_ms) {
    // One late loser is a slow moment (a checkpoint, a vacuum); a few in a
    // row, with no answer in between, are a stall. Each cancel costs the
    // stalled server a forked process and the races beside it their CPU:
    // skipping the target until the back-off is over costs nothing, as for
    // a failed one, and it is tried again then.
    if (++late_cancels_in_row >= kStalledAfterLateCancels)
        backoff.record_failure(now_ms);
}

void TargetSlot::check_after_query() {
    // An idle connection holds no cancel request: one not seen through by
    // now is let go (the query it was for has ended).
    close_cancel_socket(cancel_socket_);
    cancel_socket_ = -1;
    cancel_at_us_ = 0;
    state_ = ConnectionState::kIdle;
    // A held transaction stays open between its holder's races.
    PGTransactionStatusType expected = holder_ != nullptr ? PQTRANS_INTRANS : PQTRANS_IDLE;
    if (PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != expected) {
        close();
        return;
    }
    // The query may have turned the session's read-only default off (SET
    // default_transaction_read_only, set_config): such a session may not run
    // another race query. Servers before 14 do not report the setting.
    const char* read_only = PQparameterStatus(conn, "default_transaction_read_only");
    if (read_only != nullptr && std::strcmp(read_only, "on") != 0)
        close();
}

TargetSlot* find_or_create_slot(const TargetSpec& spec) {
    ensure_registered();
    auto found = slots->find(spec.key);
    if (found == slots->end()) {
        auto slot = std::make_unique<TargetSlot>();
        slot->name = spec.name;
        slot->last_used_ms = now_ms();
        found = slots->emplace(spec.key, std::move(slot)).first;
    }
    TargetSlot* slot = found->second.get();
    if (slot->invalidated) {
        slot->close();
        slot->invalidated = false;
    }
    slot->server_hash = spec.server_hash;
    slot->mapping_hash = spec.mapping_hash;
    return slot;
}

CacheScope::CacheScope(const std::vector<TargetSpec>& targets) {
    settle_late_cancels();
    pinned_.reserve(targets.size());
    try {
        for (const TargetSpec& spec : targets) {
            TargetSlot* slot = find_or_create_slot(spec);
            pinned_.push_back(slot);
            ++slot->pins;
        }
    } catch (...) {
        for (TargetSlot* slot : pinned_)
            --slot->pins;
        throw;
    }
    try {
        trim_cache();
    } catch (...) {
        // Out of memory: the bounds are applied again when the race ends.
    }
}

CacheScope::~CacheScope() {
    int64_t now = now_ms();
    for (TargetSlot* slot : pinned_) {
        --slot->pins;
        slot->last_used_ms = now;
    }
    try {
        trim_cache();
    } catch (...) {
        // Out of memory: the bounds are applied again at the next race.
    }
    arm_late_cancels();
}

void trim_cache() {
    if (slots == nullptr)
        return;
    std::vector<std::unordered_map<std::string, std::unique_ptr<TargetSlot>>::iterator> at;
    std::vector<CacheEntry> entries;
    at.reserve(slots->size());
    entries.reserve(slots->size());
    for (auto it = slots->begin(); it != slots->end(); ++it) {
        const TargetSlot& slot = *it->second;
        at.push_back(it);
        // A held snapshot is in use until its holder lets go.
        entries.push_back({slot.last_used_ms, slot.conn != nullptr,
                           slot.pins > 0 || slot.holder() != nullptr});
    }
    CacheLimits limits{race_max_cached_connections, race_connection_idle_timeout_ms,
                       cache_entry_limit(race_max_cached_connections)};
    CacheTrim trim = plan_cache_trim(entries, now_ms(), limits);
    for (size_t i : trim.close)
        at[i]->second->close();
    for (size_t i : trim.forget)
        slots->erase(at[i]);
}

void route_around_snapshots(std::vector<TargetSpec>* targets) {
    if (slots == nullptr)
        return;
    for (TargetSpec& spec : *targets) {
        std::string base = spec.key;
        for (int lane = 2;; ++lane) {
            auto found = slots->find(spec.key);
            if (found == slots->end() || found->second->holder() == nullptr)
                break;
            spec.key = base + "\x01lane " + std::to_string(lane);
        }
    }
}

void release_snapshots(const void* holder) noexcept {
    if (slots == nullptr || holder == nullptr)
        return;
    for (auto& [key, slot] : *slots)
        if (slot->holder() == holder)
            slot->release_hold();
}

void for_each_slot(const std::function<void(const std::string& key, TargetSlot* slot)>& visit) {
    if (slots == nullptr)
        return;
    for (auto& [key, slot] : *slots)
        visit(key, slot.get());
}

void close_all_connections() {
    if (slots == nullptr)
        return;
    try {
        settle_late_cancels();
        std::vector<PGconn*> running;
        std::vector<const TargetSlot*> running_slots;
        // A race's query, or a loser left to finish, may still run.
        for (auto& [key, slot] : *slots)
            if (slot->may_run_uncancelled()) {
                running.push_back(slot->conn);
                running_slots.push_back(slot.get());
            }
        // Nothing runs on these connections after this: no need to see the
        // requests through. Each request written counts in race_stats.
        std::vector<int> sockets(running.size());
        send_cancel_requests(running, kExitCancelBoundMs, &sockets);
        for (size_t i = 0; i < sockets.size(); ++i) {
            if (sockets[i] >= 0)
                record_late_cancel(running_slots[i]->name.c_str());
            close_cancel_socket(sockets[i]);
        }
        for (auto& [key, slot] : *slots)
            slot->close();
    } catch (...) {
        // At exit nothing is left to report to; the sockets close with the process.
    }
}

}  // namespace mq::race
