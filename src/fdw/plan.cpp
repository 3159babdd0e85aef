// The ForeignScan plan node of a raced read: conditions split into remote
// (printed into the SELECT) and local (the node's qual), the columns fetched
// described by fdw_scan_tlist so that the rows the race returns are exactly
// the scan tuples, and the expressions sent as $n in fdw_exprs (the planner
// turns other relations' columns into nestloop Params there).
#include "fdw/fdw.hpp"

extern "C" {
#include "access/table.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace mq::fdw {
namespace {

bool wants_system_or_whole_row(Bitmapset* attrs) {
    int member = -1;
    while ((member = bms_next_member(attrs, member)) >= 0)
        if (member + FirstLowInvalidHeapAttributeNumber <= 0)
            return true;
    return false;
}

// Every column of the table, dropped ones as NULL: the scan tuple is then the
// table's own row (whole-row references and system columns need it).
List* all_columns(Oid table) {
    List* columns = NIL;
    Relation relation = table_open(table, NoLock);
    TupleDesc desc = RelationGetDescr(relation);
    for (int i = 0; i < desc->natts; ++i)
        columns = lappend(columns, makeInteger(TupleDescAttr(desc, i)->attisdropped ? 0 : i + 1));
    table_close(relation, NoLock);
    return columns;
}

List* used_columns(Bitmapset* attrs) {
    List* columns = NIL;
    int member = -1;
    while ((member = bms_next_member(attrs, member)) >= 0)
        columns = lappend(columns, makeInteger(member + FirstLowInvalidHeapAttributeNumber));
    if (columns == NIL)
        columns = list_make1(makeInteger(0));
    return columns;
}

// fdw_scan_tlist: a Var of the foreign table for each fetched column.
List* scan_tlist(const RelInfo* info, List* columns) {
    List* tlist = NIL;
    ListCell* cell;
    foreach (cell, columns) {
        auto attnum = static_cast<AttrNumber>(intVal(lfirst(cell)));
        if (attnum == 0) {
            // No column is needed (count(*)): one NULL per row.
            tlist = lappend(tlist, makeTargetEntry(reinterpret_cast<Expr*>(makeNullConst(
                                                       INT4OID, -1, InvalidOid)),
                                                   static_cast<AttrNumber>(list_length(tlist) + 1),
                                                   nullptr, false));
            continue;
        }
        Oid type, collation;
        int32 typmod;
        get_atttypetypmodcoll(info->table, attnum, &type, &typmod, &collation);
        Var* var = makeVar(info->base->relid, attnum, type, typmod, collation, 0);
        tlist = lappend(tlist, makeTargetEntry(reinterpret_cast<Expr*>(var),
                                               static_cast<AttrNumber>(list_length(tlist) + 1),
                                               nullptr, false));
    }
    return tlist;
}

bool fetched(List* columns, AttrNumber attnum) {
    ListCell* cell;
    foreach (cell, columns)
        if (intVal(lfirst(cell)) == attnum)
            return true;
    return false;
}

// The planner hands a scan that need not project the table's every column
// (a physical tlist); the scan tuple holds only the fetched ones, so the
// others are dropped. A column the plan above reads is always fetched.
List* fetched_only(List* tlist, Index relid, List* columns) {
    List* kept = NIL;
    ListCell* cell;
    foreach (cell, tlist) {
        auto* entry = static_cast<TargetEntry*>(lfirst(cell));
        auto* var = reinterpret_cast<Var*>(entry->expr);
        if (IsA(var, Var) && static_cast<Index>(var->varno) == relid && var->varlevelsup == 0 &&
            !fetched(columns, var->varattno))
            continue;
        TargetEntry* copy = flatCopyTargetEntry(entry);
        copy->resno = static_cast<AttrNumber>(list_length(kept) + 1);
        kept = lappend(kept, copy);
    }
    return kept;
}

// The scan tuple of a join: the columns the join returns (its final target
// may compute expressions of them, which the plan's target list does from
// the scan tuple); one NULL per row when it returns none (count(*)).
List* join_scan_tlist(RelOptInfo* joinrel) {
    List* vars = pull_var_clause(reinterpret_cast<Node*>(joinrel->reltarget->exprs),
                                 PVC_RECURSE_PLACEHOLDERS);
    List* tlist = add_to_flat_tlist(NIL, vars);
    if (tlist == NIL)
        tlist = list_make1(makeTargetEntry(
            reinterpret_cast<Expr*>(makeNullConst(INT4OID, -1, InvalidOid)), 1, nullptr, false));
    return tlist;
}

// What a path sends remotely besides its conditions: the sort its
// fdw_private says it carries, and the query's LIMIT and OFFSET if it does.
RemoteSelect remote_select_of(PlannerInfo* root, RelInfo* info, ForeignPath* path) {
    RemoteSelect sel{};
    sel.info = info;
    sel.pathkeys = intVal(linitial(path->fdw_private)) != 0 ? path->path.pathkeys : NIL;
    sel.limited = intVal(lsecond(path->fdw_private)) != 0;
    if (sel.limited) {
        sel.limit_count = root->parse->limitCount;
        sel.limit_offset = root->parse->limitOffset;
    }
    return sel;
}

// The plan of a join or grouping sent remotely: the remote SELECT returns
// exactly the scan tuple (fdw_scan_tlist), every condition is in it, and the
// plan's target list is computed from the scan tuple.
ForeignScan* get_pushed_plan(PlannerInfo* root, RelInfo* info, ForeignPath* path, List* tlist,
                             Plan* outer_plan) {
    RemoteSelect sel = remote_select_of(root, info, path);
    List* fdw_scan_tlist = info->kind == RelKind::kGrouped ? info->grouped_tlist
                                                           : join_scan_tlist(info->base);
    List* params = NIL;
    char* sql = deparse_pushed_select(root, &sel, fdw_scan_tlist, &params);
    List* fdw_private = list_make5(makeString(sql), makeInteger(0),
                                   makeInteger(static_cast<int>(info->server)),
                                   makeInteger(static_cast<int>(info->check_as_user)),
                                   makeInteger(0));
    return make_foreignscan(tlist, NIL, 0, params, fdw_private, fdw_scan_tlist, NIL, outer_plan);
}

}  // namespace

ForeignScan* get_plan(PlannerInfo* root, RelOptInfo* rel, Oid, ForeignPath* path, List* tlist,
                      List* scan_clauses, Plan* outer_plan) {
    auto* info = static_cast<RelInfo*>(rel->fdw_private);
    if (info->kind != RelKind::kTable)
        return get_pushed_plan(root, info, path, tlist, outer_plan);
    bool upper = rel->reloptkind == RELOPT_UPPER_REL;
    RemoteSelect sel = remote_select_of(root, info, path);
    List* local_exprs = NIL;
    ListCell* cell;
    if (upper) {
        // An upper path exists only when every condition runs remotely.
        foreach (cell, info->remote_conds)
            sel.conds = lappend(sel.conds, static_cast<RestrictInfo*>(lfirst(cell))->clause);
    } else {
        foreach (cell, scan_clauses) {
            auto* clause = static_cast<RestrictInfo*>(lfirst(cell));
            if (clause->pseudoconstant)
                continue;
            bool remote = list_member_ptr(info->remote_conds, clause) ||
                          (!list_member_ptr(info->local_conds, clause) &&
                           is_shippable(root, info, clause->clause));
            if (remote)
                sel.conds = lappend(sel.conds, clause->clause);
            else
                local_exprs = lappend(local_exprs, clause->clause);
        }
    }

    List* fdw_scan_tlist = NIL;
    bool fetches_ctid = false;
    Index scan_relid = upper ? 0 : rel->relid;
    if (upper) {
        Bitmapset* attrs = nullptr;
        pull_varattnos(reinterpret_cast<Node*>(tlist), info->base->relid, &attrs);
        sel.columns = used_columns(attrs);
        fdw_scan_tlist = scan_tlist(info, sel.columns);
    } else {
        Bitmapset* attrs = bms_copy(info->attrs_used);
        pull_varattnos(reinterpret_cast<Node*>(local_exprs), rel->relid, &attrs);
        if (wants_system_or_whole_row(attrs)) {
            sel.columns = all_columns(info->table);
            // The remote ctid, after the row: the scan sets it as the row's own.
            fetches_ctid = bms_is_member(SelfItemPointerAttributeNumber -
                                             FirstLowInvalidHeapAttributeNumber,
                                         attrs);
            if (fetches_ctid)
                sel.columns = lappend(sel.columns, makeInteger(SelfItemPointerAttributeNumber));
        } else {
            sel.columns = used_columns(attrs);
            fdw_scan_tlist = scan_tlist(info, sel.columns);
            tlist = fetched_only(tlist, rel->relid, sel.columns);
        }
    }

    List* params = NIL;
    char* sql = deparse_select(root, &sel, &params);
    List* fdw_private = list_make5(makeString(sql), makeInteger(static_cast<int>(info->table)),
                                   makeInteger(static_cast<int>(info->server)),
                                   makeInteger(static_cast<int>(info->check_as_user)),
                                   makeInteger(fetches_ctid ? 1 : 0));
    return make_foreignscan(tlist, local_exprs, scan_relid, params, fdw_private, fdw_scan_tlist,
                            NIL, outer_plan);
}

}  // namespace mq::fdw
