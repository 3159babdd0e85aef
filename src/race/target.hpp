// Turning what a caller names as a race target (a foreign server or a libpq
// connection string) into the parameters to connect with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mq::race {

struct TargetSpec {
    std::string name;  // as shown in errors and statistics: never a password
    std::string key;   // the connection cache key: server and user, or conninfo and user
    std::vector<std::string> keywords;  // libpq connection parameters
    std::vector<std::string> values;
    bool password_required = false;  // a non-superuser must authenticate by password
    uint32_t server_hash = 0;        // syscache hashes, for invalidation (servers only)
    uint32_t mapping_hash = 0;
};

// Resolves one target for the current user. Raises an error for an unknown
// server, one of another wrapper, a missing user mapping or privilege, a
// malformed connection string, or a non-superuser without a password.
TargetSpec resolve_target(const std::string& target);

}  // namespace mq::race
