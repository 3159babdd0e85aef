// The between-races cancel of losers left to finish; see late_cancel.hpp.
#include "race/late_cancel.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>

#include "pg/guard.hpp"
#include "race/cancel.hpp"
#include "race/cancel_key.hpp"
#include "race/connection.hpp"
#include "race/settings.hpp"
#include "race/stats.hpp"

extern "C" {
#include "access/xact.h"
#include "storage/fd.h"
#include "utils/timeout.h"
}

namespace mq::race {
namespace {

constexpr int kMaxArmed = 16;  // more losers left at once wait for the next race
constexpr uint32_t kCancelRequestCode = (1234u << 16) | 5678u;
// How long the handler waits for a connect still in progress (TCP): a local
// server accepts at once; a hung one is given up on, as the next race would.
constexpr int kConnectWaitMs = 5;

// Filled only while the timeout is off; read by the handler.
struct Armed {
    PGconn* conn;
    int conn_socket;  // the connection's own socket: readable once the loser answers
    sockaddr_storage address;
    socklen_t address_length;
    uint32_t packet[4];
    volatile sig_atomic_t fd;  // the request's socket once sent, else -1
};
Armed armed[kMaxArmed];
volatile sig_atomic_t armed_count = 0;
TimeoutId timer;
bool timer_registered = false;
int64_t armed_until_us = 0;  // the latest grace of the armed losers

// Async-signal-safe: socket, connect, poll, send, close and nothing else.
void send_from_handler(Armed* entry) {
    int fd = socket(entry->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    bool connected =
        connect(fd, reinterpret_cast<sockaddr*>(&entry->address), entry->address_length) == 0;
    if (!connected && errno == EINPROGRESS) {
        pollfd wait{fd, POLLOUT, 0};
        int error = 0;
        socklen_t length = sizeof(error);
        connected = poll(&wait, 1, kConnectWaitMs) == 1 && (wait.revents & POLLOUT) &&
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
    }
    if (connected && send(fd, entry->packet, sizeof(entry->packet), MSG_NOSIGNAL) ==
                         static_cast<ssize_t>(sizeof(entry->packet)))
        entry->fd = fd;
    else
        close(fd);
}

// True when the loser's connection has something to read: its answer came
// after the timeout was armed (what had come was read then). The next race
// reads it, and cancels it itself if it is still running past its grace.
bool answered(const Armed& entry) {
    pollfd wait{entry.conn_socket, POLLIN, 0};
    return poll(&wait, 1, 0) == 1;
}

void on_timeout() {
    int saved_errno = errno;
    for (int i = 0; i < armed_count; ++i)
        if (armed[i].fd < 0 && !answered(armed[i]))
            send_from_handler(&armed[i]);
    errno = saved_errno;
}

// The delay until the latest armed grace is over, at least 1 ms.
int remaining_delay_ms() {
    return static_cast<int>(std::max<int64_t>(1, (armed_until_us - now_us()) / 1000 + 1));
}

// An ERROR's recovery stops every timeout (disable_all_timeouts) before it
// aborts the transaction: the armed losers' timeout is started again here,
// so that they are cancelled within their grace whatever the session does.
void rearm_after_error(XactEvent event, void*) {
    if (event != XACT_EVENT_ABORT || armed_count == 0 || !timer_registered ||
        get_timeout_active(timer))
        return;
    enable_timeout_after(timer, remaining_delay_ms());
}

}  // namespace

void arm_late_cancels() noexcept {
    try {
        if (armed_count != 0)
            return;  // not settled (an error): the next race settles them
        int64_t latest = 0;
        int count = 0;
        for_each_slot([&](const std::string&, TargetSlot* slot) {
            // A pinned slot belongs to a race still running (race_query in a
            // query that races too): that race drains it, and settles first.
            if (count == kMaxArmed || slot->pins > 0 || slot->conn == nullptr ||
                slot->state != ConnectionState::kDraining || slot->cancel_at_us == 0 ||
                slot->cancel_socket >= 0)
                return;
            // Read what has arrived, so that the handler sees only what comes next.
            if (!slot->drain_arrived_results()) {
                slot->close();
                return;
            }
            if (slot->drain == TargetSlot::DrainStep::kDone) {
                slot->check_after_query();  // it answered: nothing to cancel
                return;
            }
            if (slot->cancel_at_us == 0)
                return;  // its query is over (only its block's ROLLBACK runs)
            CancelKey key;
            if (!read_cancel_key(slot->conn, &key) || !AcquireExternalFD())
                return;
            Armed& entry = armed[count++];
            entry.conn = slot->conn;
            entry.conn_socket = PQsocket(slot->conn);
            entry.address = key.address;
            entry.address_length = key.address_length;
            entry.packet[0] = htonl(16);
            entry.packet[1] = htonl(kCancelRequestCode);
            entry.packet[2] = htonl(static_cast<uint32_t>(key.backend_pid));
            entry.packet[3] = htonl(static_cast<uint32_t>(key.backend_key));
            entry.fd = -1;
            latest = std::max(latest, slot->cancel_at_us);
        });
        if (count == 0)
            return;
        armed_count = count;
        // One timeout for all, at the latest grace: each grace is at most
        // multiquery.race_cancel_grace, so none waits much past its own.
        armed_until_us = latest;
        pg::call([&] {
            if (!timer_registered) {
                timer = RegisterTimeout(USER_TIMEOUT, on_timeout);
                RegisterXactCallback(rearm_after_error, nullptr);
                timer_registered = true;
            }
            enable_timeout_after(timer, remaining_delay_ms());
        });
    } catch (...) {
        // Not armed: the next race that uses these connections cancels them.
    }
}

void settle_late_cancels() {
    if (armed_count == 0)
        return;
    if (timer_registered)
        pg::call([] { disable_timeout(timer, false); });
    int count = armed_count;
    armed_count = 0;
    for (int i = 0; i < count; ++i) {
        Armed& entry = armed[i];
        TargetSlot* owner = nullptr;
        for_each_slot([&](const std::string&, TargetSlot* slot) {
            if (slot->conn == entry.conn && slot->state == ConnectionState::kDraining &&
                slot->cancel_at_us != 0 && slot->cancel_socket < 0)
                owner = slot;
        });
        if (entry.fd >= 0 && owner != nullptr) {
            // As after any cancel: no new query before the server closes it.
            owner->cancel_socket = entry.fd;
            owner->cancel_at_us = 0;
            owner->drain_deadline_ms = now_ms() + cancel_timeout_ms;
            record_late_cancel(owner->name.c_str());
            owner->note_late_cancel(now_ms());
        } else if (entry.fd >= 0) {
            close_cancel_socket(entry.fd);  // releases the reserved file slot
        } else {
            ReleaseExternalFD();
        }
    }
}

}  // namespace mq::race
