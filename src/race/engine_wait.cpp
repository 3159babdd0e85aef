// The race's one wait: the backend's latch, postmaster death and every
// active target's socket (and a draining one's cancel request socket), until
// the nearest deadline. Part of Race (engine.hpp).
#include <sys/stat.h>

#include <algorithm>
#include <vector>

#include "pg/guard.hpp"
#include "race/engine.hpp"
#include "race/settings.hpp"

extern "C" {
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"
}

namespace mq::race {
namespace {

// One socket a wait watches: which socket it is (a descriptor number and the
// socket's inode, so that a closed socket whose number a new one took is
// never mistaken for it) and for what.
struct Watched {
    pgsocket socket;
    ino_t inode;
    uint32_t events;
    int position = -1;  // in the kept set
};

// The wait set of the last wait, kept across waits and races: most waits
// watch the same sockets as the one before (the same cached connections), and
// creating a set costs an epoll descriptor and a system call per socket each
// time. Rebuilt whenever the sockets differ; lives as long as the backend.
struct KeptWaitSet {
    WaitEventSet* set = nullptr;
    std::vector<Watched> watched;
};
KeptWaitSet kept;

ino_t inode_of(pgsocket socket) {
    struct stat status;
    return fstat(socket, &status) == 0 ? status.st_ino : 0;
}

// Makes kept.set watch exactly wanted (the latch and postmaster death too),
// reusing it when only the events differ; fills each wanted's position.
void prepare_wait_set(std::vector<Watched>* wanted) {
    for (Watched& watch : *wanted)
        watch.inode = inode_of(watch.socket);
    bool same = kept.set != nullptr && kept.watched.size() == wanted->size();
    for (size_t i = 0; same && i < wanted->size(); ++i)
        same = kept.watched[i].socket == (*wanted)[i].socket &&
               kept.watched[i].inode == (*wanted)[i].inode && (*wanted)[i].inode != 0;
    if (same) {
        pg::call([&] {
            for (size_t i = 0; i < wanted->size(); ++i) {
                Watched& old = kept.watched[i];
                if (old.events != (*wanted)[i].events) {
                    ModifyWaitEvent(kept.set, old.position, (*wanted)[i].events, nullptr);
                    old.events = (*wanted)[i].events;
                }
                (*wanted)[i].position = old.position;
            }
        });
        return;
    }
    if (kept.set != nullptr) {
        FreeWaitEventSet(kept.set);
        kept.set = nullptr;
        kept.watched.clear();
    }
    int size = static_cast<int>(wanted->size()) + 2;
    pg::call([&] {
        WaitEventSet* set = CreateWaitEventSet(TopMemoryContext, size);
        // Freed if adding a socket fails, so that no descriptor leaks.
        PG_TRY();
        {
            AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, nullptr);
            AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, nullptr, nullptr);
            for (Watched& watch : *wanted)
                watch.position =
                    AddWaitEventToSet(set, watch.events, watch.socket, nullptr, nullptr);
        }
        PG_CATCH();
        {
            FreeWaitEventSet(set);
            PG_RE_THROW();
        }
        PG_END_TRY();
        kept.set = set;
    });
    kept.watched = *wanted;
}

}  // namespace

void Race::wait_for_events() {
    int64_t now = now_ms();
    int64_t wake_at = deadline_ms_;
    auto wake_by = [&](int64_t at) { wake_at = wake_at == 0 ? at : std::min(wake_at, at); };
    if (!held_.empty())
        wake_by(hedge_at_ms_);
    std::vector<Runner*> owners;
    std::vector<Watched> wanted;
    for (Runner& runner : runners_) {
        if (!active(runner))
            continue;
        TargetSlot* slot = runner.slot;
        uint32_t events = WL_SOCKET_READABLE;
        bool connecting = slot->state() == ConnectionState::kConnecting;
        if (runner.phase == Phase::kReadying && connecting) {
            events = slot->connect_poll() == PGRES_POLLING_READING ? WL_SOCKET_READABLE
                                                                   : WL_SOCKET_WRITEABLE;
            wake_by(slot->connect_started_ms() + connect_timeout_ms);
        } else if (runner.phase == Phase::kReadying) {
            wake_by(slot->drain_deadline_ms());
            // What is left to drain has already been read off the socket (a
            // query re-sent after its statement failed): no event will come.
            if (slot->state() != ConnectionState::kDrained && slot->conn != nullptr &&
                !PQisBusy(slot->conn))
                wake_by(now);
            if (slot->cancel_due_us() != 0)
                wake_by(slot->cancel_due_us() / 1000 + 1);  // its grace is over: cancel it
        } else if (runner.phase == Phase::kSending) {
            events |= WL_SOCKET_WRITEABLE;
        }
        pgsocket socket = PQsocket(slot->conn);
        if (socket == PGINVALID_SOCKET) {
            wake_by(now);  // the next advance notices the broken connection
            continue;
        }
        owners.push_back(&runner);
        wanted.push_back({socket, 0, events});
        // The server closes a cancel request's socket once it has signalled
        // the backend; the drain waits for that too.
        if (runner.phase == Phase::kReadying && !connecting && slot->cancel_socket() >= 0) {
            owners.push_back(&runner);
            wanted.push_back({slot->cancel_socket(), 0, WL_SOCKET_READABLE});
        }
    }
    long timeout = wake_at == 0 ? -1 : std::max<int64_t>(0, wake_at - now);
    prepare_wait_set(&wanted);
    int size = static_cast<int>(wanted.size()) + 2;
    WaitEvent events[16];
    std::vector<WaitEvent> more(size > 16 ? size : 0);
    WaitEvent* fired_events = size > 16 ? more.data() : events;
    int fired = pg::call([&] {
        return WaitEventSetWait(kept.set, timeout, fired_events, size, PG_WAIT_EXTENSION);
    });
    bool latch_set = false;
    for (int i = 0; i < fired; ++i) {
        if (fired_events[i].events & WL_LATCH_SET) {
            latch_set = true;
            continue;
        }
        for (size_t j = 0; j < wanted.size(); ++j)
            if (wanted[j].position == fired_events[i].pos)
                owners[j]->ready |= fired_events[i].events;
    }
    if (latch_set) {
        ResetLatch(MyLatch);
        pg::check_for_interrupts();
    }
}

}  // namespace mq::race
