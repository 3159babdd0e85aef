// The multiquery foreign-data wrapper's validator: servers take libpq
// connection options, user mappings take credentials. The wrapper has no
// handler: its servers are race targets, not sources of foreign tables.
#include <string>

#include "core/error.hpp"
#include "pg/guard.hpp"
#include "race/libpq_options.hpp"

extern "C" {
#include "access/reloptions.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "nodes/pg_list.h"
}

// multiquery.fdw_validator(options text[], catalog oid): rejects unknown options.
MQ_FUNCTION(multiquery_fdw_validator) {
    List* options = mq::pg::call([&] { return untransformRelOptions(PG_GETARG_DATUM(0)); });
    Oid catalog = PG_GETARG_OID(1);
    ListCell* cell;
    foreach (cell, options) {
        auto* option = static_cast<DefElem*>(lfirst(cell));
        std::string name = option->defname;
        bool allowed = false;
        std::string hint;
        if (catalog == ForeignServerRelationId) {
            allowed = mq::race::accepts_option(name, mq::race::OptionPlace::kServer);
            hint = "Valid options for a multiquery server are: " +
                   mq::race::accepted_options(mq::race::OptionPlace::kServer) + ".";
        } else if (catalog == UserMappingRelationId) {
            allowed = mq::race::accepts_option(name, mq::race::OptionPlace::kUserMapping);
            hint = "Valid options for a multiquery user mapping are: " +
                   mq::race::accepted_options(mq::race::OptionPlace::kUserMapping) + ".";
        } else {
            hint = "The multiquery wrapper takes options only on servers and user mappings.";
        }
        if (!allowed)
            throw mq::Error(mq::sqlstate::kFdwInvalidOptionName,
                            "invalid option \"" + name + "\"", {}, hint);
    }
    PG_RETURN_VOID();
}
