// Checking and describing a table move's pair of tables; see plan.hpp.
#include "move/plan.hpp"

#include <cstdio>
#include <map>

#include "core/error.hpp"
#include "move/local.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/typcache.h"
}

namespace mq::move {
namespace {

// One row per live column: name, quoted name, type with modifier, type oid,
// portable, collatable, generated, identity always, JSON kind, the
// column_name option (foreign tables), whether the types may be compared
// by text (an enum or domain), whether it is text-like.
constexpr const char* kColumnsQuery = R"(
SELECT a.attname, pg_catalog.quote_ident(a.attname),
       pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid::pg_catalog.text,
       coalesce(et.typnamespace, t.typnamespace) = 'pg_catalog'::pg_catalog.regnamespace
           AND coalesce(et.typtype, t.typtype) IN ('b', 'r', 'm'),
       a.attcollation <> 0, a.attgenerated <> '', a.attidentity = 'a',
       CASE WHEN a.atttypid IN (20, 21, 23, 700, 701, 1700) THEN 'n'
            WHEN a.atttypid = 16 THEN 'b' ELSE 't' END,
       (SELECT o.option_value FROM pg_catalog.pg_options_to_table(a.attfdwoptions) o
         WHERE o.option_name = 'column_name'),
       t.typtype IN ('e', 'd'),
       a.atttypid IN (25, 1043, 19), a.atttypmod, t.typcategory = 'A'
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
 WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum)";

// The relation: its name, relkind, row security, quoted schema and name.
constexpr const char* kRelationQuery = R"(
SELECT c.oid::pg_catalog.regclass::pg_catalog.text, c.relkind, c.relrowsecurity,
       pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = $1::pg_catalog.oid)";

constexpr const char* kPrimaryKeyQuery = R"(
SELECT a.attname
  FROM pg_catalog.pg_index i,
       pg_catalog.unnest(i.indkey) WITH ORDINALITY AS k (attnum, n),
       pg_catalog.pg_attribute a
 WHERE i.indrelid = $1::pg_catalog.oid AND i.indisprimary
   AND a.attrelid = i.indrelid AND a.attnum = k.attnum
 ORDER BY k.n)";

// The foreign table's remote relation and its server's wrapper.
constexpr const char* kForeignQuery = R"(
SELECT w.fdwname,
       pg_catalog.quote_ident(coalesce(
           (SELECT o.option_value FROM pg_catalog.pg_options_to_table(f.ftoptions) o
             WHERE o.option_name = 'schema_name'), n.nspname)) || '.' ||
       pg_catalog.quote_ident(coalesce(
           (SELECT o.option_value FROM pg_catalog.pg_options_to_table(f.ftoptions) o
             WHERE o.option_name = 'table_name'), c.relname))
  FROM pg_catalog.pg_foreign_table f
  JOIN pg_catalog.pg_class c ON c.oid = f.ftrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_foreign_server s ON s.oid = f.ftserver
  JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
 WHERE f.ftrelid = $1::pg_catalog.oid)";

struct Relation {
    std::string name;
    char kind;
    bool row_security;
    std::string quoted;
};

struct Column {
    MoveColumn column;
    std::string type_oid;
    bool text_comparable;  // an enum or domain: the source may declare it text
    bool text_like;
    bool identity_always;
    std::string remote_name;  // column_name, or empty
};

bool is_true(const Cell& cell) { return cell && *cell == "t"; }

Relation relation(Oid oid) {
    Rows rows = local_rows(kRelationQuery, {std::to_string(oid)});
    if (rows.empty())
        throw Error(sqlstate::kUndefinedTable,
                    "relation with OID " + std::to_string(oid) + " does not exist");
    return {*rows[0][0], (*rows[0][1])[0], is_true(rows[0][2]), *rows[0][3]};
}

