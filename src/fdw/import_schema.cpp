// IMPORT FOREIGN SCHEMA; see import_schema.hpp.
#include "fdw/import_schema.hpp"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "fdw/race_read.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
}

namespace mq::fdw {
namespace {

// Whether the target is in recovery, then one row per column of every
// importable relation, in column order; a row with a null relname for a
// schema without any; a row with a null schema when the schema does not
// exist. $2 (LIMIT TO) and $3 (EXCEPT) are text arrays or null. A column's
// type is qualified by its schema unless that is pg_catalog, so that the
// local definition does not depend on the local search_path; its collation
// is named when it is not its type's own.
constexpr const char* kCatalogQuery = R"(SELECT pg_catalog.pg_is_in_recovery(),
       s.nspname, s.relname, s.attname, s.type, s.attnotnull, s.collschema, s.collname
  FROM (VALUES (1)) AS one (x)
  LEFT JOIN (
  SELECT n.nspname, c.relname, a.attname, a.attnum,
       CASE WHEN tn.nspname = 'pg_catalog'
                 OR pg_catalog.format_type(a.atttypid, a.atttypmod)
                    LIKE pg_catalog.quote_ident(tn.nspname) || '.%'
            THEN pg_catalog.format_type(a.atttypid, a.atttypmod)
            ELSE pg_catalog.quote_ident(tn.nspname) || '.' ||
                 pg_catalog.format_type(a.atttypid, a.atttypmod) END AS type,
       a.attnotnull,
       CASE WHEN a.attcollation <> t.typcollation THEN cn.nspname END AS collschema,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collname
  FROM pg_catalog.pg_namespace n
  LEFT JOIN pg_catalog.pg_class c
         ON c.relnamespace = n.oid AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
        AND NOT c.relispartition
        AND ($2::pg_catalog.text[] IS NULL OR c.relname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]))
        AND ($3::pg_catalog.text[] IS NULL OR c.relname OPERATOR(pg_catalog.<>) ALL ($3::pg_catalog.text[]))
  LEFT JOIN pg_catalog.pg_attribute a
         ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
 WHERE n.nspname OPERATOR(pg_catalog.=) $1) AS s ON true
 ORDER BY s.relname, s.attnum)";

constexpr int kColumns = 8;

struct RemoteColumn {
    std::optional<std::string> relation;
    std::optional<std::string> column;
    std::string type;
    bool not_null = false;
    std::optional<std::string> collation_schema;
    std::optional<std::string> collation;

    bool operator==(const RemoteColumn& other) const {
        return relation == other.relation && column == other.column && type == other.type &&
               not_null == other.not_null && collation_schema == other.collation_schema &&
               collation == other.collation;
    }
};

// One target's answer.
struct RemoteCatalog {
    std::string target;
    bool in_recovery = false;
    bool schema_found = false;
    std::vector<RemoteColumn> columns;
};

// A text[] literal of the statement's table names, for $2 or $3.
std::string table_name_array(List* tables) {
    std::string literal = "{";
    ListCell* cell;
    foreach (cell, tables) {
        auto* table = static_cast<RangeVar*>(lfirst(cell));
        if (literal.size() > 1)
            literal.push_back(',');
        literal.push_back('"');
        for (const char* c = table->relname; *c != '\0'; ++c) {
            if (*c == '"' || *c == '\\')
                literal.push_back('\\');
            literal.push_back(*c);
        }
        literal.push_back('"');
    }
    return literal + "}";
}

std::string quoted_identifier(const std::string& name) {
    return pg::call([&] { return std::string(quote_identifier(name.c_str())); });
}

std::string quoted_literal(const std::string& value) {
    return pg::call([&] { return std::string(quote_literal_cstr(value.c_str())); });
}

