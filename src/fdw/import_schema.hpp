// IMPORT FOREIGN SCHEMA for raced foreign tables: the remote schema's tables,
// views, materialized views, foreign and partitioned tables become foreign
// tables of the importing server (a race group or a single target). The
// catalog is read from a target that is not in recovery (the group's targets
// asked in order), never raced: a standby that has not replayed a new table
// would import nothing. A group without a primary that answers needs its
// standbys to agree; a name in LIMIT TO that the catalog lacks is an error.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "nodes/parsenodes.h"
}

namespace mq::fdw {

// The FdwRoutine's ImportForeignSchema: one CREATE FOREIGN TABLE per remote
// relation, with its columns' types (qualified unless in pg_catalog), their
// collations where not their type's own, NOT NULL, and OPTIONS (schema_name, table_name) naming the remote relation.
List* import_foreign_schema(ImportForeignSchemaStmt* statement, Oid server_oid);

}  // namespace mq::fdw
