// What a table move works on: the target (a local table) and the source (a
// foreign table of a multiquery or postgres_fdw server), checked to be fit
// for it, and their columns matched by name.
#pragma once

#include <string>
#include <vector>

#include "pg/postgres.hpp"

namespace mq::move {

struct MoveColumn {
    std::string name;        // the target's column name
    std::string local_sql;   // its quoted name
    std::string remote_sql;  // the remote column's quoted name (option column_name)
    std::string type_sql;    // the target's type, with its modifier
    Oid type = InvalidOid;   // the target's type and modifier
    int typmod = -1;
    bool is_array = false;
    // The type (an array's element type) is built in: the source casts its
    // column to it, and orders and hashes by it; otherwise (an enum, a
    // domain) both sides use its text.
    bool portable = false;
    bool collatable = false;
    bool has_equality = false;  // compare-and-set by value; else by text
    bool generated = false;     // compared, never written
    bool json_number = false;   // in a key's jsonb: a number, a boolean, or text
    bool json_boolean = false;
};

struct MovePlan {
    Oid target = InvalidOid;
    Oid source = InvalidOid;
    std::string target_name;  // as regclass prints them
    std::string source_name;
    std::string target_sql;              // quoted and qualified
    std::string remote_sql;              // the remote relation, quoted and qualified
    std::vector<MoveColumn> columns;     // in the target's order
    std::vector<int> key;                // indexes into columns, in primary key order
    bool identity_always = false;        // inserts need OVERRIDING SYSTEM VALUE
    std::vector<std::string> sequences;  // setval statements run after a sync
};

// What the caller is about to do with the target.
enum class Access { kCompare, kSync, kSyncWithoutDeletes };

// Checks the pair and the caller's privileges (SPI connected); throws a clear
// error for anything unfit: no primary key, columns or types that differ, a
// source that is not a foreign table of a multiquery or postgres_fdw server,
// a target that is not a table, row-level security, missing privileges.
MovePlan describe(Oid target, Oid source, Access access);

}  // namespace mq::move