RaceRead catalog_read(ImportForeignSchemaStmt* statement, ForeignServer* server) {
    RaceRead read;
    read.server = server->serverid;
    read.user = pg::call([] { return GetUserId(); });
    read.sql = kCatalogQuery;
    read.params.emplace_back(statement->remote_schema);
    read.params.emplace_back(std::nullopt);
    read.params.emplace_back(std::nullopt);
    if (statement->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO)
        read.params[1] = table_name_array(statement->table_list);
    else if (statement->list_type == FDW_IMPORT_SCHEMA_EXCEPT)
        read.params[2] = table_name_array(statement->table_list);
    read.subject = "IMPORT FOREIGN SCHEMA's read of the remote catalog";
    return read;
}

std::optional<std::string> text_value(TupleTableSlot* slot, int column) {
    if (slot->tts_isnull[column])
        return std::nullopt;
    return std::string(TextDatumGetCString(slot->tts_values[column]));
}

// The catalog query over one target (a race of one); throws as the race does.
RemoteCatalog read_one_catalog(RaceRead read, const race::TargetSpec& target) {
    TupleDesc desc = pg::call([] {
        TupleDesc made = CreateTemplateTupleDesc(kColumns);
        for (int column = 1; column <= kColumns; ++column) {
            bool boolean = column == 1 || column == 6;
            TupleDescInitEntry(made, column, nullptr, boolean ? BOOLOID : TEXTOID, -1, 0);
        }
        return made;
    });
    Tuplestorestate* store = pg::call([] { return tuplestore_begin_heap(false, false, work_mem); });
    read.store = store;
    read.desc = desc;
    race_read(read, {target});
    RemoteCatalog catalog;
    catalog.target = target.name;
    pg::call([&] {
        TupleTableSlot* slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
        while (tuplestore_gettupleslot(store, true, false, slot)) {
            slot_getallattrs(slot);
            catalog.in_recovery = DatumGetBool(slot->tts_values[0]);
            if (slot->tts_isnull[1])
                continue;
            catalog.schema_found = true;
            RemoteColumn column;
            column.relation = text_value(slot, 2);
            column.column = text_value(slot, 3);
            if (column.column) {
                column.type = *text_value(slot, 4);
                column.not_null = DatumGetBool(slot->tts_values[5]);
                column.collation_schema = text_value(slot, 6);
                column.collation = text_value(slot, 7);
            }
            catalog.columns.push_back(std::move(column));
        }
        ExecDropSingleTupleTableSlot(slot);
        tuplestore_end(store);
    });
    return catalog;
}

// The catalog to import from. A standby may not have replayed a table just
// created, so the targets are asked one at a time, in the group's order,
// until one that is not in recovery answers; a group of standbys alone must
// agree, and one whose targets all fail raises the last failure.
RemoteCatalog read_remote_catalog(ImportForeignSchemaStmt* statement, ForeignServer* server) {
    RaceRead read = catalog_read(statement, server);
    std::vector<race::TargetSpec> targets = race_read_targets(read);
    std::vector<RemoteCatalog> answers;
    std::optional<Error> last_failure;
    for (const race::TargetSpec& target : targets) {
        try {
            RemoteCatalog catalog = read_one_catalog(read, target);
            if (!catalog.in_recovery)
                return catalog;
            answers.push_back(std::move(catalog));
        } catch (const Error& error) {
            // A deterministic error (the query's own) would fail everywhere.
            if (targets.size() == 1 ||
                classify_sqlstate(error.sqlstate()) == FailureKind::kDeterministic)
                throw;
            last_failure = error;
        }
    }
    if (answers.empty())
        throw *last_failure;
    for (const RemoteCatalog& answer : answers)
        if (answer.schema_found != answers.front().schema_found ||
            !(answer.columns == answers.front().columns))
            throw Error(sqlstate::kFdwError,
                        "the targets of foreign server \"" + std::string(server->servername) +
                            "\" disagree about schema \"" + statement->remote_schema + "\"",
                        "No target that is not in recovery answered, and standbys \"" +
                            answers.front().target + "\" and \"" + answer.target +
                            "\" have replayed different catalogs.",
                        "Retry once the standbys have caught up, or import through a server "
                        "that names the primary.");
    return answers.front();
}

