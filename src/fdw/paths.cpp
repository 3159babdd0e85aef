// Sizes and paths of a raced foreign table: the plain scan, a presorted scan
// when the query's ORDER BY can go remote, and parameterized scans for joins
// (the remote lookups by key that keep a join of a few local rows from
// fetching the whole remote table), built from join clauses and equivalence
// classes the way the planner builds index paths.
#include "fdw/fdw.hpp"

extern "C" {
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
}

namespace mq::fdw {
namespace {

// Walks one column of the foreign table at a time through the equivalence
// classes: the first member not yet used becomes current, and each call then
// matches only it.
struct MemberScan {
    Expr* current;
    List* used;
};

bool member_of_column(PlannerInfo*, RelOptInfo*, EquivalenceClass*, EquivalenceMember* member,
                      void* arg) {
    auto* scan = static_cast<MemberScan*>(arg);
    Expr* expr = member->em_expr;
    if (!IsA(expr, Var))
        return false;
    if (scan->current != nullptr)
        return equal(expr, scan->current);
    if (list_member(scan->used, expr))
        return false;
    scan->current = expr;
    return true;
}

// Adds the parameterization a shippable join clause allows, once.
List* add_parameterization(PlannerInfo* root, RelOptInfo* rel, RestrictInfo* clause,
                           List* infos) {
    Relids outer = bms_union(clause->clause_relids, rel->lateral_relids);
    outer = bms_del_members(outer, rel->relids);
    if (bms_is_empty(outer))
        return infos;
    ParamPathInfo* param = get_baserel_parampathinfo(root, rel, outer);
    return list_append_unique_ptr(infos, param);
}

List* parameterizations(PlannerInfo* root, RelOptInfo* rel, RelInfo* info) {
    List* infos = NIL;
    ListCell* cell;
    foreach (cell, rel->joininfo) {
        auto* clause = static_cast<RestrictInfo*>(lfirst(cell));
        if (join_clause_is_movable_to(clause, rel) &&
            is_shippable(root, info, clause->clause))
            infos = add_parameterization(root, rel, clause, infos);
    }
    if (!rel->has_eclass_joins)
        return infos;
    MemberScan scan{nullptr, NIL};
    for (;;) {
        scan.current = nullptr;
        List* clauses = generate_implied_equalities_for_column(root, rel, member_of_column,
                                                               &scan, rel->lateral_referencers);
        if (scan.current == nullptr)
            break;
        foreach (cell, clauses) {
            auto* clause = static_cast<RestrictInfo*>(lfirst(cell));
            if (join_clause_is_movable_to(clause, rel) &&
                is_shippable(root, info, clause->clause))
                infos = add_parameterization(root, rel, clause, infos);
        }
        scan.used = lappend(scan.used, scan.current);
    }
    return infos;
}

// The fdw_private of a path: whether its pathkeys go out as ORDER BY.
List* path_private(bool sorted, bool limited) {
    return list_make2(makeInteger(sorted ? 1 : 0), makeInteger(limited ? 1 : 0));
}

void add_parameterized_path(PlannerInfo* root, RelOptInfo* rel, RelInfo* info,
                            ParamPathInfo* param) {
    // The parameterized clauses are remote conditions too: the rows fetched
    // are those that match the base's and the join's shippable conditions.
    List* remote = list_concat_copy(info->remote_conds, NIL);
    ListCell* cell;
    foreach (cell, param->ppi_clauses) {
        auto* clause = static_cast<RestrictInfo*>(lfirst(cell));
        if (is_shippable(root, info, clause->clause))
            remote = lappend(remote, clause);
    }
    Selectivity selectivity = clauselist_selectivity(root, remote, rel->relid, JOIN_INNER, nullptr);
    double fetched = clamp_row_est(rel->tuples * selectivity);
    Cost startup, total;
    estimate_scan_cost(root, info, fetched, param->ppi_rows, false, 0, &startup, &total);
    add_path(rel, reinterpret_cast<Path*>(create_foreignscan_path(
                      root, rel, nullptr, param->ppi_rows, startup, total, NIL,
                      param->ppi_req_outer, nullptr, path_private(false, false))));
}

// Of the system columns a raced read has the remote row's ctid and the
// foreign table's own tableoid; the others would be made-up values.
void refuse_unreadable_system_columns(Oid table, Bitmapset* attrs) {
    int member = -1;
    while ((member = bms_next_member(attrs, member)) >= 0) {
        int attnum = member + FirstLowInvalidHeapAttributeNumber;
        if (attnum >= 0 || attnum == SelfItemPointerAttributeNumber ||
            attnum == TableOidAttributeNumber)
            continue;
        ereport(ERROR,
                (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                 errmsg("system column \"%s\" of raced foreign table \"%s.%s\" cannot be read",
                        get_attname(table, static_cast<AttrNumber>(attnum), false),
                        get_namespace_name(get_rel_namespace(table)), get_rel_name(table)),
                 errdetail("A raced read returns rows of whichever server answers first; of "
                           "the system columns it has ctid, from that server, and tableoid.")));
    }
}

}  // namespace

void get_rel_size(PlannerInfo* root, RelOptInfo* baserel, Oid table) {
    auto* info = static_cast<RelInfo*>(palloc0(sizeof(RelInfo)));
    baserel->fdw_private = info;
    info->kind = RelKind::kTable;
    info->base = baserel;
    info->table = table;
    info->server = GetForeignTable(table)->serverid;
    RangeTblEntry* rte = planner_rt_fetch(baserel->relid, root);
    info->check_as_user = rte->checkAsUser;
    ListCell* cell;
    foreach (cell, baserel->baserestrictinfo) {
        auto* clause = static_cast<RestrictInfo*>(lfirst(cell));
        if (is_shippable(root, info, clause->clause))
            info->remote_conds = lappend(info->remote_conds, clause);
        else
            info->local_conds = lappend(info->local_conds, clause);
    }
    // The columns to fetch: those the query uses and those local conditions read.
    pull_varattnos(reinterpret_cast<Node*>(baserel->reltarget->exprs), baserel->relid,
                   &info->attrs_used);
    foreach (cell, info->local_conds)
        pull_varattnos(reinterpret_cast<Node*>(static_cast<RestrictInfo*>(lfirst(cell))->clause),
                       baserel->relid, &info->attrs_used);
    refuse_unreadable_system_columns(table, info->attrs_used);
    info->sort_shippable = pathkeys_shippable(root, info, root->query_pathkeys);
    estimate_base_size(root, info);
}

void get_paths(PlannerInfo* root, RelOptInfo* baserel, Oid) {
    auto* info = static_cast<RelInfo*>(baserel->fdw_private);
    add_path(baserel, reinterpret_cast<Path*>(create_foreignscan_path(
                          root, baserel, nullptr, baserel->rows, info->startup_cost,
                          info->total_cost, NIL, baserel->lateral_relids, nullptr,
                          path_private(false, false))));
    if (info->sort_shippable) {
        Cost startup, total;
        estimate_scan_cost(root, info, info->fetched_rows, baserel->rows, true, 0, &startup,
                           &total);
        add_path(baserel, reinterpret_cast<Path*>(create_foreignscan_path(
                              root, baserel, nullptr, baserel->rows, startup, total,
                              root->query_pathkeys, baserel->lateral_relids, nullptr,
                              path_private(true, false))));
    }
    ListCell* cell;
    foreach (cell, parameterizations(root, baserel, info))
        add_parameterized_path(root, baserel, info, static_cast<ParamPathInfo*>(lfirst(cell)));
}

}  // namespace mq::fdw
