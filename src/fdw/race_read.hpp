// One raced read of a foreign table: its server's targets resolved for a
// user, the policies taken from the session's settings exactly as
// race_query's defaults, the winner's rows into a tuplestore.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/postgres.hpp"
#include "fdw/snapshot.hpp"
#include "race/target.hpp"

extern "C" {
#include "access/tupdesc.h"
#include "utils/tuplestore.h"
}

namespace mq::fdw {

struct RaceRead {
    Oid server;   // a race group or one multiquery server
    Oid user;     // whose user mappings are used
    const char* sql;
    std::vector<std::optional<std::string>> params;  // text; nullopt: NULL
    Tuplestorestate* store;  // gets the rows, converted with desc's input functions
    TupleDesc desc;
    // What the error messages call this read (raced_table_subject); empty:
    // "race_query".
    std::string subject;
    // The statement's (or transaction's) snapshots this read shares
    // (snapshot.hpp), or nullptr: a race of its own.
    SnapshotScope* snapshot = nullptr;
};

// "raced read of foreign table \"schema.table\"", for RaceRead::subject.
std::string raced_table_subject(Oid table);

// Runs the race over read.server's targets; throws (mq::Error,
// pg::PgException) as race_query does.
void race_read(const RaceRead& read);

// The targets read.server races, resolved for read.user; and the race over
// some of them (one, for a read that must know which server answered).
std::vector<race::TargetSpec> race_read_targets(const RaceRead& read);
void race_read(const RaceRead& read, const std::vector<race::TargetSpec>& targets);

}  // namespace mq::fdw
