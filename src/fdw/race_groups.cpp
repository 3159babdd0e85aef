// Race groups checked when they are defined; see race_groups.hpp.
//
// After CREATE or ALTER SERVER of a race group: its targets are checked as a
// race checks them (race::check_race_group_members), no other group names
// it, and it has no user mapping. After any ALTER SERVER: no group that
// depends on the server names it by an old name. After CREATE USER MAPPING:
// its server is not a group. Then the group's dependencies on its targets are
// recorded anew in pg_depend, so that DROP SERVER of a target names the group
// (CASCADE drops it too) and pg_dump creates the targets before the group.
//
// With check_function_bodies off, as pg_dump's scripts set it, nothing is
// checked (a restore may create a group before its targets, or one an
// earlier version accepted); the race checks the group again.
#include "fdw/race_groups.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pg/guard.hpp"
#include "race/target.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace mq::fdw {
namespace {

object_access_hook_type previous_object_access_hook = nullptr;

// A server as the current command left it: the syscache shows a change only
// once the command is over.
struct Server {
    Oid oid = InvalidOid;
    std::string name;
    bool is_group = false;
    std::vector<std::string> targets;  // a group's
};

std::string quoted(const std::string& name) {
    return "\"" + name + "\"";
}

bool names(const std::vector<std::string>& targets, const std::string& name) {
    return std::find(targets.begin(), targets.end(), name) != targets.end();
}

// The option 'targets' among options, or nullptr.
const char* targets_option(List* options) {
    ListCell* cell;
    foreach (cell, options) {
        auto* option = static_cast<DefElem*>(lfirst(cell));
        if (strcmp(option->defname, race::kRaceGroupOption) == 0)
            return defGetString(option);
    }
    return nullptr;
}

bool is_multiquery_wrapper(Oid wrapper) {
    const char* name = pg::call([&] { return GetForeignDataWrapper(wrapper)->fdwname; });
    return strcmp(name, "multiquery") == 0;
}

// Reads the catalog row of oid as the current command left it (the
// syscache shows a change only once the command is over): calls read with
// it, inside pg::call, or not at all when there is none.
template <typename Read>
void read_own_row(Oid catalog, Oid index, AttrNumber oid_column, Oid oid, Read&& read) {
    pg::call([&] {
        Relation rel = table_open(catalog, AccessShareLock);
        ScanKeyData key;
        ScanKeyInit(&key, oid_column, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(oid));
        SysScanDesc scan = systable_beginscan(rel, index, true, SnapshotSelf, 1, &key);
        HeapTuple tuple = systable_getnext(scan);
        if (HeapTupleIsValid(tuple))
            read(tuple, RelationGetDescr(rel));
        systable_endscan(scan);
        table_close(rel, AccessShareLock);
    });
}

// A List of OIDs (palloc'd in a pg::call) as a vector.
std::vector<Oid> oid_vector(List* oids) {
    std::vector<Oid> result;
    ListCell* cell;
    foreach (cell, oids)
        result.push_back(lfirst_oid(cell));
    return result;
}

bool read_server(Oid oid, Server* server) {
    char* name = nullptr;
    Oid wrapper = InvalidOid;
    const char* targets = nullptr;
    read_own_row(ForeignServerRelationId, ForeignServerOidIndexId, Anum_pg_foreign_server_oid, oid,
                 [&](HeapTuple tuple, TupleDesc desc) {
                     auto* form = reinterpret_cast<Form_pg_foreign_server>(GETSTRUCT(tuple));
                     name = pstrdup(NameStr(form->srvname));
                     wrapper = form->srvfdw;
                     bool isnull;
                     Datum options =
                         heap_getattr(tuple, Anum_pg_foreign_server_srvoptions, desc, &isnull);
                     if (!isnull)
                         targets = targets_option(untransformRelOptions(options));
                 });
    if (name == nullptr)
        return false;
    server->oid = oid;
    server->name = name;
    server->is_group = targets != nullptr && is_multiquery_wrapper(wrapper);
    if (server->is_group)
        server->targets = race::split_race_group(targets);
    return true;
}

// The targets of the race group oid, as earlier commands left it, with its
// name in *group; nothing when it is not a race group.
std::vector<std::string> group_targets(Oid oid, std::string* group) {
    ForeignServer* server =
        pg::call([&] { return GetForeignServerExtended(oid, FSV_MISSING_OK); });
    if (server == nullptr || !is_multiquery_wrapper(server->fdwid))
        return {};
    const char* members = race::race_group_members(server);
    if (members == nullptr)
        return {};
    *group = server->servername;
    return race::split_race_group(members);
}

// Every server but except.
std::vector<Oid> other_servers(Oid except) {
    List* oids = NIL;
    pg::call([&] {
        Relation rel = table_open(ForeignServerRelationId, AccessShareLock);
        SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
        HeapTuple tuple;
        while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
            Oid oid = reinterpret_cast<Form_pg_foreign_server>(GETSTRUCT(tuple))->oid;
            if (oid != except)
                oids = lappend_oid(oids, oid);
        }
        systable_endscan(scan);
        table_close(rel, AccessShareLock);
    });
    return oid_vector(oids);
}

