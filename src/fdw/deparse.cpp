// Printing the remote SELECT: only what shippable.cpp judged safe reaches
// here. Names come from the table's and columns' options (schema_name,
// table_name, column_name) and are quoted by core/sql_quote. The text must
// mean the same on the remote side whatever that session's search_path and
// formats are, without changing them (raced scans share connections with
// race_query): every operator, function, type and collation is printed
// qualified by its schema, constants are printed in the formats the remote
// block sets (see set_transmission_modes), and every operation that uses a
// collation names it, so that the remote column's own collation never
// decides. Constants are quoted literals with a cast, parameters (Params,
// and other relations' columns in a parameterized path) $n::type, their
// expressions listed in *params for the executor; compared for equality or
// inequality with a plain column of the table, both go without the cast, so
// that the remote side reads them as its column's own type (an enum
// declared as text locally).
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

namespace mq::fdw {
namespace {

using namespace printer;

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
        if (OidIsValid(pathkey->pk_eclass->ec_collation))
            append_collation(p->buf, pathkey->pk_eclass->ec_collation);
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

// The query's LIMIT and OFFSET, those it has.
void print_limit_offset(const RemoteSelect* sel, Printer* p) {
    if (sel->limit_count != nullptr) {
        appendStringInfoString(p->buf, " LIMIT ");
        print_limit(sel->limit_count, p);
    }
    if (sel->limit_offset != nullptr) {
        appendStringInfoString(p->buf, " OFFSET ");
        print_limit(sel->limit_offset, p);
    }
}

// The conditions (bare Exprs) of RestrictInfos.
List* clauses_of(List* restrictinfos) {
    List* clauses = NIL;
    ListCell* cell;
    foreach (cell, restrictinfos)
        clauses = lappend(clauses, static_cast<RestrictInfo*>(lfirst(cell))->clause);
    return clauses;
}

// The FROM item of rel, a table or a join. *filters gets the conditions on
// rel's rows that the caller places: in the WHERE of the SELECT, or in the ON
// of a join of which rel is the side that an outer join fills with NULLs,
// where they filter rel's rows before they are matched.
void print_from(const RelInfo* rel, bool top, Printer* p, List** filters) {
    if (rel->kind == RelKind::kTable) {
        append_relation(p->buf, rel->table);
        if (IS_JOIN_REL(p->info->base))
            appendStringInfo(p->buf, " r%d", rel->base->relid);
        *filters = list_concat(*filters, clauses_of(rel->remote_conds));
        return;
    }
    List* outer = NIL;
    List* inner = NIL;
    if (!top)
        appendStringInfoChar(p->buf, '(');
    print_from(rel->outer, false, p, &outer);
    switch (rel->jointype) {
    case JOIN_INNER:
        appendStringInfoString(p->buf, " INNER JOIN ");
        break;
    case JOIN_LEFT:
        appendStringInfoString(p->buf, " LEFT JOIN ");
        break;
    case JOIN_RIGHT:
        appendStringInfoString(p->buf, " RIGHT JOIN ");
        break;
    case JOIN_FULL:
        appendStringInfoString(p->buf, " FULL JOIN ");
        break;
    default:
        elog(ERROR, "multiquery cannot print a remote join of type %d",
             static_cast<int>(rel->jointype));
    }
    print_from(rel->inner, false, p, &inner);
    List* on = clauses_of(rel->join_conds);
    switch (rel->jointype) {
    case JOIN_INNER:
        on = list_concat(list_concat(on, outer), inner);
        break;
    case JOIN_LEFT:
        *filters = list_concat(*filters, outer);
        on = list_concat(on, inner);
        break;
    case JOIN_RIGHT:
        *filters = list_concat(*filters, inner);
        on = list_concat(on, outer);
        break;
    default:
        // A full join's sides have no conditions of their own (join.cpp).
        if (outer != NIL || inner != NIL)
            elog(ERROR, "multiquery cannot print the conditions of a full join's side");
        break;
    }
    appendStringInfoString(p->buf, " ON (");
    if (on == NIL)
        appendStringInfoString(p->buf, "TRUE");
    else
        print_list(on, " AND ", p);
    appendStringInfoChar(p->buf, ')');
    if (!top)
        appendStringInfoChar(p->buf, ')');
    *filters = list_concat(*filters, clauses_of(rel->remote_conds));
}

// ORDER BY of a join (its tables' columns) or grouped relation (the
// expressions it returns).
void print_pushed_order_by(List* pathkeys, Printer* p) {
    appendStringInfoString(p->buf, " ORDER BY ");
    ListCell* cell;
    bool first = true;
    foreach (cell, pathkeys) {
        auto* pathkey = static_cast<PathKey*>(lfirst(cell));
        Expr* expr = p->info->kind == RelKind::kGrouped
                         ? shippable_grouped_sort_expr(p->root, p->info, pathkey)
                         : reinterpret_cast<Expr*>(shippable_sort_var(p->root, p->info, pathkey));
        if (expr == nullptr)
            elog(ERROR, "multiquery cannot print a remote sort key");
        if (!first)
            appendStringInfoString(p->buf, ", ");
        Oid collation = pathkey->pk_eclass->ec_collation;
        print_arg(expr, collation, OidIsValid(collation), false, p);
        bool descending = pathkey->pk_strategy == BTGreaterStrategyNumber;
        if (descending)
            appendStringInfoString(p->buf, " DESC");
        if (pathkey->pk_nulls_first != descending)
            appendStringInfoString(p->buf, pathkey->pk_nulls_first ? " NULLS FIRST"
                                                                   : " NULLS LAST");
        first = false;
    }
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
        appendStringInfo(&buf, " TABLESAMPLE pg_catalog.bernoulli (%g)", sample_percent);
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
        else if (attnum == SelfItemPointerAttributeNumber)
            appendStringInfoString(&buf, "ctid");
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
    if (sel->limited)
        print_limit_offset(sel, &p);
    end_transmission_modes(&p);
    return buf.data;
}

char* deparse_pushed_select(PlannerInfo* root, const RemoteSelect* sel, List* tlist,
                            List** params) {
    StringInfoData buf;
    initStringInfo(&buf);
    const RelInfo* info = sel->info;
    Printer p{root, info, &buf, params};
    appendStringInfoString(&buf, "SELECT ");
    if (tlist == NIL)
        appendStringInfoString(&buf, "NULL");
    ListCell* cell;
    bool first = true;
    foreach (cell, tlist) {
        if (!first)
            appendStringInfoString(&buf, ", ");
        print_expr(static_cast<TargetEntry*>(lfirst(cell))->expr, &p);
        first = false;
    }
    appendStringInfoString(&buf, " FROM ");
    bool grouped = info->kind == RelKind::kGrouped;
    List* filters = NIL;
    print_from(grouped ? info->input : info, true, &p, &filters);
    if (filters != NIL) {
        appendStringInfoString(&buf, " WHERE ");
        print_list(filters, " AND ", &p);
    }
    if (grouped && info->group_positions != NIL) {
        // By position in the SELECT list: what is grouped by is what is returned.
        appendStringInfoString(&buf, " GROUP BY ");
        first = true;
        foreach (cell, info->group_positions) {
            appendStringInfo(&buf, first ? "%d" : ", %d", intVal(lfirst(cell)));
            first = false;
        }
    }
    if (grouped && info->having != NIL) {
        appendStringInfoString(&buf, " HAVING ");
        print_list(info->having, " AND ", &p);
    }
    if (sel->pathkeys != NIL)
        print_pushed_order_by(sel->pathkeys, &p);
    if (sel->limited)
        print_limit_offset(sel, &p);
    end_transmission_modes(&p);
    return buf.data;
}

}  // namespace mq::fdw
