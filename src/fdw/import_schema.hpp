// IMPORT FOREIGN SCHEMA for raced foreign tables: the remote schema's tables,
// views, materialized views, foreign and partitioned tables, read from the
// catalog of whichever target answers first, become foreign tables of the
// importing server (a race group or a single target).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "nodes/parsenodes.h"
}

namespace mq::fdw {

// The FdwRoutine's ImportForeignSchema: one CREATE FOREIGN TABLE per remote
// relation, with its columns' types (qualified unless in pg_catalog) and NOT
// NULL, and OPTIONS (schema_name, table_name) naming the remote relation.
List* import_foreign_schema(ImportForeignSchemaStmt* statement, Oid server_oid);

}  // namespace mq::fdw
