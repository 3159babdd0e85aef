// Judging what may run on the remote side. A condition is sent only when
// every part of it means the same there: built-in (FirstGenbkiObjectId)
// immutable operators and functions over built-in types whose text form
// depends on no setting deparse cannot fix (not money, whose form follows
// lc_monetary, nor xml), the foreign table's plain columns and its ctid,
// constants and parameters (a Param, or a column of another relation of a
// parameterized path, both sent as $n). Every operation that uses a collation
// has deparse print it (so the remote column's own collation never decides),
// which is safe for the collations of pg_catalog: the database default,
// "C", "POSIX" and those initdb made from the operating system's locales.
// IS DISTINCT FROM and NULLIF stay local: their operator cannot be written
// qualified, and the remote session's search_path would choose it.
//
// Over a grouped relation, aggregates are judged the same way: built-in and
// immutable, over arguments that are, their DISTINCT by the type's default
// equality and their ORDER BY by its default ordering (what deparse prints),
// their FILTER a condition that could run remotely; ordered-set aggregates
// and partial aggregation stay local.
#include "fdw/fdw.hpp"

extern "C" {
#include "access/transam.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "optimizer/tlist.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "access/htup_details.h"
#include "utils/typcache.h"
}

namespace mq::fdw {
namespace {

struct Walk {
    PlannerInfo* root;
    const RelInfo* info;
    bool aggregates;  // an aggregate may be met (over a grouped relation)
};

bool built_in(Oid oid) {
    return oid < FirstGenbkiObjectId;
}

bool immutable_builtin_function(Oid function) {
    return built_in(function) && func_volatile(function) == PROVOLATILE_IMMUTABLE;
}

// A type whose values deparse can print and the remote side reads back the
// same whatever its settings.
bool type_travels(Oid type) {
    return built_in(type) && type != CASHOID && type != XMLOID;
}

}  // namespace

bool is_reg_type(Oid type) {
    switch (type) {
    case REGPROCOID:
    case REGPROCEDUREOID:
    case REGOPEROID:
    case REGOPERATOROID:
    case REGCLASSOID:
    case REGTYPEOID:
    case REGCOLLATIONOID:
    case REGCONFIGOID:
    case REGDICTIONARYOID:
    case REGNAMESPACEOID:
    case REGROLEOID:
        return true;
    default:
        return false;
    }
}

bool collation_travels(Oid collation) {
    if (!OidIsValid(collation))
        return true;
    HeapTuple tuple = SearchSysCache1(COLLOID, ObjectIdGetDatum(collation));
    if (!HeapTupleIsValid(tuple))
        return false;
    bool in_catalog =
        reinterpret_cast<Form_pg_collation>(GETSTRUCT(tuple))->collnamespace == PG_CATALOG_NAMESPACE;
    ReleaseSysCache(tuple);
    return in_catalog;
}

namespace {

bool walk(Node* node, Walk* w);
bool aggregate_shippable(Aggref* agg, Walk* w);

bool walk_children(List* children, Walk* w) {
    ListCell* cell;
    foreach (cell, children)
        if (!walk(static_cast<Node*>(lfirst(cell)), w))
            return false;
    return true;
}

bool walk_operator(Oid opno, Oid opfuncid, List* args, Oid input_collation, Walk* w) {
    return built_in(opno) && immutable_builtin_function(opfuncid) &&
           collation_travels(input_collation) && walk_children(args, w);
}

bool walk(Node* node, Walk* w) {
    if (node == nullptr)
        return true;
    if (IsA(node, TargetEntry))
        return walk(reinterpret_cast<Node*>(reinterpret_cast<TargetEntry*>(node)->expr), w);
    if (!type_travels(exprType(node)))
        return false;
    switch (nodeTag(node)) {
    case T_Var: {
        auto* var = reinterpret_cast<Var*>(node);
        if (var->varlevelsup != 0)
            return false;
        // Of the system columns only ctid is the remote row's; whole-row
        // references stay local. Another relation's column is sent as $n.
        if (bms_is_member(var->varno, w->info->base->relids))
            return var->varattno > 0 || var->varattno == SelfItemPointerAttributeNumber;
        return true;
    }
    case T_Const: {
        // A reg* constant names a catalog object: deparse sends its OID,
        // which means the same remotely only for a built-in object.
        auto* constant = reinterpret_cast<Const*>(node);
        return constant->constisnull || !is_reg_type(constant->consttype) ||
               built_in(DatumGetObjectId(constant->constvalue));
    }
    case T_Param: {
        auto* param = reinterpret_cast<Param*>(node);
        return param->paramkind == PARAM_EXTERN || param->paramkind == PARAM_EXEC;
    }
    case T_OpExpr: {
        auto* op = reinterpret_cast<OpExpr*>(node);
        set_opfuncid(op);
        return walk_operator(op->opno, op->opfuncid, op->args, op->inputcollid, w);
    }
    case T_ScalarArrayOpExpr: {
        auto* op = reinterpret_cast<ScalarArrayOpExpr*>(node);
        set_sa_opfuncid(op);
        return walk_operator(op->opno, op->opfuncid, op->args, op->inputcollid, w);
    }
    case T_FuncExpr: {
        auto* func = reinterpret_cast<FuncExpr*>(node);
        return immutable_builtin_function(func->funcid) && collation_travels(func->inputcollid) &&
               walk_children(func->args, w);
    }
    case T_RelabelType:
        return walk(reinterpret_cast<Node*>(reinterpret_cast<RelabelType*>(node)->arg), w);
    case T_BoolExpr:
        return walk_children(reinterpret_cast<BoolExpr*>(node)->args, w);
    case T_NullTest: {
        auto* test = reinterpret_cast<NullTest*>(node);
        return !test->argisrow && walk(reinterpret_cast<Node*>(test->arg), w);
    }
    case T_ArrayExpr: {
        auto* array = reinterpret_cast<ArrayExpr*>(node);
        return !array->multidims && walk_children(array->elements, w);
    }
    case T_List:
        return walk_children(reinterpret_cast<List*>(node), w);
    case T_Aggref:
        return w->aggregates && aggregate_shippable(reinterpret_cast<Aggref*>(node), w);
    default:
        return false;
    }
}

// The argument of an aggregate's DISTINCT or ORDER BY that clause names.
Node* sort_argument(Aggref* agg, SortGroupClause* clause) {
    ListCell* cell;
    foreach (cell, agg->args) {
        auto* entry = static_cast<TargetEntry*>(lfirst(cell));
        if (entry->ressortgroupref == clause->tleSortGroupRef)
            return reinterpret_cast<Node*>(entry->expr);
    }
    return nullptr;
}

bool aggregate_shippable(Aggref* agg, Walk* w) {
    if (agg->aggsplit != AGGSPLIT_SIMPLE || agg->aggkind != AGGKIND_NORMAL ||
        agg->aggvariadic || agg->agglevelsup != 0 || agg->aggdirectargs != NIL)
        return false;
    if (!immutable_builtin_function(agg->aggfnoid) || !collation_travels(agg->inputcollid))
        return false;
    ListCell* cell;
    foreach (cell, agg->aggdistinct) {
        auto* clause = static_cast<SortGroupClause*>(lfirst(cell));
        Node* arg = sort_argument(agg, clause);
        if (arg == nullptr)
            return false;
        TypeCacheEntry* type = lookup_type_cache(exprType(arg), TYPECACHE_EQ_OPR);
        if (clause->eqop != type->eq_opr)
            return false;
    }
    foreach (cell, agg->aggorder) {
        auto* clause = static_cast<SortGroupClause*>(lfirst(cell));
        Node* arg = sort_argument(agg, clause);
        if (arg == nullptr || !collation_travels(exprCollation(arg)))
            return false;
        TypeCacheEntry* type = lookup_type_cache(exprType(arg), TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);
        if (clause->sortop != type->lt_opr && clause->sortop != type->gt_opr)
            return false;
    }
    // Nothing nests an aggregate in another's arguments or FILTER.
    Walk inner{w->root, w->info, false};
    return walk_children(agg->args, &inner) &&
           walk(reinterpret_cast<Node*>(agg->aggfilter), &inner);
}

}  // namespace

bool is_shippable(PlannerInfo* root, const RelInfo* info, Expr* expr) {
    Walk w{root, info, false};
    return walk(reinterpret_cast<Node*>(expr), &w);
}

bool is_shippable_grouped(PlannerInfo* root, const RelInfo* info, Expr* expr) {
    Walk w{root, info, true};
    return walk(reinterpret_cast<Node*>(expr), &w);
}

Expr* shippable_grouped_sort_expr(PlannerInfo* root, const RelInfo* info, PathKey* pathkey) {
    EquivalenceClass* ec = pathkey->pk_eclass;
    if (ec->ec_has_volatile || !collation_travels(ec->ec_collation))
        return nullptr;
    ListCell* cell;
    foreach (cell, ec->ec_members) {
        auto* member = static_cast<EquivalenceMember*>(lfirst(cell));
        Expr* expr = member->em_expr;
        // Only what the remote SELECT returns, so that ORDER BY sorts by it.
        if (tlist_member(expr, info->grouped_tlist) == nullptr)
            continue;
        Oid type = exprType(reinterpret_cast<Node*>(expr));
        if (!is_shippable_grouped(root, info, expr))
            return nullptr;
        TypeCacheEntry* entry = lookup_type_cache(type, TYPECACHE_BTREE_OPFAMILY);
        if (pathkey->pk_opfamily != entry->btree_opf ||
            (pathkey->pk_strategy != BTLessStrategyNumber &&
             pathkey->pk_strategy != BTGreaterStrategyNumber))
            return nullptr;
        return expr;
    }
    return nullptr;
}

Var* shippable_sort_var(PlannerInfo* root, const RelInfo* info, PathKey* pathkey) {
    EquivalenceClass* ec = pathkey->pk_eclass;
    if (ec->ec_has_volatile)
        return nullptr;
    ListCell* cell;
    foreach (cell, ec->ec_members) {
        auto* member = static_cast<EquivalenceMember*>(lfirst(cell));
        Expr* expr = member->em_expr;
        while (IsA(expr, RelabelType))
            expr = reinterpret_cast<RelabelType*>(expr)->arg;
        if (!IsA(expr, Var))
            continue;
        auto* var = reinterpret_cast<Var*>(expr);
        if (var->varlevelsup != 0 || var->varattno <= 0 ||
            !bms_is_member(var->varno, info->base->relids))
            continue;
        // The sort key names its collation (deparse.cpp).
        if (!collation_travels(ec->ec_collation) || !type_travels(var->vartype))
            return nullptr;
        // Only the type's default ordering, printed as ASC or DESC.
        TypeCacheEntry* type = lookup_type_cache(var->vartype, TYPECACHE_BTREE_OPFAMILY);
        if (pathkey->pk_opfamily != type->btree_opf ||
            (pathkey->pk_strategy != BTLessStrategyNumber &&
             pathkey->pk_strategy != BTGreaterStrategyNumber))
            return nullptr;
        return var;
    }
    return nullptr;
}

bool pathkeys_shippable(PlannerInfo* root, const RelInfo* info, List* pathkeys) {
    if (pathkeys == NIL)
        return false;
    ListCell* cell;
    foreach (cell, pathkeys)
        if (shippable_sort_var(root, info, static_cast<PathKey*>(lfirst(cell))) == nullptr)
            return false;
    return true;
}

}  // namespace mq::fdw
