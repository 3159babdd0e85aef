// A race's remote sessions never start races of their own. The usual way
// one would: a raced foreign table whose remote relation is the foreign
// table itself, because the targets are the primary and standbys of this
// very database and schema_name was left to default to the local schema.
// Without this guard every level opens a connection to every target until
// the servers run out of connections.
//
// Every race connection starts with multiquery.race_nesting = 1 (an option
// of the connection, set by target.cpp); a backend where it is set refuses
// to race.
#pragma once

#include <string>

namespace mq::race {

// The startup option that marks a race's remote session.
inline constexpr const char* kNestingOption = "-c multiquery.race_nesting=1";

// Defines multiquery.race_nesting (hidden, set only at connection start).
void define_nesting_setting();

// Throws 42P17 when this backend serves a race; what names the read for the
// detail ("race_query was called").
void check_not_nested(const std::string& what);

}  // namespace mq::race
