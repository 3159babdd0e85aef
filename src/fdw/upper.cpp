// ORDER BY and LIMIT/OFFSET sent to the remote side when the query reads one
// raced foreign table and nothing else: the final relation gets a foreign
// path whose remote SELECT carries the WHERE, ORDER BY and LIMIT together, so
// that an autocomplete read (WHERE title LIKE 'abc%' ORDER BY title LIMIT 10)
// runs as one indexed remote query. The ORDER BY of a query without LIMIT
// needs no upper path: the base relation's presorted path (paths.cpp) serves it.
// Over a grouping sent remotely (grouping.cpp), the query's ORDER BY and
// LIMIT/OFFSET go with it, so that a top-N of groups returns N rows.
#include "fdw/fdw.hpp"

extern "C" {
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
}

namespace mq::fdw {
namespace {

// A remote LIMIT bounds what is sent whatever the row estimate says; when the
// estimates tie (the remote side is expected to return fewer rows than the
// limit anyway) it is still the safer plan, and this makes it win the tie.
constexpr double kRemoteLimitPreference = 0.98;

// The raced table an upper relation's input reads, when it reads only that
// and all of its conditions run remotely.
RelInfo* single_table_input(RelOptInfo* input_rel) {
    auto* info = static_cast<RelInfo*>(input_rel->fdw_private);
    if (info == nullptr || info->kind != RelKind::kTable)
        return nullptr;
    if (info->local_conds != NIL || !bms_is_empty(info->base->lateral_relids))
        return nullptr;
    return info;
}

bool limit_shippable(PlannerInfo* root, const RelInfo* info, Node* expr) {
    return expr == nullptr || is_shippable(root, info, reinterpret_cast<Expr*>(expr));
}

void add_final_path(PlannerInfo* root, RelOptInfo* input_rel, RelOptInfo* output_rel,
                    FinalPathExtraData* extra) {
    Query* parse = root->parse;
    if (!extra->limit_needed || parse->limitOption == LIMIT_OPTION_WITH_TIES ||
        parse->rowMarks != NIL || parse->hasTargetSRFs)
        return;
    bool sorted = input_rel->reloptkind == RELOPT_UPPER_REL;
    RelInfo* info = single_table_input(input_rel);
    if (info == nullptr || (sorted && !info->sort_shippable))
        return;
    // The query's ordering must be the one sent: the sort keys of a query
    // reading one table, nothing between them and the LIMIT.
    if (sorted && (root->query_pathkeys != root->sort_pathkeys ||
                   !pathkeys_shippable(root, info, root->sort_pathkeys)))
        return;
    if (!limit_shippable(root, info, parse->limitCount) ||
        !limit_shippable(root, info, parse->limitOffset))
        return;
    // Its columns must all be the table's, as the fetched list has them.
    PathTarget* target = root->upper_targets[UPPERREL_FINAL];
    List* vars = pull_var_clause(reinterpret_cast<Node*>(target->exprs), PVC_RECURSE_PLACEHOLDERS);
    ListCell* cell;
    foreach (cell, vars) {
        auto* var = static_cast<Var*>(lfirst(cell));
        if (!IsA(var, Var) || var->varattno <= 0 || !bms_is_member(var->varno, info->base->relids))
            return;
    }
    double limit_rows = 0;
    if (extra->count_est > 0)
        limit_rows = static_cast<double>(extra->count_est + extra->offset_est);
    double rows = info->base->rows;
    if (limit_rows > 0 && limit_rows < rows)
        rows = limit_rows;
    Cost startup, total;
    estimate_scan_cost(root, info, info->fetched_rows, info->base->rows, sorted, limit_rows,
                       &startup, &total);
    startup *= kRemoteLimitPreference;
    total *= kRemoteLimitPreference;
    auto* mark = static_cast<RelInfo*>(palloc(sizeof(RelInfo)));
    *mark = *info;
    output_rel->fdw_private = mark;
    List* priv = list_make2(makeInteger(sorted ? 1 : 0), makeInteger(1));
    add_path(output_rel,
             reinterpret_cast<Path*>(create_foreign_upper_path(
                 root, output_rel, target, rows, startup, total,
                 sorted ? root->sort_pathkeys : NIL, nullptr, priv)));
}

// The grouped relation's rows in the query's ORDER BY, sorted remotely.
void add_grouped_ordered_path(PlannerInfo* root, RelInfo* info, RelOptInfo* output_rel) {
    if (root->sort_pathkeys == NIL)
        return;
    ListCell* cell;
    foreach (cell, root->sort_pathkeys)
        if (shippable_grouped_sort_expr(root, info, static_cast<PathKey*>(lfirst(cell))) ==
            nullptr)
            return;
    Cost startup, total;
    estimate_pushed_cost(info, info->fetched_rows, remote_sort_cost(info->fetched_rows, 0),
                         &startup, &total);
    auto* mark = static_cast<RelInfo*>(palloc(sizeof(RelInfo)));
    *mark = *info;
    mark->ordered = true;
    output_rel->fdw_private = mark;
    add_path(output_rel, reinterpret_cast<Path*>(create_foreign_upper_path(
                             root, output_rel, root->upper_targets[UPPERREL_ORDERED],
                             info->fetched_rows, startup, total, root->sort_pathkeys, nullptr,
                             list_make2(makeInteger(1), makeInteger(0)))));
}

// The grouped relation's rows, in order when the ORDER BY went remote, with
// the LIMIT/OFFSET.
void add_grouped_final_path(PlannerInfo* root, RelInfo* info, RelOptInfo* output_rel,
                            FinalPathExtraData* extra) {
    Query* parse = root->parse;
    if (!extra->limit_needed || parse->limitOption == LIMIT_OPTION_WITH_TIES ||
        parse->rowMarks != NIL || parse->hasTargetSRFs)
        return;
    // An ORDER BY that stayed local would come between.
    if (root->sort_pathkeys != NIL && !info->ordered)
        return;
    if (!limit_shippable(root, info, parse->limitCount) ||
        !limit_shippable(root, info, parse->limitOffset))
        return;
    double limit_rows = 0;
    if (extra->count_est > 0)
        limit_rows = static_cast<double>(extra->count_est + extra->offset_est);
    double rows = info->fetched_rows;
    if (limit_rows > 0 && limit_rows < rows)
        rows = limit_rows;
    Cost sort = info->ordered ? remote_sort_cost(info->fetched_rows, limit_rows) : 0;
    Cost startup, total;
    estimate_pushed_cost(info, rows, sort, &startup, &total);
    startup *= kRemoteLimitPreference;
    total *= kRemoteLimitPreference;
    auto* mark = static_cast<RelInfo*>(palloc(sizeof(RelInfo)));
    *mark = *info;
    output_rel->fdw_private = mark;
    add_path(output_rel, reinterpret_cast<Path*>(create_foreign_upper_path(
                             root, output_rel, root->upper_targets[UPPERREL_FINAL], rows,
                             startup, total, info->ordered ? root->sort_pathkeys : NIL, nullptr,
                             list_make2(makeInteger(info->ordered ? 1 : 0), makeInteger(1)))));
}

}  // namespace

void get_upper_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                     RelOptInfo* output_rel, void* extra) {
    if (output_rel->fdw_private != nullptr || input_rel->fdw_private == nullptr)
        return;
    auto* input = static_cast<RelInfo*>(input_rel->fdw_private);
    if (stage == UPPERREL_GROUP_AGG || stage == UPPERREL_DISTINCT) {
        add_grouping_paths(root, stage, input_rel, output_rel, extra);
        return;
    }
    if (input->kind == RelKind::kGrouped) {
        if (stage == UPPERREL_ORDERED && !input->ordered)
            add_grouped_ordered_path(root, input, output_rel);
        else if (stage == UPPERREL_FINAL)
            add_grouped_final_path(root, input, output_rel,
                                   static_cast<FinalPathExtraData*>(extra));
        return;
    }
    if (stage == UPPERREL_ORDERED) {
        // Only a base relation's presorted path feeds the ordered relation
        // unchanged; the final stage then knows the ORDER BY went remote.
        if (input_rel->reloptkind != RELOPT_BASEREL)
            return;
        auto* info = static_cast<RelInfo*>(input_rel->fdw_private);
        if (info->sort_shippable)
            output_rel->fdw_private = info;
        return;
    }
    if (stage == UPPERREL_FINAL)
        add_final_path(root, input_rel, output_rel, static_cast<FinalPathExtraData*>(extra));
}

}  // namespace mq::fdw
