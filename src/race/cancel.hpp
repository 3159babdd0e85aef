// Cancelling remote queries without ever blocking on the remote server.
#pragma once

#include <vector>

#include <libpq-fe.h>

namespace mq::race {

// Sends a cancel request for each connection's running query, all at once,
// spending at most bound_ms in total (a server whose kernel still accepts
// connections takes microseconds; one that does not is given up on). Returns,
// for each connection, whether its request was sent. Never throws or ereports.
std::vector<bool> send_cancel_requests(const std::vector<PGconn*>& connections,
                                       int bound_ms) noexcept;

}  // namespace mq::race
