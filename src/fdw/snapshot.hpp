// One snapshot per statement for racing foreign tables. Each raced scan is a
// race of its own; without more, two scans of one query could be answered by
// different targets, mixing the primary's present with a standby's past. So
// the first race of a statement on a race group picks the target, and every
// later scan of the statement on that group reads inside the REPEATABLE
// READ transaction that race left open on the winner's connection: one
// server's state, as a single server would give. Under REPEATABLE READ and
// SERIALIZABLE the snapshot lasts the whole transaction.
//
// "A statement" is one execution of a query (its EState): the client's
// statement, each SQL statement a function runs, a cursor from its DECLARE
// to its CLOSE. Its held transactions end (ROLLBACK, sent without waiting)
// when the query's memory is freed (the executor's end, or the abort that
// cleans up after an error); a transaction's, at its commit or abort.
#pragma once

#include "pg/postgres.hpp"
#include "race/target.hpp"

extern "C" {
#include "nodes/execnodes.h"
}

namespace mq::fdw {

// The reads that share snapshots: a statement's, or a transaction's.
class SnapshotScope;

// At executor start: estate has a raced scan of server's tables as user;
// rescanned: one that new parameter values may race again.
void note_raced_scan(EState* estate, Oid server, Oid user, bool rescanned);

// The scope a raced scan of server's tables as user in estate reads in;
// nullptr when multiquery.race_snapshot is 'scan', or when it is the
// statement's only race on that group (under READ COMMITTED: one scan, never
// raced again), which then needs no snapshot kept and costs what any race does.
SnapshotScope* snapshot_scope_for(EState* estate, Oid server, Oid user);

// The target (its connection's cache key included) whose snapshot the
// scope's reads of server's tables, as user, go to; nullptr before the first.
const race::TargetSpec* pinned_target(const SnapshotScope* scope, Oid server, Oid user);

// The first read of server's tables as user was answered by target.
void pin_target(SnapshotScope* scope, Oid server, Oid user, const race::TargetSpec& target);

// The hint of the error a read raises when its snapshot's target failed.
const char* snapshot_retry_hint(const SnapshotScope* scope);

}  // namespace mq::fdw
