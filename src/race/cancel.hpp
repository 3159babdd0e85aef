// Cancelling remote queries without ever blocking on the remote server.
#pragma once

#include <vector>

#include <libpq-fe.h>

namespace mq::race {

// Sends a cancel request for each connection's running query, all at once,
// spending at most bound_ms in total (a server whose kernel still accepts
// connections takes microseconds; one that does not is given up on). Sets,
// for each connection, (*sockets)[i] to the non-blocking socket its request
// was written on, left open, or to -1 when none was sent. The server closes
// that socket once it has signalled the backend: until then the signal may
// still be on its way, and could cancel whatever the connection runs next
// (see cancel_delivered). Each open socket counts against the backend's file
// limit: the caller owns it and closes it with close_cancel_socket.
// The caller sizes *sockets like connections: this function allocates
// nothing it cannot do without, so that it can promise never to throw or
// ereport (it runs while a race ends, and at backend exit).
void send_cancel_requests(const std::vector<PGconn*>& connections, int bound_ms,
                          std::vector<int>* sockets) noexcept;

// True once the server has closed the request's socket (or it failed): the
// backend has been signalled. Reads without blocking; the caller then closes it.
bool cancel_delivered(int socket) noexcept;

// Closes a socket from send_cancel_requests and releases its file slot.
void close_cancel_socket(int socket) noexcept;

}  // namespace mq::race
