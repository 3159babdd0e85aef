// Reads the cancel data out of libpq's PGcancel. libpq 15 offers only
// PQcancel(), which blocks until the server answers (forever, if the server is
// stopped); the race must cancel without blocking, so it sends the request
// itself and needs the address and key that PGcancel keeps private.
//
// This file includes libpq's internal header, which is frontend code: it must
// not see the server headers that every other file of the module includes.
extern "C" {
#include "postgres_fe.h"

#include "libpq-fe.h"
// struct pg_cancel does not depend on GSSAPI, whose headers are not installed.
#undef ENABLE_GSS
#include "libpq-int.h"
}

#include <cstring>

#include "race/cancel_key.hpp"

namespace mq::race {

bool read_cancel_key(PGconn* conn, CancelKey* key) {
    int expected_pid = PQbackendPID(conn);
    if (expected_pid == 0)
        return false;
    PGcancel* cancel = PQgetCancel(conn);
    if (cancel == nullptr)
        return false;
    // A libpq whose private layout differs from the header's would give
    // garbage here; the pid it must contain tells.
    bool layout_ok = cancel->be_pid == expected_pid && cancel->raddr.salen > 0 &&
                     cancel->raddr.salen <= sizeof(key->address);
    if (layout_ok) {
        std::memcpy(&key->address, &cancel->raddr.addr, cancel->raddr.salen);
        key->address_length = cancel->raddr.salen;
        key->backend_pid = cancel->be_pid;
        key->backend_key = cancel->be_key;
    }
    PQfreeCancel(cancel);
    return layout_ok;
}

}  // namespace mq::race
