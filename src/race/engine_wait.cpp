// The race's one wait: the backend's latch, postmaster death and every
// active target's socket (and a draining one's cancel request socket), until
// the nearest deadline. Part of Race (engine.hpp).
#include <algorithm>

#include "pg/guard.hpp"
#include "race/engine.hpp"
#include "race/settings.hpp"

extern "C" {
#include "storage/latch.h"
#include "utils/wait_event.h"
}

namespace mq::race {
namespace {

// Frees a WaitEventSet (and its epoll descriptor) however the wait is left.
class WaitSetOwner {
public:
    explicit WaitSetOwner(WaitEventSet* set) : set_(set) {}
    WaitSetOwner(const WaitSetOwner&) = delete;
    WaitSetOwner& operator=(const WaitSetOwner&) = delete;
    ~WaitSetOwner() { FreeWaitEventSet(set_); }
    WaitEventSet* get() const { return set_; }

private:
    WaitEventSet* set_;
};

}  // namespace

void Race::wait_for_events() {
    int64_t now = now_ms();
    int64_t wake_at = deadline_ms_;
    auto wake_by = [&](int64_t at) { wake_at = wake_at == 0 ? at : std::min(wake_at, at); };
    if (!held_.empty())
        wake_by(hedge_at_ms_);
    std::vector<Runner*> owners;
    std::vector<std::pair<pgsocket, uint32_t>> sockets;
    for (Runner& runner : runners_) {
        if (!active(runner))
            continue;
        TargetSlot* slot = runner.slot;
        uint32_t events = WL_SOCKET_READABLE;
        if (runner.phase == Phase::kConnecting) {
            events = slot->connect_poll == PGRES_POLLING_READING ? WL_SOCKET_READABLE
                                                                 : WL_SOCKET_WRITEABLE;
            wake_by(slot->connect_started_ms + connect_timeout_ms);
        } else if (runner.phase == Phase::kDraining) {
            wake_by(slot->drain_deadline_ms);
            // What is left to drain has already been read off the socket (a
            // query re-sent after its statement failed): no event will come.
            if (!slot->results_drained && slot->conn != nullptr && !PQisBusy(slot->conn))
                wake_by(now);
            if (slot->cancel_at_us != 0)
                wake_by(slot->cancel_at_us / 1000 + 1);  // its grace is over: cancel it
        } else if (runner.phase == Phase::kSending) {
            events |= WL_SOCKET_WRITEABLE;
        }
        pgsocket socket = PQsocket(slot->conn);
        if (socket == PGINVALID_SOCKET) {
            wake_by(now);  // the next advance notices the broken connection
            continue;
        }
        owners.push_back(&runner);
        sockets.emplace_back(socket, events);
        // The server closes a cancel request's socket once it has signalled
        // the backend; the drain waits for that too.
        if (runner.phase == Phase::kDraining && slot->cancel_socket >= 0) {
            owners.push_back(&runner);
            sockets.emplace_back(slot->cancel_socket, WL_SOCKET_READABLE);
        }
    }
    long timeout = wake_at == 0 ? -1 : std::max<int64_t>(0, wake_at - now);
    int size = static_cast<int>(sockets.size()) + 2;
    WaitSetOwner set(pg::call([&] { return CreateWaitEventSet(CurrentMemoryContext, size); }));
    std::vector<int> positions(sockets.size());
    pg::call([&] {
        AddWaitEventToSet(set.get(), WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, nullptr);
        AddWaitEventToSet(set.get(), WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, nullptr, nullptr);
        for (size_t i = 0; i < sockets.size(); ++i)
            positions[i] =
                AddWaitEventToSet(set.get(), sockets[i].second, sockets[i].first, nullptr, nullptr);
    });
    std::vector<WaitEvent> events(size);
    int fired = pg::call([&] {
        return WaitEventSetWait(set.get(), timeout, events.data(), size, PG_WAIT_EXTENSION);
    });
    bool latch_set = false;
    for (int i = 0; i < fired; ++i) {
        if (events[i].events & WL_LATCH_SET) {
            latch_set = true;
            continue;
        }
        for (size_t j = 0; j < positions.size(); ++j)
            if (positions[j] == events[i].pos)
                owners[j]->ready |= events[i].events;
    }
    if (latch_set) {
        ResetLatch(MyLatch);
        pg::check_for_interrupts();
    }
}

}  // namespace mq::race
