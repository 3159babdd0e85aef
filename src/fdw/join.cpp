// Joins of raced relations sent to the remote side as one SELECT: two
// relations of the same server (one race group: the same targets) read as
// the same user (the same user mappings) are joined there, inner, left,
// right or full, as postgres_fdw does, so that the join's rows travel
// instead of both tables'.
//
// A join goes remote only when everything about it would run there: both
// sides without local conditions, every join clause shippable (the rules of
// WHERE), every column the plan needs a plain column of one of the tables, no
// placeholder, no lateral reference, no row locking (which would need the
// rows of each table to recheck), and, for a full join, no condition on a
// side's own rows (it would have to filter that side before the join).
#include <algorithm>

#include "fdw/fdw.hpp"

extern "C" {
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/restrictinfo.h"
}

namespace mq::fdw {
namespace {

// Whether the relation's output is filtered by conditions of its own
// (which a full join could not place).
bool has_filters(const RelInfo* info) {
    if (info->remote_conds != NIL)
        return true;
    if (info->kind != RelKind::kJoin)
        return false;
    switch (info->jointype) {
    case JOIN_INNER:
        return false;  // its sides' conditions go into its ON
    case JOIN_LEFT:
        return has_filters(info->outer);
    case JOIN_RIGHT:
        return has_filters(info->inner);
    default:
        return false;
    }
}

bool side_pushable(const RelInfo* info) {
    return info != nullptr && (info->kind == RelKind::kTable || info->kind == RelKind::kJoin) &&
           info->local_conds == NIL && bms_is_empty(info->base->lateral_relids);
}

// Every column the join returns is a plain column of one of its tables.
bool target_pushable(RelOptInfo* joinrel) {
    ListCell* cell;
    foreach (cell, joinrel->reltarget->exprs) {
        auto* var = static_cast<Var*>(lfirst(cell));
        if (!IsA(var, Var) || var->varlevelsup != 0 || var->varattno <= 0 ||
            !bms_is_member(var->varno, joinrel->relids))
            return false;
    }
    return true;
}

// No placeholder is computed at this join or below it for use above it.
bool no_placeholders(PlannerInfo* root, RelOptInfo* joinrel) {
    ListCell* cell;
    foreach (cell, root->placeholder_list) {
        auto* placeholder = static_cast<PlaceHolderInfo*>(lfirst(cell));
        if (bms_is_subset(placeholder->ph_eval_at, joinrel->relids) ||
            bms_overlap(placeholder->ph_eval_at, joinrel->relids))
            return false;
    }
    return true;
}

// The rows of a pushed join cost their transfer, but never more than
// fetching both sides would: a join estimated to return more rows than its
// sides (the default selectivities before ANALYZE make a key join look like
// that) is still one race instead of two, and no local join.
void estimate_join(PlannerInfo* root, RelInfo* info) {
    RelOptInfo* joinrel = info->base;
    double outer_rows = info->outer->fetched_rows;
    double inner_rows = info->inner->fetched_rows;
    info->fetched_rows = clamp_row_est(joinrel->rows);
    QualCost conds;
    cost_qual_eval(&conds, info->join_conds, root);
    // A hash join of the two sides' rows, remotely: hashing and probing
    // (the rows it returns are charged here, as they arrive).
    info->remote_work = info->outer->remote_work + info->inner->remote_work +
                        cpu_operator_cost * (outer_rows + inner_rows) +
                        conds.per_tuple * std::max(outer_rows, inner_rows);
    double transferred =
        std::min(info->fetched_rows, info->outer->charged_rows + info->inner->charged_rows);
    info->charged_rows = transferred;
    estimate_pushed_cost(info, transferred, 0, &info->startup_cost, &info->total_cost);
    info->total_cost += (cpu_tuple_cost + joinrel->reltarget->cost.per_tuple) *
                        (info->fetched_rows - transferred);
    info->total_cost += joinrel->reltarget->cost.per_tuple * transferred;
}

}  // namespace

void get_join_paths(PlannerInfo* root, RelOptInfo* joinrel, RelOptInfo* outerrel,
                    RelOptInfo* innerrel, JoinType jointype, JoinPathExtraData* extra) {
    if (joinrel->fdw_private != nullptr)
        return;
    if (jointype != JOIN_INNER && jointype != JOIN_LEFT && jointype != JOIN_RIGHT &&
        jointype != JOIN_FULL)
        return;
    // Rows locked or rechecked (UPDATE ... FROM, FOR UPDATE) need each
    // table's row; a pushed join has only the joined ones.
    if (root->parse->commandType != CMD_SELECT || root->rowMarks != NIL)
        return;
    auto* outer = static_cast<RelInfo*>(outerrel->fdw_private);
    auto* inner = static_cast<RelInfo*>(innerrel->fdw_private);
    if (!side_pushable(outer) || !side_pushable(inner))
        return;
    if (outer->server != inner->server || outer->check_as_user != inner->check_as_user)
        return;
    if (!bms_is_empty(joinrel->lateral_relids) || !target_pushable(joinrel) ||
        !no_placeholders(root, joinrel))
        return;
    if (jointype == JOIN_FULL && (has_filters(outer) || has_filters(inner)))
        return;

    auto* info = static_cast<RelInfo*>(palloc0(sizeof(RelInfo)));
    info->kind = RelKind::kJoin;
    info->base = joinrel;
    info->server = outer->server;
    info->check_as_user = outer->check_as_user;
    info->outer = outer;
    info->inner = inner;
    info->jointype = jointype;
    bool outer_join = jointype != JOIN_INNER;
    ListCell* cell;
    foreach (cell, extra->restrictlist) {
        auto* clause = static_cast<RestrictInfo*>(lfirst(cell));
        if (clause->pseudoconstant || !is_shippable(root, info, clause->clause))
            return;
        // An outer join's own clauses go into its ON; the conditions of the
        // WHERE above it (pushed down to it) filter its rows.
        if (outer_join && RINFO_IS_PUSHED_DOWN(clause, joinrel->relids))
            info->remote_conds = lappend(info->remote_conds, clause);
        else
            info->join_conds = lappend(info->join_conds, clause);
    }
    estimate_join(root, info);
    joinrel->fdw_private = info;
    add_path(joinrel, reinterpret_cast<Path*>(create_foreign_join_path(
                          root, joinrel, nullptr, info->fetched_rows, info->startup_cost,
                          info->total_cost, NIL, joinrel->lateral_relids, nullptr,
                          list_make2(makeInteger(0), makeInteger(0)))));
    // Sorted remotely in the query's order, when its keys are the tables'
    // columns: no local Sort, and no merge join of two sorted scans wins.
    if (pathkeys_shippable(root, info, root->query_pathkeys)) {
        Cost sort = remote_sort_cost(info->charged_rows, 0);
        add_path(joinrel, reinterpret_cast<Path*>(create_foreign_join_path(
                              root, joinrel, nullptr, info->fetched_rows,
                              info->startup_cost + sort, info->total_cost + sort,
                              root->query_pathkeys, joinrel->lateral_relids, nullptr,
                              list_make2(makeInteger(1), makeInteger(0)))));
    }
}

}  // namespace mq::fdw
