// GROUP BY, aggregates, HAVING and DISTINCT sent to the remote side: the
// grouped relation over a raced table or a pushed join gets a foreign path
// whose remote SELECT returns one row per group, so that
// `SELECT kind, count(*) FROM events GROUP BY kind` transfers a row per kind
// instead of every event.
//
// It goes remote only when all of it would: no local condition below it,
// every grouping expression and every output shippable (aggregates by the
// rules of shippable.cpp), every HAVING condition too, grouped by the types'
// default equality; not grouping sets, partial aggregation, set-returning
// functions, row locking, or conditions the planner keeps apart to gate the
// plan (pseudoconstants). The groups are named by position in the remote
// SELECT list: equal values group together under the remote column's
// equality, which for the deterministic collations of pg_catalog is the same
// as byte equality, whatever the collation (shippable.cpp). DISTINCT without
// aggregates is sent as the GROUP BY of every output column.
#include <algorithm>

#include "fdw/fdw.hpp"

extern "C" {
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/tlist.h"
#include "utils/lsyscache.h"
#include "utils/selfuncs.h"
#include "utils/typcache.h"
}

namespace mq::fdw {
namespace {

// A grouping expression the remote side groups exactly as here: shippable,
// its collation deterministic and known there, compared by its type's
// default equality.
bool grouping_shippable(PlannerInfo* root, const RelInfo* input, Expr* expr,
                        SortGroupClause* clause) {
    if (!is_shippable(root, input, expr))
        return false;
    Oid collation = exprCollation(reinterpret_cast<Node*>(expr));
    if (OidIsValid(collation) &&
        (!collation_travels(collation) || !get_collation_isdeterministic(collation)))
        return false;
    TypeCacheEntry* type =
        lookup_type_cache(exprType(reinterpret_cast<Node*>(expr)), TYPECACHE_EQ_OPR);
    return OidIsValid(type->eq_opr) && clause->eqop == type->eq_opr;
}

// The query shapes whose grouping never goes remote.
bool query_refuses(PlannerInfo* root) {
    Query* parse = root->parse;
    return parse->commandType != CMD_SELECT || parse->groupingSets != NIL ||
           parse->hasTargetSRFs || parse->rowMarks != NIL || root->rowMarks != NIL ||
           root->hasPseudoConstantQuals;
}

void estimate_grouping(PlannerInfo* root, RelInfo* info, List* clauses,
                       const AggClauseCosts* agg_costs) {
    double input_rows = info->input->fetched_rows;
    double groups = 1;
    if (clauses != NIL) {
        List* exprs = get_sortgrouplist_exprs(clauses, root->parse->targetList);
        groups = estimate_num_groups(root, exprs, input_rows, nullptr, nullptr);
    }
    Selectivity having = clauselist_selectivity(root, info->having, 0, JOIN_INNER, nullptr);
    info->fetched_rows = clamp_row_est(groups * having);
    info->charged_rows = info->fetched_rows;
    QualCost having_cost;
    cost_qual_eval(&having_cost, info->having, root);
    Cost work = cpu_operator_cost * list_length(clauses) * input_rows + groups * cpu_tuple_cost +
                having_cost.startup + having_cost.per_tuple * groups;
    if (agg_costs != nullptr)
        work += agg_costs->transCost.startup + agg_costs->transCost.per_tuple * input_rows +
                agg_costs->finalCost.startup + agg_costs->finalCost.per_tuple * groups;
    info->remote_work = info->input->remote_work + work;
}

}  // namespace

void add_grouping_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                        RelOptInfo* output_rel, void* extra) {
    Query* parse = root->parse;
    auto* input = static_cast<RelInfo*>(input_rel->fdw_private);
    if (input->kind == RelKind::kGrouped || input->local_conds != NIL ||
        !bms_is_empty(input->base->lateral_relids) || query_refuses(root))
        return;
    PathTarget* target;
    List* clauses;
    List* having = NIL;
    const AggClauseCosts* agg_costs = nullptr;
    if (stage == UPPERREL_GROUP_AGG) {
        auto* group_extra = static_cast<GroupPathExtraData*>(extra);
        if (group_extra->patype != PARTITIONWISE_AGGREGATE_NONE)
            return;
        target = root->upper_targets[UPPERREL_GROUP_AGG];
        clauses = parse->groupClause;
        having = reinterpret_cast<List*>(group_extra->havingQual);
        agg_costs = &group_extra->agg_final_costs;
    } else {
        // DISTINCT of the rows of a table or join: nothing grouped before it.
        if (parse->hasDistinctOn || parse->hasAggs || parse->groupClause != NIL ||
            parse->havingQual != nullptr || parse->hasWindowFuncs || input_rel->reloptkind == RELOPT_UPPER_REL)
            return;
        target = root->upper_targets[UPPERREL_DISTINCT];
        clauses = parse->distinctClause;
    }

    auto* info = static_cast<RelInfo*>(palloc0(sizeof(RelInfo)));
    info->kind = RelKind::kGrouped;
    info->input = input;
    info->base = input->base;
    info->server = input->server;
    info->check_as_user = input->check_as_user;
    int index = 0;
    ListCell* cell;
    foreach (cell, target->exprs) {
        auto* expr = static_cast<Expr*>(lfirst(cell));
        Index ref = get_pathtarget_sortgroupref(target, index);
        ++index;
        SortGroupClause* clause = ref != 0 ? get_sortgroupref_clause_noerr(ref, clauses) : nullptr;
        auto resno = static_cast<AttrNumber>(index);
        if (clause != nullptr) {
            if (!grouping_shippable(root, input, expr, clause))
                return;
            info->group_positions = lappend(info->group_positions, makeInteger(resno));
        } else if (stage != UPPERREL_GROUP_AGG || !is_shippable_grouped(root, input, expr)) {
            return;
        }
        TargetEntry* entry = makeTargetEntry(expr, resno, nullptr, false);
        entry->ressortgroupref = ref;
        info->grouped_tlist = lappend(info->grouped_tlist, entry);
    }
    // Every grouping expression is returned, so GROUP BY can name it.
    if (list_length(info->group_positions) != list_length(clauses))
        return;
    foreach (cell, having) {
        auto* cond = static_cast<Expr*>(lfirst(cell));
        if (!is_shippable_grouped(root, input, cond))
            return;
        info->having = lappend(info->having, cond);
    }
    estimate_grouping(root, info, clauses, agg_costs);
    estimate_pushed_cost(info, info->fetched_rows, 0, &info->startup_cost, &info->total_cost);
    info->total_cost += target->cost.per_tuple * info->fetched_rows;
    output_rel->fdw_private = info;
    add_path(output_rel, reinterpret_cast<Path*>(create_foreign_upper_path(
                             root, output_rel, target, info->fetched_rows, info->startup_cost,
                             info->total_cost, NIL, nullptr,
                             list_make2(makeInteger(0), makeInteger(0)))));
}

}  // namespace mq::fdw