std::vector<Column> columns(Oid oid) {
    std::vector<Column> found;
    for (const Row& row : local_rows(kColumnsQuery, {std::to_string(oid)})) {
        Column c;
        c.column.name = *row[0];
        c.column.local_sql = *row[1];
        c.column.remote_sql = *row[1];
        c.column.type_sql = *row[2];
        c.type_oid = *row[3];
        c.column.portable = is_true(row[4]);
        c.column.collatable = is_true(row[5]);
        c.column.generated = is_true(row[6]);
        c.identity_always = is_true(row[7]);
        c.column.json_number = *row[8] == "n";
        c.column.json_boolean = *row[8] == "b";
        if (row[9]) c.remote_name = *row[9];
        c.text_comparable = is_true(row[10]);
        c.text_like = is_true(row[11]);
        c.column.type = static_cast<Oid>(std::stoul(c.type_oid));
        c.column.typmod = std::stoi(*row[12]);
        c.column.is_array = is_true(row[13]);
        found.push_back(std::move(c));
    }
    return found;
}

void check_target(const Relation& target) {
    if (target.kind != 'r' && target.kind != 'p')
        throw Error(sqlstate::kWrongObjectType, "\"" + target.name + "\" is not a table",
                    "The target of a table move is a local table, not a view, foreign table or "
                    "other relation.");
    if (target.row_security)
        throw Error(sqlstate::kFeatureNotSupported,
                    "table \"" + target.name + "\" has row-level security enabled",
                    "Rows its policies hide would be taken for missing rows, and rows they "
                    "hide in the source for rows to delete.",
                    "Move the table with row-level security disabled, or as a role that "
                    "owns both tables' data by other means.");
}

std::string check_source(const Relation& source, Oid oid, std::string* remote_sql) {
    if (source.kind != 'f')
        throw Error(sqlstate::kWrongObjectType, "\"" + source.name + "\" is not a foreign table",
                    "The source of a table move is a foreign table reading the table in the "
                    "other database.");
    Rows rows = local_rows(kForeignQuery, {std::to_string(oid)});
    const std::string& wrapper = *rows[0][0];
    if (wrapper != "multiquery" && wrapper != "postgres_fdw")
        throw Error(
            sqlstate::kWrongObjectType,
            "foreign table \"" + source.name + "\" is not on a multiquery or postgres_fdw server",
            "Its server belongs to the foreign-data wrapper \"" + wrapper + "\".");
    *remote_sql = *rows[0][1];
    return wrapper;
}

// Whether a source column may stand for the target's: the same type, or
// text for an enum or domain (compared by their text).
bool types_agree(const Column& target, const Column& source) {
    return target.type_oid == source.type_oid || (target.text_comparable && source.text_like);
}

void match_columns(MovePlan* plan, std::vector<Column>& target, std::vector<Column>& source) {
    std::map<std::string, const Column*> by_name;
    for (const Column& c : source) by_name[c.column.name] = &c;
    for (Column& c : target) {
        auto found = by_name.find(c.column.name);
        if (found == by_name.end())
            throw Error(sqlstate::kUndefinedColumn,
                        "column \"" + c.column.name + "\" of table \"" + plan->target_name +
                            "\" has no counterpart in foreign table \"" + plan->source_name + "\"",
                        "The two tables must have the same columns, by name.");
        if (!types_agree(c, *found->second))
            throw Error(sqlstate::kDatatypeMismatch,
                        "column \"" + c.column.name + "\" has type " + c.column.type_sql +
                            " in table \"" + plan->target_name + "\" but " +
                            found->second->column.type_sql + " in foreign table \"" +
                            plan->source_name + "\"",
                        "The two tables' columns must have the same types (an enum or domain "
                        "may be declared text in the foreign table).");
        if (!found->second->remote_name.empty())
            c.column.remote_sql = pg::call(
                [&] { return std::string(quote_identifier(found->second->remote_name.c_str())); });
        by_name.erase(found);
    }
    if (!by_name.empty())
        throw Error(sqlstate::kUndefinedColumn,
                    "column \"" + by_name.begin()->first + "\" of foreign table \"" +
                        plan->source_name + "\" has no counterpart in table \"" +
                        plan->target_name + "\"",
                    "The two tables must have the same columns, by name.");
    for (const Column& c : target) {
        MoveColumn column = c.column;
        column.has_equality = pg::call([&] {
            Oid type = static_cast<Oid>(std::stoul(c.type_oid));
            return OidIsValid(lookup_type_cache(type, TYPECACHE_EQ_OPR)->eq_opr);
        });
        plan->identity_always = plan->identity_always || c.identity_always;
        plan->columns.push_back(std::move(column));
    }
}