// The servers that depend on server: the race groups that named it.
std::vector<Oid> dependent_servers(Oid server) {
    List* oids = NIL;
    pg::call([&] {
        Relation rel = table_open(DependRelationId, AccessShareLock);
        ScanKeyData keys[2];
        ScanKeyInit(&keys[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
                    ObjectIdGetDatum(ForeignServerRelationId));
        ScanKeyInit(&keys[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
                    ObjectIdGetDatum(server));
        SysScanDesc scan =
            systable_beginscan(rel, DependReferenceIndexId, true, nullptr, 2, keys);
        HeapTuple tuple;
        while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
            auto* form = reinterpret_cast<Form_pg_depend>(GETSTRUCT(tuple));
            if (form->classid == ForeignServerRelationId && form->deptype == DEPENDENCY_NORMAL)
                oids = list_append_unique_oid(oids, form->objid);
        }
        systable_endscan(scan);
        table_close(rel, AccessShareLock);
    });
    return oid_vector(oids);
}

int user_mapping_count(Oid server) {
    int count = 0;
    pg::call([&] {
        Relation rel = table_open(UserMappingRelationId, AccessShareLock);
        ScanKeyData key;
        ScanKeyInit(&key, Anum_pg_user_mapping_umserver, BTEqualStrategyNumber, F_OIDEQ,
                    ObjectIdGetDatum(server));
        SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 1, &key);
        while (HeapTupleIsValid(systable_getnext(scan)))
            ++count;
        systable_endscan(scan);
        table_close(rel, AccessShareLock);
    });
    return count;
}

void check_group(const Server& group) {
    race::check_race_group_members(group.name, group.targets);
    for (Oid other : other_servers(group.oid)) {
        std::string other_group;
        if (names(group_targets(other, &other_group), group.name))
            throw Error(sqlstate::kWrongObjectType,
                        "server " + quoted(group.name) + " cannot become a race group",
                        "Race group " + quoted(other_group) +
                            " names it in its option \"targets\", and a race group cannot name "
                            "another.",
                        "Remove it from the option \"targets\" of " + quoted(other_group) +
                            " first.");
    }
    int mappings = user_mapping_count(group.oid);
    if (mappings > 0)
        throw Error(sqlstate::kWrongObjectType,
                    "race group " + quoted(group.name) + " takes no user mapping",
                    "Server " + quoted(group.name) + " has " + std::to_string(mappings) +
                        (mappings == 1 ? " user mapping" : " user mappings") +
                        ", which a race group would never use: each of its targets is reached "
                        "with a user mapping of that target's own server.",
                    "Drop the user mappings of server " + quoted(group.name) + " first.");
}

// A group names its targets by name: the server it depends on must keep it.
void check_still_named(const Server& server) {
    for (Oid dependent : dependent_servers(server.oid)) {
        std::string group;
        std::vector<std::string> targets = group_targets(dependent, &group);
        if (!group.empty() && dependent != server.oid && !names(targets, server.name))
            throw Error(sqlstate::kDependentObjectsStillExist,
                        "cannot rename a server that race group " + quoted(group) + " names",
                        "The option \"targets\" of " + quoted(group) +
                            " names its targets by name and would name a server that does not "
                            "exist.",
                        "Remove the server from the option \"targets\" of " + quoted(group) +
                            ", rename it, and name it there again.");
    }
}

void record_target_dependencies(const Server& server) {
    pg::call([&] {
        deleteDependencyRecordsForClass(ForeignServerRelationId, server.oid,
                                        ForeignServerRelationId, DEPENDENCY_NORMAL);
    });
    std::vector<Oid> recorded;
    for (const std::string& name : server.targets) {
        if (name == server.name)
            continue;
        Oid target = pg::call([&] { return get_foreign_server_oid(name.c_str(), true); });
        if (!OidIsValid(target) ||
            std::find(recorded.begin(), recorded.end(), target) != recorded.end())
            continue;
        recorded.push_back(target);
        pg::call([&] {
            ObjectAddress depender;
            ObjectAddress referenced;
            ObjectAddressSet(depender, ForeignServerRelationId, server.oid);
            ObjectAddressSet(referenced, ForeignServerRelationId, target);
            recordDependencyOn(&depender, &referenced, DEPENDENCY_NORMAL);
        });
    }
}

void server_defined(Oid oid) {
    Server server;
    if (!read_server(oid, &server))
        return;
    if (check_function_bodies) {
        if (server.is_group)
            check_group(server);
        check_still_named(server);
    }
    record_target_dependencies(server);
}

void user_mapping_created(Oid mapping) {
    Oid server = InvalidOid;
    read_own_row(UserMappingRelationId, UserMappingOidIndexId, Anum_pg_user_mapping_oid, mapping,
                 [&](HeapTuple tuple, TupleDesc) {
                     server = reinterpret_cast<Form_pg_user_mapping>(GETSTRUCT(tuple))->umserver;
                 });
    std::string group;
    if (!OidIsValid(server))
        return;
    group_targets(server, &group);
    if (group.empty())
        return;
    throw Error(sqlstate::kWrongObjectType, "race group " + quoted(group) + " takes no user mapping",
                "Each target of a race group is reached with a user mapping of that target's own "
                "server; one on the group would never be used.",
                "Create the user mapping on each server that the option \"targets\" of " +
                    quoted(group) + " names.");
}

void on_object_access(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id,
                      void* arg) {
    if (previous_object_access_hook != nullptr)
        previous_object_access_hook(access, class_id, object_id, sub_id, arg);
    if ((access != OAT_POST_CREATE && access != OAT_POST_ALTER) || sub_id != 0)
        return;
    if (class_id == ForeignServerRelationId)
        pg::run_guarded([&] { server_defined(object_id); });
    else if (class_id == UserMappingRelationId && access == OAT_POST_CREATE &&
             check_function_bodies)
        pg::run_guarded([&] { user_mapping_created(object_id); });
}

}  // namespace

void install_race_group_checks() {
    previous_object_access_hook = object_access_hook;
    object_access_hook = on_object_access;
}

}  // namespace mq::fdw
