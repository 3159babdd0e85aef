// The latch-based waiter of the Redis client; see redis_wait.hpp.
#include "queue/redis_wait.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/memutils.h"
}

namespace mq::queue {
namespace {

// Waits on one WaitEventSet kept from wait to wait: the latch, postmaster
// death and the socket. WaitLatchOrSocket made a set (an epoll descriptor,
// a system call per event) and freed it at each of the drain worker's waits,
// 2.4% of its CPU. The set is rebuilt for another socket, and dropped when
// the client closes its socket: the next socket may take the same number,
// and an epoll set would still be watching the closed one.
class LatchWaiter final : public SocketWaiter {
public:
    void wait(int fd, bool for_write, long timeout_ms) override {
        uint32 events = for_write ? WL_SOCKET_WRITEABLE : WL_SOCKET_READABLE;
        // The lambda holds no C++ object: an ERROR stops in call()'s frame.
        pg::call([&] {
            CHECK_FOR_INTERRUPTS();
            watch(fd, events);
            WaitEvent event;
            int fired = WaitEventSetWait(set_, timeout_ms, &event, 1, PG_WAIT_EXTENSION);
            if (fired > 0 && (event.events & WL_LATCH_SET)) {
                ResetLatch(MyLatch);
                CHECK_FOR_INTERRUPTS();
            }
        });
    }

    void closing(int fd) noexcept override {
        if (set_ == nullptr || (fd_ != fd && fd_ != kUnknown))
            return;  // the set watches another client's socket
        try {
            pg::call([&] { drop(); });
        } catch (...) {
            // FreeWaitEventSet raises no ERROR (it closes a descriptor and
            // frees memory); this only keeps a destructor's call noexcept.
            set_ = nullptr;
            fd_ = kUnknown;
        }
    }

private:
    static constexpr int kUnknown = -1;

    // Makes set_ watch fd for events (and MyLatch). Runs inside pg::call.
    void watch(int fd, uint32 events) {
        if (set_ != nullptr && fd_ == fd && latch_ == MyLatch) {
            if (events != events_) {
                // Until ModifyWaitEvent has succeeded the set's state is
                // unknown: an ERROR there leaves it to be rebuilt.
                fd_ = kUnknown;
                ModifyWaitEvent(set_, socket_position_, events, nullptr);
                fd_ = fd;
                events_ = events;
            }
            return;
        }
        drop();
        WaitEventSet* set = CreateWaitEventSet(TopMemoryContext, 3);
        // Freed if adding an event fails, so that no descriptor leaks.
        PG_TRY();
        {
            AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, nullptr);
            AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, nullptr, nullptr);
            socket_position_ = AddWaitEventToSet(set, events, fd, nullptr, nullptr);
        }
        PG_CATCH();
        {
            FreeWaitEventSet(set);
            PG_RE_THROW();
        }
        PG_END_TRY();
        set_ = set;
        fd_ = fd;
        events_ = events;
        latch_ = MyLatch;
    }

    // Frees the set. Runs inside pg::call.
    void drop() {
        if (set_ != nullptr)
            FreeWaitEventSet(set_);
        set_ = nullptr;
        fd_ = kUnknown;
    }

    WaitEventSet* set_ = nullptr;
    int fd_ = kUnknown;  // the socket set_ watches (kUnknown: none, or unsure)
    uint32 events_ = 0;  // what for
    int socket_position_ = -1;
    Latch* latch_ = nullptr;
};

LatchWaiter waiter;

}  // namespace

SocketWaiter& latch_waiter() {
    return waiter;
}

}  // namespace mq::queue