void find_key(MovePlan* plan) {
    Rows rows = local_rows(kPrimaryKeyQuery, {std::to_string(plan->target)});
    if (rows.empty())
        throw Error(sqlstate::kObjectNotInPrerequisiteState,
                    "table \"" + plan->target_name + "\" has no primary key",
                    "A table move compares and copies rows by the target's primary key.",
                    "Add the primary key the application uses to the target.");
    for (const Row& row : rows)
        for (size_t i = 0; i < plan->columns.size(); ++i)
            if (plan->columns[i].name == *row[0]) plan->key.push_back(static_cast<int>(i));
}

bool granted(const std::string& check, Oid table) {
    Rows rows = local_rows("SELECT " + check, {std::to_string(table)});
    return is_true(rows[0][0]);
}

void require(bool ok, const std::string& what, const std::string& table) {
    if (!ok)
        throw Error(sqlstate::kInsufficientPrivilege, "permission denied for table " + table,
                    "A table move needs " + what + ".");
}

// SELECT on every column of both; INSERT and UPDATE on every written
// column, DELETE (unless deletes are off) on the target for a sync.
void check_privileges(const MovePlan& plan, Access access) {
    const char* all_columns =
        "pg_catalog.bool_and(pg_catalog.has_column_privilege($1::pg_catalog.oid, a.attnum, "
        "'%s')) FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::pg_catalog.oid AND "
        "a.attnum > 0 AND NOT a.attisdropped";
    auto on_columns = [&](const char* privilege, bool written_only) {
        char check[512];
        snprintf(check, sizeof check, all_columns, privilege);
        return std::string(check) + (written_only ? " AND a.attgenerated = ''" : "");
    };
    require(granted(on_columns("SELECT", false), plan.source),
            "SELECT on every column of the source", plan.source_name);
    require(granted(on_columns("SELECT", false), plan.target),
            "SELECT on every column of the target", plan.target_name);
    if (access == Access::kCompare) return;
    require(granted(on_columns("INSERT", true), plan.target) &&
                granted(on_columns("UPDATE", true), plan.target),
            "INSERT and UPDATE on every column of the target", plan.target_name);
    if (access == Access::kSync)
        require(
            granted("pg_catalog.has_table_privilege($1::pg_catalog.oid, 'DELETE')", plan.target),
            "DELETE on the target (or deletes => false)", plan.target_name);
}

// setval statements for the sequences the target's columns own, each
// setting its sequence past the column's largest value.
void find_sequences(MovePlan* plan, Access access) {
    for (const MoveColumn& column : plan->columns) {
        Rows rows = local_rows(
            "SELECT pg_catalog.pg_get_serial_sequence($1, $2), "
            "pg_catalog.has_sequence_privilege(pg_catalog.pg_get_serial_sequence($1, $2), "
            "'UPDATE')",
            {plan->target_sql, column.name});
        if (!rows[0][0]) continue;
        if (access != Access::kCompare)
            require(is_true(rows[0][1]), "UPDATE on the sequences the target's columns own",
                    *rows[0][0]);
        std::string sequence =
            pg::call([&] { return std::string(quote_literal_cstr(rows[0][0]->c_str())); });
        plan->sequences.push_back("SELECT pg_catalog.setval(" + sequence +
                                  ", m) FROM (SELECT max(" + column.local_sql + ") AS m FROM " +
                                  plan->target_sql +
                                  ") AS x WHERE x.m IS NOT NULL AND x.m >= "
                                  "pg_catalog.nextval(" +
                                  sequence + ")");
    }
}

}  // namespace

MovePlan describe(Oid target_oid, Oid source_oid, Access access) {
    MovePlan plan;
    plan.target = target_oid;
    plan.source = source_oid;
    Relation target = relation(target_oid);
    Relation source = relation(source_oid);
    plan.target_name = target.name;
    plan.source_name = source.name;
    plan.target_sql = target.quoted;
    check_target(target);
    check_source(source, source_oid, &plan.remote_sql);
    std::vector<Column> target_columns = columns(target_oid);
    std::vector<Column> source_columns = columns(source_oid);
    match_columns(&plan, target_columns, source_columns);
    find_key(&plan);
    check_privileges(plan, access);
    find_sequences(&plan, access);
    return plan;
}

}  // namespace mq::move
