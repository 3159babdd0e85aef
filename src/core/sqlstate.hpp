// Which failures are the query's fault and which are one server's.
#pragma once

#include <string_view>

namespace mq {

enum class FailureKind {
    // The statement or its data is wrong: every server would answer the same,
    // so trying another one (or again) cannot help.
    kDeterministic,
    // This server cannot answer now (down, overloaded, shutting down, in
    // recovery conflict, ...): another server, or a later try, may succeed.
    kTransient,
};

// Classifies a five-character SQLSTATE; anything unknown or malformed is
// transient, since blaming the statement would stop a retry that might work.
FailureKind classify_sqlstate(std::string_view sqlstate);

// True when a failure with this SQLSTATE says the server cannot take writes
// now (connection trouble, resources, shutdown, read-only, corruption),
// rather than anything about what was being written: such a failure never
// makes an entry of the write queue a dead letter, however often it recurs.
bool is_server_state_sqlstate(std::string_view sqlstate);

}  // namespace mq
