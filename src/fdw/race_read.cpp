// Driving one race for a foreign table's read: the engine, the cache scope
// and the result sink are race_query's own.
#include "fdw/race_read.hpp"

#include "pg/guard.hpp"
#include "race/connection.hpp"
#include "race/engine.hpp"
#include "race/nesting.hpp"
#include "race/result_sink.hpp"
#include "race/settings.hpp"
#include "race/target.hpp"

extern "C" {
#include "utils/lsyscache.h"
}

namespace mq::fdw {

std::string raced_table_subject(Oid table) {
    return pg::call([&] {
        const char* schema = get_namespace_name(get_rel_namespace(table));
        const char* name = get_rel_name(table);
        return std::string("raced read of foreign table \"") + (schema ? schema : "?") + "." +
               (name ? name : "?") + "\"";
    });
}

std::vector<race::TargetSpec> race_read_targets(const RaceRead& read) {
    ForeignServer* server = pg::call([&] { return GetForeignServer(read.server); });
    return race::resolve_server_targets(server, read.user);
}

void race_read(const RaceRead& read) {
    race_read(read, race_read_targets(read));
}

void race_read(const RaceRead& read, const std::vector<race::TargetSpec>& resolved) {
    race::check_not_nested("A raced foreign table was read");
    race::RaceRequest request;
    std::vector<race::TargetSpec> targets;
    const race::TargetSpec* pinned =
        read.snapshot == nullptr ? nullptr : pinned_target(read.snapshot, read.server, read.user);
    if (pinned != nullptr) {
        // A later read of the statement: inside the snapshot of the first.
        targets.push_back(*pinned);
        request.snapshot = race::RaceRequest::Snapshot::kInside;
        request.snapshot_hint = snapshot_retry_hint(read.snapshot);
    } else {
        targets = resolved;
        // A connection holding a snapshot (this statement's for another
        // group, a cursor's, another statement's) is left alone.
        race::route_around_snapshots(&targets);
        if (read.snapshot != nullptr)
            request.snapshot = race::RaceRequest::Snapshot::kOpen;
    }
    request.holder = read.snapshot;
    request.query = read.sql;
    request.params = read.params;
    request.timeout_ms = race::race_timeout_ms;
    request.min_lsn = race::min_lsn_for_race();
    request.hedge_delay_ms = race::hedge_delay_ms;
    request.max_replica_lag_ms = race::max_replica_lag_ms;
    if (!read.subject.empty())
        request.subject = read.subject;
    race::ResultSink sink(read.store, read.desc, read.subject);
    // Outlives the race: its connections stay pinned until the race is over.
    race::CacheScope cache_scope(targets);
    race::Race race(targets, request, &sink);
    race.run();
    if (request.snapshot == race::RaceRequest::Snapshot::kOpen)
        pin_target(read.snapshot, read.server, read.user, *race.winner());
}

}  // namespace mq::fdw
