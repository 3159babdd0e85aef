// EXPLAIN of a raced read: which servers it races (always), and the remote
// SELECT (VERBOSE), as postgres_fdw shows its Remote SQL.
#include <string>
#include <vector>

#include "fdw/fdw.hpp"
#include "pg/guard.hpp"
#include "race/target.hpp"

extern "C" {
#include "commands/explain.h"
}

namespace mq::fdw {

void explain_scan(ForeignScanState* node, ExplainState* es) {
    auto* plan = reinterpret_cast<ForeignScan*>(node->ss.ps.plan);
    auto server_oid = static_cast<Oid>(intVal(list_nth(plan->fdw_private, kPlanServer)));
    ForeignServer* server = pg::call([&] { return GetForeignServer(server_oid); });
    std::string targets;
    if (const char* members = race::race_group_members(server)) {
        for (const std::string& name : race::split_race_group(members))
            targets += (targets.empty() ? "" : ", ") + name;
    } else {
        targets = server->servername;
    }
    pg::call([&] {
        ExplainPropertyText("Race Targets", targets.c_str(), es);
        if (es->verbose)
            ExplainPropertyText("Remote SQL", strVal(list_nth(plan->fdw_private, kPlanSql)), es);
    });
}

}  // namespace mq::fdw
