// The PostgreSQL side of the Redis client's waits: the socket and the
// process latch together, so that interrupts are served while Redis is slow.
#pragma once

#include "queue/redis.hpp"

namespace mq::queue {

// This process's waiter: waits on MyLatch and the socket together; when
// the latch is set it serves pending interrupts, so a query cancel or
// statement_timeout throws the ERROR as a PgException and SIGTERM (die())
// ends the process with FATAL. The postmaster's death ends it too.
SocketWaiter& latch_waiter();

}  // namespace mq::queue
