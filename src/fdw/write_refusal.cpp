// Refusing writes to raced foreign tables; see write_refusal.hpp.
#include "fdw/write_refusal.hpp"

#include <string>

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "foreign/foreign.h"
#include "nodes/parsenodes.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace mq::fdw {
namespace {

// errmsg as PostgreSQL words it for a foreign table that cannot be written.
std::string refused_command(CmdType operation, const std::string& table) {
    switch (operation) {
        case CMD_INSERT:
            return "cannot insert into foreign table \"" + table + "\"";
        case CMD_UPDATE:
            return "cannot update foreign table \"" + table + "\"";
        case CMD_DELETE:
            return "cannot delete from foreign table \"" + table + "\"";
        default:
            return "cannot write to foreign table \"" + table + "\"";
    }
}

[[noreturn]] void refuse(const std::string& message, Oid table) {
    std::string server = pg::call([&] {
        ForeignTable* foreign = GetForeignTable(table);
        return std::string(GetForeignServer(foreign->serverid)->servername);
    });
    throw Error(sqlstate::kFeatureNotSupported, message,
                "It is a raced foreign table of server \"" + server +
                    "\": its reads race that server's targets, and racing is for reads.",
                "Write to the table on the primary.");
}

int no_operations_allowed(Relation) {
    return 0;
}

List* refuse_modify(PlannerInfo* root, ModifyTable* plan, Index relation_index, int) {
    List* never = nullptr;
    pg::run_guarded([&] {
        Oid table = pg::call([&] { return planner_rt_fetch(relation_index, root)->relid; });
        std::string name = pg::call([&] { return std::string(get_rel_name(table)); });
        refuse(refused_command(plan->operation, name), table);
    });
    return never;
}

void refuse_truncate(List* relations, DropBehavior, bool) {
    pg::run_guarded([&] {
        auto* first = static_cast<Relation>(linitial(relations));
        refuse("cannot truncate foreign table \"" +
                   std::string(RelationGetRelationName(first)) + "\"",
               RelationGetRelid(first));
    });
}

}  // namespace

void set_write_refusal_routines(FdwRoutine* routine) {
    routine->IsForeignRelUpdatable = no_operations_allowed;
    routine->PlanForeignModify = refuse_modify;
    routine->ExecForeignTruncate = refuse_truncate;
}

}  // namespace mq::fdw
