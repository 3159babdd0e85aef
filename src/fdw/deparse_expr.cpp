// Printing the remote SQL's expressions: constants, parameters, columns,
// operators, functions and aggregates, each qualified and collated so that
// it means the same in any remote session (see deparse.cpp).
#include <string>

#include "core/sql_quote.hpp"
#include "fdw/deparse_printer.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "common/keywords.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_node.h"
#include "parser/parsetree.h"
#include "utils/typcache.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace mq::fdw::printer {

void print_in_transmission_modes(Printer* p) {
    if (p->modes_level < 0) p->modes_level = set_transmission_modes();
}

void end_transmission_modes(Printer* p) {
    if (p->modes_level >= 0) reset_transmission_modes(p->modes_level);
    p->modes_level = -1;
}

// Keywords that would not read back as a name: all but the unreserved ones.
bool keyword_needs_quoting(const std::string& word) {
    int number = ScanKeywordLookup(word.c_str(), &ScanKeywords);
    return number >= 0 && ScanKeywordCategories[number] != UNRESERVED_KEYWORD;
}

void append_identifier(StringInfo buf, const char* name) {
    std::string quoted = mq::quote_identifier(name, keyword_needs_quoting);
    pg::call([&] { appendBinaryStringInfo(buf, quoted.data(), static_cast<int>(quoted.size())); });
}

void append_literal(StringInfo buf, const char* value) {
    std::string quoted = mq::quote_literal(value);
    pg::call([&] { appendBinaryStringInfo(buf, quoted.data(), static_cast<int>(quoted.size())); });
}

// The value of a foreign table's option, or fallback.
const char* table_option(Oid table, const char* name, const char* fallback) {
    ForeignTable* foreign = GetForeignTable(table);
    ListCell* cell;
    foreach (cell, foreign->options) {
        auto* option = static_cast<DefElem*>(lfirst(cell));
        if (strcmp(option->defname, name) == 0)
            return defGetString(option);
    }
    return fallback;
}

void append_column(StringInfo buf, Oid table, AttrNumber attnum) {
    const char* name = nullptr;
    ListCell* cell;
    foreach (cell, GetForeignColumnOptions(table, attnum)) {
        auto* option = static_cast<DefElem*>(lfirst(cell));
        if (strcmp(option->defname, "column_name") == 0)
            name = defGetString(option);
    }
    if (name == nullptr)
        name = get_attname(table, attnum, false);
    append_identifier(buf, name);
}

void append_relation(StringInfo buf, Oid table) {
    append_identifier(buf, table_option(table, "schema_name", get_namespace_name(
                                                                  get_rel_namespace(table))));
    appendStringInfoChar(buf, '.');
    append_identifier(buf, table_option(table, "table_name", get_rel_name(table)));
}

void append_type(StringInfo buf, Oid type, int32 typmod) {
    appendStringInfoString(buf, format_type_extended(type, typmod, FORMAT_TYPE_TYPEMOD_GIVEN |
                                                                      FORMAT_TYPE_FORCE_QUALIFY));
}

// schema.name of a catalog object, both quoted as needed.
void append_qualified(StringInfo buf, Oid schema, const char* name) {
    append_identifier(buf, get_namespace_name(schema));
    appendStringInfoChar(buf, '.');
    append_identifier(buf, name);
}

void append_collation(StringInfo buf, Oid collation) {
    HeapTuple tuple = SearchSysCache1(COLLOID, ObjectIdGetDatum(collation));
    if (!HeapTupleIsValid(tuple))
        elog(ERROR, "cache lookup failed for collation %u", collation);
    auto* form = reinterpret_cast<Form_pg_collation>(GETSTRUCT(tuple));
    appendStringInfoString(buf, " COLLATE ");
    append_qualified(buf, form->collnamespace, NameStr(form->collname));
    ReleaseSysCache(tuple);
}

