// multiquery.drain_superuser_tables: the superuser-owned or extension-owned
// tables an administrator lets the drain write ("s.t, "My S"."T"", or "*").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mq::queue {

struct TableList {
    bool all = false;  // "*": every such table
    // (schema, table) as the catalog spells them: unquoted names downcased
    // (ASCII letters, as PostgreSQL does), quoted ones as written.
    std::vector<std::pair<std::string, std::string>> names;

    bool contains(std::string_view schema, std::string_view table) const;
};

// Parses a comma list of schema-qualified table names, or "*" alone; an
// empty text is the empty list. Returns nullopt with *error set when an item
// is not exactly schema.table, an identifier is empty or unterminated, or
// "*" comes with names.
std::optional<TableList> parse_table_list(std::string_view text, std::string* error);

}  // namespace mq::queue
