// Snapshot scopes of racing foreign tables; see snapshot.hpp.
#include "fdw/snapshot.hpp"

#include <memory>
#include <unordered_map>
#include <vector>

#include "pg/guard.hpp"
#include "race/connection.hpp"
#include "race/settings.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/memutils.h"
}

namespace mq::fdw {

class SnapshotScope {
public:
    explicit SnapshotScope(bool whole_transaction) : whole_transaction_(whole_transaction) {}
    SnapshotScope(const SnapshotScope&) = delete;
    SnapshotScope& operator=(const SnapshotScope&) = delete;
    // Ends every transaction held for the scope. Never throws.
    ~SnapshotScope() { race::release_snapshots(this); }

    struct Pin {
        Oid server;
        Oid user;
        race::TargetSpec target;
    };
    std::vector<Pin> pins;
    // A statement's raced scans, per group, as the executor set them up.
    struct Scans {
        Oid server;
        Oid user;
        int count;
        bool rescanned;
    };
    std::vector<Scans> scans;
    bool whole_transaction() const { return whole_transaction_; }

private:
    bool whole_transaction_;
};

namespace {

// Heap-allocated and never freed, as the connection cache: a static would
// be destroyed after PostgreSQL's own exit callbacks.
std::unordered_map<EState*, std::unique_ptr<SnapshotScope>>* statement_scopes = nullptr;
SnapshotScope* transaction_scope = nullptr;

// A statement's query memory is going away: its scope ends with it.
void end_statement_scope(void* arg) {
    try {
        if (statement_scopes != nullptr)
            statement_scopes->erase(static_cast<EState*>(arg));
    } catch (...) {
        // Erasing never throws; a destructor that did is swallowed here,
        // under PostgreSQL's memory callbacks, which must not fail.
    }
}

// Every scope ends with the transaction, committed or not, whatever
// statement's memory outlives it.
void end_transaction_scopes(XactEvent event, void*) {
    switch (event) {
        case XACT_EVENT_COMMIT:
        case XACT_EVENT_PARALLEL_COMMIT:
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PARALLEL_ABORT:
        case XACT_EVENT_PREPARE:
            break;
        default:
            return;
    }
    try {
        delete transaction_scope;
        transaction_scope = nullptr;
        if (statement_scopes != nullptr)
            statement_scopes->clear();
    } catch (...) {
        // As above: nothing here may fail a commit or an abort.
    }
}

void ensure_registered() {
    if (statement_scopes != nullptr)
        return;
    pg::call([] { RegisterXactCallback(end_transaction_scopes, nullptr); });
    statement_scopes = new std::unordered_map<EState*, std::unique_ptr<SnapshotScope>>();
}

}  // namespace

namespace {

SnapshotScope* statement_scope(EState* estate) {
    ensure_registered();
    auto found = statement_scopes->find(estate);
    if (found != statement_scopes->end())
        return found->second.get();
    // The callback lives in the memory it watches; registered before the
    // scope exists, so that no scope outlives its statement unwatched.
    pg::call([&] {
        auto* callback = static_cast<MemoryContextCallback*>(
            MemoryContextAllocZero(estate->es_query_cxt, sizeof(MemoryContextCallback)));
        callback->func = end_statement_scope;
        callback->arg = estate;
        MemoryContextRegisterResetCallback(estate->es_query_cxt, callback);
    });
    auto& scope = (*statement_scopes)[estate];
    scope = std::make_unique<SnapshotScope>(false);
    return scope.get();
}

}  // namespace

void note_raced_scan(EState* estate, Oid server, Oid user, bool rescanned) {
    if (race::race_snapshot == race::kSnapshotScan)
        return;
    SnapshotScope* scope = statement_scope(estate);
    for (SnapshotScope::Scans& scans : scope->scans)
        if (scans.server == server && scans.user == user) {
            ++scans.count;
            scans.rescanned = scans.rescanned || rescanned;
            return;
        }
    scope->scans.push_back({server, user, 1, rescanned});
}

SnapshotScope* snapshot_scope_for(EState* estate, Oid server, Oid user) {
    if (race::race_snapshot == race::kSnapshotScan)
        return nullptr;
    if (IsolationUsesXactSnapshot()) {
        ensure_registered();
        if (transaction_scope == nullptr)
            transaction_scope = new SnapshotScope(true);
        return transaction_scope;
    }
    SnapshotScope* scope = statement_scope(estate);
    for (const SnapshotScope::Scans& scans : scope->scans)
        if (scans.server == server && scans.user == user && scans.count == 1 && !scans.rescanned)
            return nullptr;
    return scope;
}

const race::TargetSpec* pinned_target(const SnapshotScope* scope, Oid server, Oid user) {
    for (const SnapshotScope::Pin& pin : scope->pins)
        if (pin.server == server && pin.user == user)
            return &pin.target;
    return nullptr;
}

void pin_target(SnapshotScope* scope, Oid server, Oid user, const race::TargetSpec& target) {
    scope->pins.push_back({server, user, target});
}

const char* snapshot_retry_hint(const SnapshotScope* scope) {
    return scope->whole_transaction()
               ? "The transaction's earlier raced reads of this table's server were answered by "
                 "that target, and no other may answer for it: retry the transaction."
               : "The statement's earlier raced reads of this table's server were answered by "
                 "that target, and no other may answer for it: retry the statement.";
}

}  // namespace mq::fdw
