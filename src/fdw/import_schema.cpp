// IMPORT FOREIGN SCHEMA; see import_schema.hpp.
#include "fdw/import_schema.hpp"

#include <optional>
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

// One row per column of every importable relation, in column order; one row
// with a null relname for a schema without any; none when the schema does not
// exist. $2 (LIMIT TO) and $3 (EXCEPT) are text arrays or null. A column's
// type is qualified by its schema unless that is pg_catalog, so that the
// local definition does not depend on the local search_path.
constexpr const char* kCatalogQuery = R"(SELECT c.relname, a.attname,
       CASE WHEN tn.nspname = 'pg_catalog'
                 OR pg_catalog.format_type(a.atttypid, a.atttypmod)
                    LIKE pg_catalog.quote_ident(tn.nspname) || '.%'
            THEN pg_catalog.format_type(a.atttypid, a.atttypmod)
            ELSE pg_catalog.quote_ident(tn.nspname) || '.' ||
                 pg_catalog.format_type(a.atttypid, a.atttypmod) END,
       a.attnotnull
  FROM pg_catalog.pg_namespace n
  LEFT JOIN pg_catalog.pg_class c
         ON c.relnamespace = n.oid AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
        AND NOT c.relispartition
        AND ($2::text[] IS NULL OR c.relname = ANY ($2::text[]))
        AND ($3::text[] IS NULL OR c.relname <> ALL ($3::text[]))
  LEFT JOIN pg_catalog.pg_attribute a
         ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
 WHERE n.nspname = $1
 ORDER BY c.relname, a.attnum)";

constexpr int kColumns = 4;

struct RemoteColumn {
    std::optional<std::string> relation;
    std::optional<std::string> column;
    std::string type;
    bool not_null = false;
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

// Races the catalog query over the server's targets; the rows as text.
std::vector<RemoteColumn> read_remote_catalog(ImportForeignSchemaStmt* statement,
                                              ForeignServer* server) {
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
    TupleDesc desc = pg::call([] {
        TupleDesc made = CreateTemplateTupleDesc(kColumns);
        for (int column = 1; column <= kColumns; ++column)
            TupleDescInitEntry(made, column, nullptr, column == kColumns ? BOOLOID : TEXTOID, -1,
                               0);
        return made;
    });
    Tuplestorestate* store = pg::call([] { return tuplestore_begin_heap(false, false, work_mem); });
    read.store = store;
    read.desc = desc;
    read.subject = "IMPORT FOREIGN SCHEMA's read of the remote catalog";
    race_read(read);
    std::vector<RemoteColumn> columns;
    pg::call([&] {
        TupleTableSlot* slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
        while (tuplestore_gettupleslot(store, true, false, slot)) {
            slot_getallattrs(slot);
            RemoteColumn column;
            if (!slot->tts_isnull[0])
                column.relation = TextDatumGetCString(slot->tts_values[0]);
            if (!slot->tts_isnull[1]) {
                column.column = TextDatumGetCString(slot->tts_values[1]);
                column.type = TextDatumGetCString(slot->tts_values[2]);
                column.not_null = DatumGetBool(slot->tts_values[3]);
            }
            columns.push_back(std::move(column));
        }
        ExecDropSingleTupleTableSlot(slot);
        tuplestore_end(store);
    });
    return columns;
}

// A column's type as the remote server formatted it goes into a CREATE
// FOREIGN TABLE verbatim; a server that is not what it claims could send
// "int DEFAULT f()" or worse. PostgreSQL's own parser must read the text as
// exactly one type name, or the import stops with its error ("invalid type
// name").
void check_type_name(const RemoteColumn& column) {
    pg::call([&] { typeStringToTypeName(column.type.c_str()); });
}

std::string create_statement(const std::string& relation, const std::string& columns,
                             const std::string& remote_schema, const std::string& server) {
    return "CREATE FOREIGN TABLE " + quoted_identifier(relation) + " (" + columns +
           ") SERVER " + quoted_identifier(server) + " OPTIONS (schema_name " +
           quoted_literal(remote_schema) + ", table_name " + quoted_literal(relation) + ")";
}

}  // namespace

List* import_foreign_schema(ImportForeignSchemaStmt* statement, Oid server_oid) {
    List* commands = nullptr;
    pg::run_guarded([&] {
        ForeignServer* server = pg::call([&] { return GetForeignServer(server_oid); });
        std::vector<RemoteColumn> catalog = read_remote_catalog(statement, server);
        if (catalog.empty())
            throw Error(sqlstate::kFdwSchemaNotFound,
                        "schema \"" + std::string(statement->remote_schema) +
                            "\" is not present on foreign server \"" + server->servername + "\"",
                        "No target of the server has a schema of that name.");
        std::vector<std::string> statements;
        for (size_t at = 0; at < catalog.size();) {
            if (!catalog[at].relation) {
                ++at;
                continue;
            }
            const std::string& relation = *catalog[at].relation;
            std::string columns;
            for (; at < catalog.size() && catalog[at].relation == relation; ++at) {
                if (!catalog[at].column)
                    continue;
                check_type_name(catalog[at]);
                if (!columns.empty())
                    columns += ", ";
                columns += quoted_identifier(*catalog[at].column) + " " + catalog[at].type;
                if (catalog[at].not_null)
                    columns += " NOT NULL";
            }
            statements.push_back(create_statement(relation, columns, statement->remote_schema,
                                                  server->servername));
        }
        pg::call([&] {
            for (const std::string& command : statements)
                commands = lappend(commands, pstrdup(command.c_str()));
        });
    });
    return commands;
}

}  // namespace mq::fdw