// A parameter: the expression is evaluated here at execution and sent as $n;
// untyped: without its cast, for the remote side to type it as the column
// it is compared with.
void print_param(Expr* expr, Printer* p, bool untyped = false) {
    int number = 1;
    ListCell* cell;
    bool found = false;
    foreach (cell, *p->params) {
        if (equal(lfirst(cell), expr)) {
            found = true;
            break;
        }
        ++number;
    }
    if (!found)
        *p->params = lappend(*p->params, expr);
    appendStringInfo(p->buf, "$%d", number);
    if (untyped)
        return;
    appendStringInfoString(p->buf, "::");
    append_type(p->buf, exprType(reinterpret_cast<Node*>(expr)),
                exprTypmod(reinterpret_cast<Node*>(expr)));
}

// untyped: the literal alone, for the remote side to read as the type the
// other operand has there.
void print_const(Const* constant, Printer* p, bool untyped = false) {
    if (constant->constisnull) {
        appendStringInfoString(p->buf, "NULL::");
        append_type(p->buf, constant->consttype, constant->consttypmod);
        return;
    }
    if (is_reg_type(constant->consttype)) {
        // By OID (a built-in object's, the same everywhere): its name would
        // be looked up in the remote session's search_path.
        appendStringInfo(p->buf, "'%u'::", DatumGetObjectId(constant->constvalue));
        append_type(p->buf, constant->consttype, -1);
        return;
    }
    Oid output;
    bool varlena;
    getTypeOutputInfo(constant->consttype, &output, &varlena);
    if (prints_in_transmission_modes(constant->consttype)) print_in_transmission_modes(p);
    char* text = OidOutputFunctionCall(output, constant->constvalue);
    switch (constant->consttype) {
    case INT4OID:
        // Parenthesized when negative, so that no operator can swallow the sign.
        if (text[0] == '-')
            appendStringInfo(p->buf, "(%s)", text);
        else
            appendStringInfoString(p->buf, text);
        return;
    case BOOLOID:
        appendStringInfoString(p->buf, strcmp(text, "t") == 0 ? "true" : "false");
        return;
    default:
        append_literal(p->buf, text);
        if (untyped)
            return;
        appendStringInfoString(p->buf, "::");
        append_type(p->buf, constant->consttype, constant->consttypmod);
    }
}

void print_expr(Expr* expr, Printer* p);
void print_aggregate(Aggref* agg, Printer* p);

void print_operator_name(Oid opno, StringInfo buf) {
    HeapTuple tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
    if (!HeapTupleIsValid(tuple))
        elog(ERROR, "cache lookup failed for operator %u", opno);
    auto* form = reinterpret_cast<Form_pg_operator>(GETSTRUCT(tuple));
    // OPERATOR(schema.name): the operator name alone would be looked up in
    // the remote session's search_path.
    appendStringInfoString(buf, "OPERATOR(");
    append_identifier(buf, get_namespace_name(form->oprnamespace));
    appendStringInfoChar(buf, '.');
    appendStringInfoString(buf, NameStr(form->oprname));
    appendStringInfoChar(buf, ')');
    ReleaseSysCache(tuple);
}

bool is_table_column(Expr* expr, const Printer* p) {
    if (!IsA(expr, Var))
        return false;
    auto* var = reinterpret_cast<Var*>(expr);
    return var->varlevelsup == 0 && var->varattno > 0 &&
           bms_is_member(var->varno, p->info->base->relids);
}

// Which arguments of an operation that uses input_collation name it: every
// argument of a collatable type but the table's plain columns, so that the
// printed collation overrides the remote column's own; when the columns are
// all there is, they name it.
bool names_collation(Expr* arg, Oid input_collation, bool columns_only, const Printer* p) {
    return OidIsValid(input_collation) &&
           OidIsValid(exprCollation(reinterpret_cast<Node*>(arg))) &&
           (columns_only || !is_table_column(arg, p));
}

bool collatable_columns_only(List* args, const Printer* p) {
    ListCell* cell;
    foreach (cell, args) {
        auto* arg = static_cast<Expr*>(lfirst(cell));
        if (OidIsValid(exprCollation(reinterpret_cast<Node*>(arg))) && !is_table_column(arg, p))
            return false;
    }
    return true;
}

