// Refusing races inside a race's remote session; see nesting.hpp.
#include "race/nesting.hpp"

#include <climits>

#include "core/error.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace mq::race {
namespace {

int race_nesting = 0;

}  // namespace

void define_nesting_setting() {
    DefineCustomIntVariable(
        "multiquery.race_nesting",
        "Set on the connections a race opens, so that their sessions do not race again.",
        nullptr, &race_nesting, 0, 0, 1, PGC_BACKEND,
        GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE, nullptr, nullptr, nullptr);
}

void check_not_nested(const std::string& what) {
    if (race_nesting == 0)
        return;
    throw Error(sqlstate::kInvalidObjectDefinition,
                "cannot start a race inside a race's remote session",
                what + " in a session opened by a race (multiquery.race_nesting = 1); "
                "racing again from it would open connections level after level.",
                "A raced foreign table whose remote relation is the table itself is the usual "
                "cause: give it schema_name and table_name of the relation on the targets, e.g. "
                "OPTIONS (schema_name 'public', table_name 'docs').");
}

}  // namespace mq::race
