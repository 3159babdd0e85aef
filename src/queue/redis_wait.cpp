// The latch-based waiter of the Redis client; see redis_wait.hpp.
#include "queue/redis_wait.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
}

namespace mq::queue {
namespace {

class LatchWaiter final : public SocketWaiter {
public:
    void wait(int fd, bool for_write, long timeout_ms) override {
        // The lambda holds no C++ object: an ERROR stops in call()'s frame.
        pg::call([&] {
            CHECK_FOR_INTERRUPTS();
            int events = WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH |
                         (for_write ? WL_SOCKET_WRITEABLE : WL_SOCKET_READABLE);
            int rc = WaitLatchOrSocket(MyLatch, events, fd, timeout_ms, PG_WAIT_EXTENSION);
            if (rc & WL_LATCH_SET) {
                ResetLatch(MyLatch);
                CHECK_FOR_INTERRUPTS();
            }
        });
    }
};

LatchWaiter waiter;

}  // namespace

SocketWaiter& latch_waiter() {
    return waiter;
}

}  // namespace mq::queue