// One argument; untyped: a constant or parameter to print without its cast.
void print_arg(Expr* arg, Oid collation, bool collated, bool untyped, Printer* p) {
    if (collated)
        appendStringInfoChar(p->buf, '(');
    if (untyped && IsA(arg, Const))
        print_const(reinterpret_cast<Const*>(arg), p, true);
    else if (untyped)
        print_param(arg, p, true);
    else
        print_expr(arg, p);
    if (collated) {
        append_collation(p->buf, collation);
        appendStringInfoChar(p->buf, ')');
    }
}

void print_args(List* args, Oid input_collation, const char* separator, Printer* p) {
    bool columns_only = collatable_columns_only(args, p);
    bool first = true;
    ListCell* cell;
    foreach (cell, args) {
        auto* arg = static_cast<Expr*>(lfirst(cell));
        if (!first)
            appendStringInfoString(p->buf, separator);
        first = false;
        print_arg(arg, input_collation, names_collation(arg, input_collation, columns_only, p),
                  false, p);
    }
}

bool is_parameter(Expr* arg, const Printer* p) {
    if (IsA(arg, Param))
        return true;
    if (!IsA(arg, Var))
        return false;
    auto* var = reinterpret_cast<Var*>(arg);
    return !(var->varlevelsup == 0 && bms_is_member(var->varno, p->info->base->relids));
}

bool is_equality_name(Oid opno, bool negated) {
    char* name = get_opname(opno);
    return name != nullptr && strcmp(name, negated ? "<>" : "=") == 0;
}

// A constant or parameter compared for (in)equality with a plain column of
// the table goes untyped when its type is the column's (or, for IN and
// NOT IN, an array of it), so that the remote side reads it as its column's
// type: an enum column declared text locally compares as it should. Other
// operators keep the cast: on such a column they would order or match by
// the remote type's rules, so the remote side refuses them instead.
bool goes_untyped(Expr* arg, Expr* other, Oid opno, bool negated, bool array_of,
                  const Printer* p) {
    if (!is_equality_name(opno, negated) || !is_table_column(other, p))
        return false;
    bool literal = IsA(arg, Const) && !reinterpret_cast<Const*>(arg)->constisnull;
    if (!literal && !is_parameter(arg, p))
        return false;
    Oid column_type = exprType(reinterpret_cast<Node*>(other));
    Oid expected = array_of ? get_array_type(column_type) : column_type;
    return OidIsValid(expected) && exprType(reinterpret_cast<Node*>(arg)) == expected;
}

void print_op(OpExpr* op, Printer* p) {
    appendStringInfoChar(p->buf, '(');
    if (list_length(op->args) == 2) {
        auto* left = static_cast<Expr*>(linitial(op->args));
        auto* right = static_cast<Expr*>(lsecond(op->args));
        bool columns_only = collatable_columns_only(op->args, p);
        print_arg(left, op->inputcollid, names_collation(left, op->inputcollid, columns_only, p),
                  goes_untyped(left, right, op->opno, false, false, p) ||
                      goes_untyped(left, right, op->opno, true, false, p),
                  p);
        appendStringInfoChar(p->buf, ' ');
        print_operator_name(op->opno, p->buf);
        appendStringInfoChar(p->buf, ' ');
        print_arg(right, op->inputcollid, names_collation(right, op->inputcollid, columns_only, p),
                  goes_untyped(right, left, op->opno, false, false, p) ||
                      goes_untyped(right, left, op->opno, true, false, p),
                  p);
    } else {
        print_operator_name(op->opno, p->buf);
        appendStringInfoChar(p->buf, ' ');
        print_args(op->args, op->inputcollid, "", p);
    }
    appendStringInfoChar(p->buf, ')');
}

