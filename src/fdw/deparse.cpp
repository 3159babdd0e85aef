// Printing the remote SELECT: only what shippable.cpp judged safe reaches
// here. Names come from the table's and columns' options (schema_name,
// table_name, column_name) and are quoted by core/sql_quote; constants are
// printed with their type's output function as quoted literals with a cast;
// parameters (Params, and other relations' columns in a parameterized path)
// become $n::type, their expressions listed in *params for the executor.
#include <string>

#include "core/sql_quote.hpp"
#include "fdw/fdw.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "common/keywords.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_node.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace mq::fdw {
namespace {

struct Printer {
    PlannerInfo* root;
    const RelInfo* info;
    StringInfo buf;
    List** params;
};

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
    appendStringInfoString(buf, format_type_with_typemod(type, typmod));
}

// A parameter: the expression is evaluated here at execution and sent as $n.
void print_param(Expr* expr, Printer* p) {
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
    appendStringInfo(p->buf, "$%d::", number);
    append_type(p->buf, exprType(reinterpret_cast<Node*>(expr)),
                exprTypmod(reinterpret_cast<Node*>(expr)));
}

void print_const(Const* constant, Printer* p) {
    if (constant->constisnull) {
        appendStringInfoString(p->buf, "NULL::");
        append_type(p->buf, constant->consttype, constant->consttypmod);
        return;
    }
    Oid output;
    bool varlena;
    getTypeOutputInfo(constant->consttype, &output, &varlena);
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
        appendStringInfoString(p->buf, "::");
        append_type(p->buf, constant->consttype, constant->consttypmod);
    }
}

void print_expr(Expr* expr, Printer* p);

void print_operator_name(Oid opno, StringInfo buf) {
    HeapTuple tuple = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
    if (!HeapTupleIsValid(tuple))
        elog(ERROR, "cache lookup failed for operator %u", opno);
    auto* form = reinterpret_cast<Form_pg_operator>(GETSTRUCT(tuple));
    // Built-in operators live in pg_catalog, which every search_path reads.
    appendStringInfoString(buf, NameStr(form->oprname));
    ReleaseSysCache(tuple);
}

