// Judging what may run on the remote side. A condition is sent only when
// every part of it means the same there: built-in (FirstGenbkiObjectId)
// immutable operators and functions over built-in types, the foreign table's
// plain columns, constants and parameters (a Param, or a column of another
// relation of a parameterized path, both sent as $n). Collations follow the
// rule postgres_fdw applies: an operator or function that uses a collation
// must take it from a column of the foreign table (the remote column has the
// same collation) or use the default collation on inputs that have no
// collation of their own; anything else could compare differently remotely.
#include "fdw/fdw.hpp"

extern "C" {
#include "access/transam.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
}

namespace mq::fdw {
namespace {

// Where an expression's collation comes from.
enum class CollationSource {
    kNone,     // no collation, or the default one from a constant or parameter
    kColumn,   // a column of the foreign table: the remote side has the same
    kUnsafe,   // anything else: cannot be reproduced remotely
};

struct Collation {
    Oid collation = InvalidOid;
    CollationSource source = CollationSource::kNone;
};

struct Walk {
    PlannerInfo* root;
    const RelInfo* info;
    Collation inner;  // merged collation of the children walked so far
};

bool built_in(Oid oid) {
    return oid < FirstGenbkiObjectId;
}

bool immutable_builtin_function(Oid function) {
    return built_in(function) && func_volatile(function) == PROVOLATILE_IMMUTABLE;
}

// The collation a leaf (column, constant, parameter) brings.
Collation leaf_collation(Oid collation, bool from_column) {
    Collation result{collation, CollationSource::kNone};
    if (collation == InvalidOid || collation == DEFAULT_COLLATION_OID)
        return result;
    result.source = from_column ? CollationSource::kColumn : CollationSource::kUnsafe;
    return result;
}

void merge(Collation* into, const Collation& child) {
    if (child.source == CollationSource::kNone)
        return;
    if (into->source == CollationSource::kNone) {
        *into = child;
        return;
    }
    if (into->source != child.source || into->collation != child.collation)
        into->source = CollationSource::kUnsafe;
}

// Whether a node using input_collation over children whose collation is
// inner computes the same remotely.
bool input_collation_ok(Oid input_collation, const Collation& inner) {
    if (input_collation == InvalidOid)
        return true;
    if (inner.source == CollationSource::kColumn)
        return inner.collation == input_collation;
    if (inner.source == CollationSource::kNone)
        return input_collation == DEFAULT_COLLATION_OID;
    return false;
}

// The collation a node produces, given its children's.
bool output_collation(Oid collation, const Collation& inner, Collation* out) {
    *out = Collation{collation, CollationSource::kNone};
    if (collation == InvalidOid || collation == DEFAULT_COLLATION_OID)
        return true;
    if (inner.source == CollationSource::kColumn && inner.collation == collation) {
        out->source = CollationSource::kColumn;
        return true;
    }
    return false;
}

bool walk(Node* node, Walk* w, Collation* out);

// Walks every child of a list or expression, merging their collations.
bool walk_children(List* children, Walk* w, Collation* inner) {
    ListCell* cell;
    foreach (cell, children) {
        Collation child;
        if (!walk(static_cast<Node*>(lfirst(cell)), w, &child))
            return false;
        merge(inner, child);
    }
    return true;
}

bool walk_operator(Oid opno, Oid opfuncid, List* args, Oid input_collation, Oid result_collation,
                   Walk* w, Collation* out) {
    if (!built_in(opno) || !immutable_builtin_function(opfuncid))
        return false;
    Collation inner;
    if (!walk_children(args, w, &inner) || !input_collation_ok(input_collation, inner))
        return false;
    return output_collation(result_collation, inner, out);
}

bool walk(Node* node, Walk* w, Collation* out) {
    *out = Collation{};
    if (node == nullptr)
        return true;
    if (!built_in(exprType(node)))
        return false;
    switch (nodeTag(node)) {
    case T_Var: {
        auto* var = reinterpret_cast<Var*>(node);
        if (var->varlevelsup != 0)
            return false;
        if (bms_is_member(var->varno, w->info->base->relids)) {
            // System columns and whole-row references stay local.
            if (var->varattno <= 0)
                return false;
            *out = leaf_collation(var->varcollid, true);
            return true;
        }
        // Another relation's column in a parameterized path: sent as $n.
        *out = leaf_collation(var->varcollid, false);
        return out->source != CollationSource::kUnsafe;
    }
    case T_Const: {
        auto* constant = reinterpret_cast<Const*>(node);
        *out = leaf_collation(constant->constcollid, false);
        return out->source != CollationSource::kUnsafe;
    }
    case T_Param: {
        auto* param = reinterpret_cast<Param*>(node);
        if (param->paramkind != PARAM_EXTERN && param->paramkind != PARAM_EXEC)
            return false;
        *out = leaf_collation(param->paramcollid, false);
        return out->source != CollationSource::kUnsafe;
    }
    case T_OpExpr:
    case T_DistinctExpr:
    case T_NullIfExpr: {
        auto* op = reinterpret_cast<OpExpr*>(node);
        set_opfuncid(op);
        return walk_operator(op->opno, op->opfuncid, op->args, op->inputcollid, op->opcollid, w,
                             out);
    }
    case T_ScalarArrayOpExpr: {
        auto* op = reinterpret_cast<ScalarArrayOpExpr*>(node);
        set_sa_opfuncid(op);
        return walk_operator(op->opno, op->opfuncid, op->args, op->inputcollid, InvalidOid, w,
                             out);
    }
    case T_FuncExpr: {
        auto* func = reinterpret_cast<FuncExpr*>(node);
        if (!immutable_builtin_function(func->funcid))
            return false;
        Collation inner;
        if (!walk_children(func->args, w, &inner) ||
            !input_collation_ok(func->inputcollid, inner))
            return false;
        return output_collation(func->funccollid, inner, out);
    }
    case T_RelabelType: {
        auto* relabel = reinterpret_cast<RelabelType*>(node);
        Collation inner;
        if (!walk(reinterpret_cast<Node*>(relabel->arg), w, &inner))
            return false;
        return output_collation(relabel->resultcollid, inner, out);
    }
    case T_BoolExpr: {
        Collation inner;
        return walk_children(reinterpret_cast<BoolExpr*>(node)->args, w, &inner);
    }
    case T_NullTest: {
        auto* test = reinterpret_cast<NullTest*>(node);
        if (test->argisrow)
            return false;
        Collation inner;
        return walk(reinterpret_cast<Node*>(test->arg), w, &inner);
    }
    case T_ArrayExpr: {
        auto* array = reinterpret_cast<ArrayExpr*>(node);
        Collation inner;
        if (array->multidims || !walk_children(array->elements, w, &inner))
            return false;
        return output_collation(array->array_collid, inner, out);
    }
    case T_List: {
        Collation inner;
        return walk_children(reinterpret_cast<List*>(node), w, &inner);
    }
    default:
        return false;
    }
}

}  // namespace

bool is_shippable(PlannerInfo* root, const RelInfo* info, Expr* expr) {
    Walk w{root, info, {}};
    Collation result;
    if (!walk(reinterpret_cast<Node*>(expr), &w, &result))
        return false;
    // A condition's own collation does not matter (it is boolean); a sort
    // key's does, and shippable_sort_var checks it.
    return true;
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
        // The remote column sorts by its own collation, the default one
        // being the same remotely.
        if (ec->ec_collation != InvalidOid && ec->ec_collation != var->varcollid &&
            ec->ec_collation != DEFAULT_COLLATION_OID)
            return nullptr;
        if (!built_in(var->vartype))
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
