// Turning what a caller names as a race target (a foreign server or a libpq
// connection string) into the parameters to connect with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pg/postgres.hpp"

extern "C" {
#include "foreign/foreign.h"
}

namespace mq::race {

struct TargetSpec {
    std::string name;  // as shown in errors and statistics: never a password
    std::string key;   // the connection cache key: server and user, or conninfo and user
    std::vector<std::string> keywords;  // libpq connection parameters
    std::vector<std::string> values;
    bool password_required = false;  // a non-superuser must authenticate by password
    uint32_t server_hash = 0;        // syscache hashes, for invalidation (servers only)
    uint32_t mapping_hash = 0;
    std::string group;  // the race group that named it; empty when named directly
};

// The server option that makes a multiquery server a race group: a
// comma-separated list of other servers (multiquery or postgres_fdw ones)
// raced together, e.g. OPTIONS (targets 'main_primary, main_replica').
inline constexpr const char* kRaceGroupOption = "targets";

// Resolves one target for user (InvalidOid: the current user), with that
// user's mapping and privileges. Raises an error for an unknown server, one
// of another wrapper, a race group, a missing user mapping or privilege, a
// malformed connection string, or a non-superuser without a password.
TargetSpec resolve_target(const std::string& target, Oid user = InvalidOid);

// What a name race_query is given stands for: a race group's targets, or the
// one target it names.
std::vector<TargetSpec> resolve_targets(const std::string& name, Oid user = InvalidOid);

// The targets a multiquery server races: its group's members, or itself.
// Checks user's USAGE on the group and on every member.
std::vector<TargetSpec> resolve_server_targets(const ForeignServer* server, Oid user);

// The raw 'targets' option of a multiquery server; nullptr when it is not a group.
const char* race_group_members(const ForeignServer* server);

// Splits a 'targets' option into names, trimmed; an empty element stays as "".
std::vector<std::string> split_race_group(const std::string& members);

// Raises the error for the first of members that race group `group` cannot
// race: an empty name, a connection string, a name given twice, the group
// itself, or a server that does not exist, belongs to another wrapper than
// multiquery or postgres_fdw, or is itself a race group. Checked when a group
// is defined (fdw/race_groups.cpp) and again whenever it races, since a
// restore may define a group before its targets.
void check_race_group_members(const std::string& group, const std::vector<std::string>& members);

}  // namespace mq::race
