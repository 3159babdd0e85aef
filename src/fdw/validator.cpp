// The multiquery foreign-data wrapper's validator. A server is either a race
// target (libpq connection options) or a race group (the option 'targets',
// naming other servers); user mappings take credentials; foreign tables name
// the remote relation (schema_name, table_name) and columns the remote column
// (column_name), as in postgres_fdw. The validator sees options alone, not
// the server they belong to: what a race group's targets are, and whether a
// user mapping's server is a group, is checked by race_groups.cpp.
#include <string>

#include "core/error.hpp"
#include "pg/guard.hpp"
#include "race/libpq_options.hpp"
#include "race/target.hpp"

extern "C" {
#include "access/reloptions.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "nodes/pg_list.h"
}

namespace {

bool is_table_option(const std::string& name) {
    return name == "schema_name" || name == "table_name";
}

// Why name is not accepted in catalog, as a hint listing what is.
std::string valid_options_hint(Oid catalog) {
    using mq::race::OptionPlace;
    if (catalog == ForeignServerRelationId)
        return "Valid options for a multiquery server are: " +
               mq::race::accepted_options(OptionPlace::kServer) + "; or, for a race group, " +
               mq::race::kRaceGroupOption + " alone.";
    if (catalog == UserMappingRelationId)
        return "Valid options for a multiquery user mapping are: " +
               mq::race::accepted_options(OptionPlace::kUserMapping) + ".";
    if (catalog == ForeignTableRelationId)
        return "Valid options for a multiquery foreign table are: schema_name, table_name.";
    if (catalog == AttributeRelationId)
        return "Valid options for a column of a multiquery foreign table are: column_name.";
    return "The multiquery wrapper takes no options of its own.";
}

bool accepted(const std::string& name, Oid catalog) {
    using mq::race::OptionPlace;
    if (catalog == ForeignServerRelationId)
        return name == mq::race::kRaceGroupOption ||
               mq::race::accepts_option(name, OptionPlace::kServer);
    if (catalog == UserMappingRelationId)
        return mq::race::accepts_option(name, OptionPlace::kUserMapping);
    if (catalog == ForeignTableRelationId)
        return is_table_option(name);
    if (catalog == AttributeRelationId)
        return name == "column_name";
    return false;
}

void check_race_group(const std::string& members, bool has_connection_options) {
    if (has_connection_options)
        throw mq::Error(mq::sqlstate::kFdwInvalidOptionName,
                        "a race group takes no connection options",
                        "The option \"targets\" makes a server a race group; the connection "
                        "options belong on the servers it names.",
                        "Create a server for each target and list them in \"targets\".");
    for (const std::string& name : mq::race::split_race_group(members))
        if (name.empty())
            throw mq::Error(mq::sqlstate::kInvalidParameterValue,
                            "invalid value for option \"targets\": \"" + members + "\"",
                            "A race group names its targets as a comma-separated list of "
                            "foreign servers, none of them empty.",
                            "For example: OPTIONS (targets 'main_primary, main_replica').");
}

}  // namespace

// multiquery.fdw_validator(options text[], catalog oid): rejects unknown options.
MQ_FUNCTION(multiquery_fdw_validator) {
    List* options = mq::pg::call([&] { return untransformRelOptions(PG_GETARG_DATUM(0)); });
    Oid catalog = PG_GETARG_OID(1);
    const char* group_members = nullptr;
    bool has_connection_options = false;
    ListCell* cell;
    foreach (cell, options) {
        auto* option = static_cast<DefElem*>(lfirst(cell));
        std::string name = option->defname;
        if (!accepted(name, catalog))
            throw mq::Error(mq::sqlstate::kFdwInvalidOptionName,
                            "invalid option \"" + name + "\"", {}, valid_options_hint(catalog));
        std::string value = mq::pg::call([&] { return defGetString(option); });
        if ((is_table_option(name) || name == "column_name") && value.empty())
            throw mq::Error(mq::sqlstate::kInvalidParameterValue,
                            "option \"" + name + "\" must not be empty");
        if (catalog == ForeignServerRelationId) {
            if (name == mq::race::kRaceGroupOption)
                group_members = mq::pg::call([&] { return defGetString(option); });
            else
                has_connection_options = true;
        }
    }
    if (group_members != nullptr)
        check_race_group(group_members, has_connection_options);
    PG_RETURN_VOID();
}
