// Turns the table named in a queue entry into a checked insert target: the
// relation is found through the catalog (never by pasting the message's text
// into SQL), the role the insert runs as (the table's owner, or
// multiquery.drain_role) is chosen and its privileges are checked, and every
// name that reaches SQL is the catalog's own, quoted.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/queue_copy.hpp"
#include "core/queue_copy_binary.hpp"
#include "core/queue_entry.hpp"
#include "core/table_list.hpp"
#include "pg/postgres.hpp"

namespace mq::queue {

struct TargetColumn {
    std::string quoted_name;  // quote_identifier(attname)
    std::string type;         // format_type, schema-qualified where needed
    // Whether COPY text can fill the column as jsonb_to_recordset would
    // (target.cpp: not json, an array, a composite or a domain, nor a
    // generated or GENERATED ALWAYS identity column), and how.
    bool copyable = false;
    CopyColumnKind copy_kind = CopyColumnKind::kScalar;
    // How binary COPY writes it, for a copyable column of a type the binary
    // converter knows (target.cpp); none: the column's group goes as text.
    std::optional<BinaryKind> binary;
};

struct Target {
    Oid relid = InvalidOid;
    Oid insert_role = InvalidOid;  // the owner, or multiquery.drain_role (target.cpp)
    std::string qualified_name;  // "schema"."table", quoted
    std::string relname;         // the table's own name, unquoted
    std::map<std::string, TargetColumn> columns;  // by attname
    // Whether rows may go in through CopyFrom at all: COPY skips rules and
    // row-level security and checks no privilege itself, so only a table
    // without rules or row security, that the insert role may INSERT into as
    // a whole, in a UTF-8 database (the converter writes UTF-8).
    bool copyable = false;

    // The INSERT for rows carrying exactly these keys (already checked to be
    // columns); its one parameter is the rows as a JSON array in text.
    std::string insert_sql(const std::vector<std::string>& keys) const;
};

// Resolves table names for one batch; remembers each name it has seen.
class TargetResolver {
public:
    // drain_role: multiquery.drain_role's oid, or InvalidOid when unset.
    // isolate: a failure to look a table up (its lock not granted in time)
    // is that table's entries' problem, not the batch's (apply.hpp).
    TargetResolver(Oid drain_role, bool isolate) : role_(drain_role), isolate_(isolate) {}

    // The target of a table name, or nullptr with *problem set (unknown table,
    // bad name, not a table, a system table, a table a superuser owns or an
    // extension holds that multiquery.drain_superuser_tables does not list,
    // no privilege). Each batch has its own resolver, so a table's owner or
    // grants changed since count from the next batch on.
    const Target* resolve(std::string_view table, EntryProblem* problem);

    // Checks that every key names a column of target; else sets *problem.
    static bool check_keys(const Target& target, const std::vector<std::string>& keys,
                           EntryProblem* problem);

private:
    // multiquery.drain_superuser_tables, read at the first table it decides.
    const TableList& privileged_tables();

    Oid role_;
    bool isolate_;
    std::map<std::string, std::unique_ptr<Target>, std::less<>> by_name_;
    std::map<std::string, EntryProblem, std::less<>> problems_;
    std::optional<TableList> privileged_tables_;
};

}  // namespace mq::queue