// A name in LIMIT TO that the catalog read lacks is an error: importing
// nothing without a word is how a lagging standby would show.
void check_limit_to(ImportForeignSchemaStmt* statement, const RemoteCatalog& catalog,
                    ForeignServer* server) {
    if (statement->list_type != FDW_IMPORT_SCHEMA_LIMIT_TO)
        return;
    std::set<std::string> found;
    for (const RemoteColumn& column : catalog.columns)
        if (column.relation)
            found.insert(*column.relation);
    ListCell* cell;
    foreach (cell, statement->table_list) {
        auto* table = static_cast<RangeVar*>(lfirst(cell));
        if (found.count(table->relname) == 0)
            throw Error(sqlstate::kFdwTableNotFound,
                        "relation \"" + std::string(statement->remote_schema) + "." +
                            table->relname + "\" named in LIMIT TO is not present on foreign "
                            "server \"" + server->servername + "\"",
                        "Target \"" + catalog.target + "\" has no table, view, materialized "
                        "view, foreign or partitioned table of that name in that schema.");
    }
}

// A column's type as the remote server formatted it goes into a CREATE
// FOREIGN TABLE verbatim; a server that is not what it claims could send
// "int DEFAULT f()" or worse. PostgreSQL's own parser must read the text as
// exactly one type name, or the import stops with its error ("invalid type
// name").
void check_type_name(const RemoteColumn& column) {
    pg::call([&] { typeStringToTypeName(column.type.c_str()); });
}

std::string column_definition(const RemoteColumn& column) {
    check_type_name(column);
    std::string definition = quoted_identifier(*column.column) + " " + column.type;
    if (column.collation)
        definition += " COLLATE " + quoted_identifier(column.collation_schema.value_or("")) +
                      "." + quoted_identifier(*column.collation);
    if (column.not_null)
        definition += " NOT NULL";
    return definition;
}

std::string create_statement(const std::string& relation, const std::string& columns,
                             const std::string& remote_schema, const std::string& server) {
    return "CREATE FOREIGN TABLE " + quoted_identifier(relation) + " (" + columns +
           ") SERVER " + quoted_identifier(server) + " OPTIONS (schema_name " +
           quoted_literal(remote_schema) + ", table_name " + quoted_literal(relation) + ")";
}

std::vector<std::string> create_statements(ImportForeignSchemaStmt* statement,
                                           const RemoteCatalog& catalog,
                                           const ForeignServer* server) {
    std::vector<std::string> statements;
    const std::vector<RemoteColumn>& rows = catalog.columns;
    for (size_t at = 0; at < rows.size();) {
        if (!rows[at].relation) {
            ++at;
            continue;
        }
        const std::string& relation = *rows[at].relation;
        std::string columns;
        for (; at < rows.size() && rows[at].relation == relation; ++at) {
            if (!rows[at].column)
                continue;
            if (!columns.empty())
                columns += ", ";
            columns += column_definition(rows[at]);
        }
        statements.push_back(
            create_statement(relation, columns, statement->remote_schema, server->servername));
    }
    return statements;
}

}  // namespace

List* import_foreign_schema(ImportForeignSchemaStmt* statement, Oid server_oid) {
    List* commands = nullptr;
    pg::run_guarded([&] {
        ForeignServer* server = pg::call([&] { return GetForeignServer(server_oid); });
        RemoteCatalog catalog = read_remote_catalog(statement, server);
        if (!catalog.schema_found)
            throw Error(sqlstate::kFdwSchemaNotFound,
                        "schema \"" + std::string(statement->remote_schema) +
                            "\" is not present on foreign server \"" + server->servername + "\"",
                        "Target \"" + catalog.target + "\" has no schema of that name.");
        check_limit_to(statement, catalog, server);
        std::vector<std::string> statements = create_statements(statement, catalog, server);
        pg::call([&] {
            for (const std::string& command : statements)
                commands = lappend(commands, pstrdup(command.c_str()));
        });
    });
    return commands;
}

}  // namespace mq::fdw