void print_function(FuncExpr* func, Printer* p) {
    // An implicit cast reads the same remotely without being written.
    if (func->funcformat == COERCE_IMPLICIT_CAST) {
        print_expr(static_cast<Expr*>(linitial(func->args)), p);
        return;
    }
    if (func->funcformat == COERCE_EXPLICIT_CAST) {
        appendStringInfoChar(p->buf, '(');
        print_expr(static_cast<Expr*>(linitial(func->args)), p);
        appendStringInfoString(p->buf, ")::");
        int32 typmod;
        exprIsLengthCoercion(reinterpret_cast<Node*>(func), &typmod);
        append_type(p->buf, func->funcresulttype, typmod);
        return;
    }
    append_qualified(p->buf, get_func_namespace(func->funcid), get_func_name(func->funcid));
    appendStringInfoChar(p->buf, '(');
    bool columns_only = collatable_columns_only(func->args, p);
    ListCell* cell;
    bool first = true;
    foreach (cell, func->args) {
        auto* arg = static_cast<Expr*>(lfirst(cell));
        if (!first)
            appendStringInfoString(p->buf, ", ");
        if (func->funcvariadic && lnext(func->args, cell) == nullptr)
            appendStringInfoString(p->buf, "VARIADIC ");
        print_arg(arg, func->inputcollid,
                  names_collation(arg, func->inputcollid, columns_only, p), false, p);
        first = false;
    }
    appendStringInfoChar(p->buf, ')');
}

// The argument of an aggregate's DISTINCT or ORDER BY that clause names.
Expr* sort_argument(Aggref* agg, SortGroupClause* clause) {
    ListCell* cell;
    foreach (cell, agg->args) {
        auto* entry = static_cast<TargetEntry*>(lfirst(cell));
        if (entry->ressortgroupref == clause->tleSortGroupRef)
            return entry->expr;
    }
    elog(ERROR, "multiquery cannot print an aggregate's sort key");
    return nullptr;
}

// An aggregate's ORDER BY: each argument in its own collation, by its type's
// default ordering (shippable.cpp accepted no other).
void print_aggregate_order(Aggref* agg, Printer* p) {
    appendStringInfoString(p->buf, " ORDER BY ");
    ListCell* cell;
    bool first = true;
    foreach (cell, agg->aggorder) {
        auto* clause = static_cast<SortGroupClause*>(lfirst(cell));
        Expr* arg = sort_argument(agg, clause);
        Oid collation = exprCollation(reinterpret_cast<Node*>(arg));
        if (!first)
            appendStringInfoString(p->buf, ", ");
        print_arg(arg, collation, OidIsValid(collation), false, p);
        TypeCacheEntry* type = lookup_type_cache(exprType(reinterpret_cast<Node*>(arg)),
                                                 TYPECACHE_GT_OPR);
        bool descending = clause->sortop == type->gt_opr;
        if (descending)
            appendStringInfoString(p->buf, " DESC");
        if (clause->nulls_first != descending)
            appendStringInfoString(p->buf, clause->nulls_first ? " NULLS FIRST" : " NULLS LAST");
        first = false;
    }
}

void print_aggregate(Aggref* agg, Printer* p) {
    append_qualified(p->buf, get_func_namespace(agg->aggfnoid), get_func_name(agg->aggfnoid));
    appendStringInfoChar(p->buf, '(');
    if (agg->aggstar) {
        appendStringInfoChar(p->buf, '*');
    } else {
        if (agg->aggdistinct != NIL)
            appendStringInfoString(p->buf, "DISTINCT ");
        List* args = NIL;
        ListCell* cell;
        foreach (cell, agg->args) {
            auto* entry = static_cast<TargetEntry*>(lfirst(cell));
            if (!entry->resjunk)
                args = lappend(args, entry->expr);
        }
        print_args(args, agg->inputcollid, ", ", p);
        if (agg->aggorder != NIL)
            print_aggregate_order(agg, p);
    }
    appendStringInfoChar(p->buf, ')');
    if (agg->aggfilter != nullptr) {
        appendStringInfoString(p->buf, " FILTER (WHERE ");
        print_expr(agg->aggfilter, p);
        appendStringInfoChar(p->buf, ')');
    }
}

void print_list(List* items, const char* separator, Printer* p) {
    ListCell* cell;
    bool first = true;
    foreach (cell, items) {
        if (!first)
            appendStringInfoString(p->buf, separator);
        print_expr(static_cast<Expr*>(lfirst(cell)), p);
        first = false;
    }
}

