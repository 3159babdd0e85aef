// What a cancel request needs from a libpq connection: where its server
// listens and the key of its backend. Kept free of PostgreSQL's server
// headers: its implementation reads libpq's private struct pg_cancel.
#pragma once

#include <sys/socket.h>

#include <libpq-fe.h>

namespace mq::race {

struct CancelKey {
    struct sockaddr_storage address;
    socklen_t address_length;
    int backend_pid;
    int backend_key;
};

// Fills *key from conn's cancel data. False when conn has none, or when
// libpq's private layout is not the one this was built against (checked
// against PQbackendPID): then the caller must not send a cancel.
bool read_cancel_key(PGconn* conn, CancelKey* key);

}  // namespace mq::race