void print_op(OpExpr* op, Printer* p) {
    appendStringInfoChar(p->buf, '(');
    if (list_length(op->args) == 2) {
        print_expr(static_cast<Expr*>(linitial(op->args)), p);
        appendStringInfoChar(p->buf, ' ');
        print_operator_name(op->opno, p->buf);
        appendStringInfoChar(p->buf, ' ');
        print_expr(static_cast<Expr*>(lsecond(op->args)), p);
    } else {
        print_operator_name(op->opno, p->buf);
        appendStringInfoChar(p->buf, ' ');
        print_expr(static_cast<Expr*>(linitial(op->args)), p);
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
    appendStringInfoString(p->buf, "pg_catalog.");
    append_identifier(p->buf, get_func_name(func->funcid));
    appendStringInfoChar(p->buf, '(');
    ListCell* cell;
    bool first = true;
    foreach (cell, func->args) {
        if (!first)
            appendStringInfoString(p->buf, ", ");
        if (func->funcvariadic && lnext(func->args, cell) == nullptr)
            appendStringInfoString(p->buf, "VARIADIC ");
        print_expr(static_cast<Expr*>(lfirst(cell)), p);
        first = false;
    }
    appendStringInfoChar(p->buf, ')');
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
        if (bms_is_member(var->varno, p->info->base->relids) && var->varlevelsup == 0)
            append_column(p->buf, p->info->table, var->varattno);
        else
            print_param(expr, p);
        return;
    }
    case T_Param:
        print_param(expr, p);
        return;
    case T_Const:
        print_const(reinterpret_cast<Const*>(expr), p);
        return;
    case T_OpExpr:
        print_op(reinterpret_cast<OpExpr*>(expr), p);
        return;
    case T_DistinctExpr: {
        auto* op = reinterpret_cast<OpExpr*>(expr);
        appendStringInfoChar(p->buf, '(');
        print_expr(static_cast<Expr*>(linitial(op->args)), p);
        appendStringInfoString(p->buf, " IS DISTINCT FROM ");
        print_expr(static_cast<Expr*>(lsecond(op->args)), p);
        appendStringInfoChar(p->buf, ')');
        return;
    }
    case T_NullIfExpr: {
        auto* op = reinterpret_cast<OpExpr*>(expr);
        appendStringInfoString(p->buf, "NULLIF(");
        print_list(op->args, ", ", p);
        appendStringInfoChar(p->buf, ')');
        return;
    }
    case T_ScalarArrayOpExpr: {
        auto* op = reinterpret_cast<ScalarArrayOpExpr*>(expr);
        appendStringInfoChar(p->buf, '(');
        print_expr(static_cast<Expr*>(linitial(op->args)), p);
        appendStringInfoChar(p->buf, ' ');
        print_operator_name(op->opno, p->buf);
        appendStringInfoString(p->buf, op->useOr ? " ANY (" : " ALL (");
        print_expr(static_cast<Expr*>(lsecond(op->args)), p);
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

void print_order_by(List* pathkeys, Printer* p) {
    appendStringInfoString(p->buf, " ORDER BY ");
    ListCell* cell;
    bool first = true;
    foreach (cell, pathkeys) {
        auto* pathkey = static_cast<PathKey*>(lfirst(cell));
        Var* var = shippable_sort_var(p->root, p->info, pathkey);
        if (var == nullptr)
            elog(ERROR, "multiquery cannot print a remote sort key");
        if (!first)
            appendStringInfoString(p->buf, ", ");
        append_column(p->buf, p->info->table, var->varattno);
        bool descending = pathkey->pk_strategy == BTGreaterStrategyNumber;
        if (descending)
            appendStringInfoString(p->buf, " DESC");
        // Written only when it differs from the direction's default.
        if (pathkey->pk_nulls_first != descending)
            appendStringInfoString(p->buf, pathkey->pk_nulls_first ? " NULLS FIRST"
                                                                   : " NULLS LAST");
        first = false;
    }
}

// A LIMIT or OFFSET: a constant count as a bare number.
void print_limit(Node* expr, Printer* p) {
    auto* constant = reinterpret_cast<Const*>(expr);
    if (IsA(constant, Const) && constant->consttype == INT8OID && !constant->constisnull) {
        appendStringInfo(p->buf, INT64_FORMAT, DatumGetInt64(constant->constvalue));
        return;
    }
    print_expr(reinterpret_cast<Expr*>(expr), p);
}

}  // namespace

char* deparse_relation(Oid table) {
    StringInfoData buf;
    initStringInfo(&buf);
    append_relation(&buf, table);
    return buf.data;
}

char* deparse_literal(const char* value) {
    StringInfoData buf;
    initStringInfo(&buf);
    append_literal(&buf, value);
    return buf.data;
}

char* deparse_analyze_select(Relation relation, double sample_percent) {
    StringInfoData buf;
    initStringInfo(&buf);
    Oid table = RelationGetRelid(relation);
    TupleDesc desc = RelationGetDescr(relation);
    appendStringInfoString(&buf, "SELECT ");
    for (int i = 0; i < desc->natts; ++i) {
        if (i > 0)
            appendStringInfoString(&buf, ", ");
        if (TupleDescAttr(desc, i)->attisdropped)
            appendStringInfoString(&buf, "NULL");
        else
            append_column(&buf, table, static_cast<AttrNumber>(i + 1));
    }
    if (desc->natts == 0)
        appendStringInfoString(&buf, "NULL");
    appendStringInfoString(&buf, " FROM ");
    append_relation(&buf, table);
    if (sample_percent > 0)
        appendStringInfo(&buf, " TABLESAMPLE BERNOULLI (%g)", sample_percent);
    return buf.data;
}

char* deparse_select(PlannerInfo* root, const RemoteSelect* sel, List** params) {
    StringInfoData buf;
    initStringInfo(&buf);
    Printer p{root, sel->info, &buf, params};
    appendStringInfoString(&buf, "SELECT ");
    if (sel->columns == NIL)
        appendStringInfoString(&buf, "NULL");
    ListCell* cell;
    bool first = true;
    foreach (cell, sel->columns) {
        if (!first)
            appendStringInfoString(&buf, ", ");
        int attnum = intVal(lfirst(cell));
        if (attnum == 0)
            appendStringInfoString(&buf, "NULL");
        else
            append_column(&buf, sel->info->table, static_cast<AttrNumber>(attnum));
        first = false;
    }
    appendStringInfoString(&buf, " FROM ");
    append_relation(&buf, sel->info->table);
    if (sel->conds != NIL) {
        appendStringInfoString(&buf, " WHERE ");
        print_list(sel->conds, " AND ", &p);
    }
    if (sel->pathkeys != NIL)
        print_order_by(sel->pathkeys, &p);
    if (sel->limited) {
        if (sel->limit_count != nullptr) {
            appendStringInfoString(&buf, " LIMIT ");
            print_limit(sel->limit_count, &p);
        }
        if (sel->limit_offset != nullptr) {
            appendStringInfoString(&buf, " OFFSET ");
            print_limit(sel->limit_offset, &p);
        }
    }
    return buf.data;
}

}  // namespace mq::fdw