void print_expr(Expr* expr, Printer* p) {
    switch (nodeTag(expr)) {
    case T_Var: {
        auto* var = reinterpret_cast<Var*>(expr);
        if (!bms_is_member(var->varno, p->info->base->relids) || var->varlevelsup != 0) {
            print_param(expr, p);
            return;
        }
        // In a join, each column is its table's: r<range table index>.column.
        if (IS_JOIN_REL(p->info->base))
            appendStringInfo(p->buf, "r%d.", var->varno);
        if (var->varattno == SelfItemPointerAttributeNumber)
            appendStringInfoString(p->buf, "ctid");
        else
            append_column(p->buf, planner_rt_fetch(var->varno, p->root)->relid, var->varattno);
        return;
    }
    case T_Aggref:
        print_aggregate(reinterpret_cast<Aggref*>(expr), p);
        return;
    case T_Param:
        print_param(expr, p);
        return;
    case T_Const:
        print_const(reinterpret_cast<Const*>(expr), p);
        return;
    case T_OpExpr:
        print_op(reinterpret_cast<OpExpr*>(expr), p);
        return;
    case T_ScalarArrayOpExpr: {
        auto* op = reinterpret_cast<ScalarArrayOpExpr*>(expr);
        auto* left = static_cast<Expr*>(linitial(op->args));
        auto* right = static_cast<Expr*>(lsecond(op->args));
        bool columns_only = collatable_columns_only(op->args, p);
        appendStringInfoChar(p->buf, '(');
        print_arg(left, op->inputcollid, names_collation(left, op->inputcollid, columns_only, p),
                  false, p);
        appendStringInfoChar(p->buf, ' ');
        print_operator_name(op->opno, p->buf);
        appendStringInfoString(p->buf, op->useOr ? " ANY (" : " ALL (");
        print_arg(right, op->inputcollid,
                  names_collation(right, op->inputcollid, columns_only, p),
                  goes_untyped(right, left, op->opno, !op->useOr, true, p), p);
        appendStringInfoString(p->buf, "))");
        return;
    }
    case T_FuncExpr:
        print_function(reinterpret_cast<FuncExpr*>(expr), p);
        return;
    case T_RelabelType: {
        auto* relabel = reinterpret_cast<RelabelType*>(expr);
        if (relabel->relabelformat == COERCE_IMPLICIT_CAST) {
            print_expr(relabel->arg, p);
            return;
        }
        appendStringInfoChar(p->buf, '(');
        print_expr(relabel->arg, p);
        appendStringInfoString(p->buf, ")::");
        append_type(p->buf, relabel->resulttype, relabel->resulttypmod);
        return;
    }
    case T_BoolExpr: {
        auto* boolean = reinterpret_cast<BoolExpr*>(expr);
        appendStringInfoChar(p->buf, '(');
        if (boolean->boolop == NOT_EXPR) {
            appendStringInfoString(p->buf, "NOT ");
            print_expr(static_cast<Expr*>(linitial(boolean->args)), p);
        } else {
            print_list(boolean->args, boolean->boolop == AND_EXPR ? " AND " : " OR ", p);
        }
        appendStringInfoChar(p->buf, ')');
        return;
    }
    case T_NullTest: {
        auto* test = reinterpret_cast<NullTest*>(expr);
        appendStringInfoChar(p->buf, '(');
        print_expr(test->arg, p);
        appendStringInfoString(p->buf,
                               test->nulltesttype == IS_NULL ? " IS NULL)" : " IS NOT NULL)");
        return;
    }
    case T_ArrayExpr: {
        auto* array = reinterpret_cast<ArrayExpr*>(expr);
        appendStringInfoString(p->buf, "ARRAY[");
        print_list(array->elements, ", ", p);
        appendStringInfoString(p->buf, "]::");
        append_type(p->buf, array->array_typeid, -1);
        return;
    }
    default:
        elog(ERROR, "multiquery cannot print a remote expression of node type %d",
             static_cast<int>(nodeTag(expr)));
    }
}

}  // namespace mq::fdw::printer
