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
// A cancel that reaches a backend before it has read its query is ignored
// (PostgreSQL cancels only a running query), and the loser then runs in
// full. So while a loser has not answered, its cancel is sent again, after
// these delays; then the next race's drain, and its cancel_timeout, take
// over (a connection whose query overran it is replaced).
// A request goes only once the server has closed the socket of the one
// before (it has signalled the backend): then at most one request is ever
// in flight, and it is the one the next race waits for.
constexpr int kResendDelaysMs[] = {20, 40, 80, 160, 320};
constexpr int kMaxSends = 1 + static_cast<int>(sizeof(kResendDelaysMs) / sizeof(int));
constexpr int kSettleCheckMs = 5;   // how often a request in flight is looked at
constexpr int kResendWindowMs = 1000;  // no request goes later than this after the race

// Filled only while the timeout is off; read by the handler.
struct Armed {
    PGconn* conn;
    int conn_socket;  // the connection's own socket: readable once the loser answers
    sockaddr_storage address;
    socklen_t address_length;
    uint32_t packet[4];
    volatile sig_atomic_t fd;  // the socket of the latest request the handler sent, else -1
    volatile sig_atomic_t sends;  // requests the handler wrote
    int earlier_fd;               // the request sent before it was armed (the slot's), or -1
    int tries;                    // requests tried: by the handler, and before it was armed
    bool answered;                // the loser answered: nothing more to send
    int64_t next_send_us;         // when to send (again) if it has not answered
    int64_t until_us;             // no request after this
};
Armed armed[kMaxArmed];
volatile sig_atomic_t armed_count = 0;
TimeoutId timer;
bool timer_registered = false;

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
                         static_cast<ssize_t>(sizeof(entry->packet))) {
        // The request before it is settled (the server closed its socket).
        // Its file slot is this one's.
        if (entry->fd >= 0)
            close(entry->fd);
        entry->fd = fd;
        entry->sends = entry->sends + 1;
    } else {
        close(fd);
    }
}

// True when the loser's connection has something to read: its answer came
// after the timeout was armed (what had come was read then). The next race
// reads it, and cancels it itself if it is still running past its grace.
bool answered(const Armed& entry) {
    pollfd wait{entry.conn_socket, POLLIN, 0};
    return poll(&wait, 1, 0) == 1;
}

// When the entry's next request is due, or 0 when none is.
int64_t due_us(const Armed& entry) {
    return entry.answered || entry.tries >= kMaxSends || entry.next_send_us > entry.until_us
               ? 0
               : entry.next_send_us;
}

// True once the server has closed the socket of the entry's latest request:
// it has signalled the backend, and nothing of it is in flight any more.
bool latest_request_settled(const Armed& entry) {
    int fd = entry.fd >= 0 ? entry.fd : entry.earlier_fd;
    if (fd < 0)
        return true;
    pollfd wait{fd, POLLIN, 0};
    return poll(&wait, 1, 0) == 1;
}

// The delay until the next request is due, at least 1 ms; -1 when none is.
int next_delay_ms(int64_t now) {
    int64_t next = 0;
    for (int i = 0; i < armed_count; ++i) {
        int64_t due = due_us(armed[i]);
        if (due != 0 && (next == 0 || due < next))
            next = due;
    }
    return next == 0 ? -1 : static_cast<int>(std::max<int64_t>(1, (next - now) / 1000 + 1));
}

void on_timeout() {
    int saved_errno = errno;
    int64_t now = now_us();
    for (int i = 0; i < armed_count; ++i) {
        Armed& entry = armed[i];
        int64_t due = due_us(entry);
        if (due == 0 || now < due)
            continue;
        if (answered(entry)) {
            entry.answered = true;
            continue;
        }
        if (!latest_request_settled(entry)) {
            entry.next_send_us = now + 1000LL * kSettleCheckMs;
            continue;
        }
        send_from_handler(&entry);
        entry.next_send_us = now + 1000LL * kResendDelaysMs[std::min(entry.tries, kMaxSends - 2)];
        ++entry.tries;
    }
    // Re-armed from the handler, as PostgreSQL's own repeating timeouts are:
    // SIGALRM's handler runs only while the timeout lists are not changing.
    int delay = next_delay_ms(now_us());
    if (delay > 0)
        enable_timeout_after(timer, delay);
    errno = saved_errno;
}

// An ERROR's recovery stops every timeout (disable_all_timeouts) before it
// aborts the transaction: the armed losers' timeout is started again here,
// so that they are cancelled within their grace whatever the session does.
void rearm_after_error(XactEvent event, void*) {
    if (event != XACT_EVENT_ABORT || armed_count == 0 || !timer_registered ||
        get_timeout_active(timer))
        return;
    int delay = next_delay_ms(now_us());
    if (delay > 0)
        enable_timeout_after(timer, delay);
}

}  // namespace

void arm_late_cancels() noexcept {
    try {
        if (armed_count != 0)
            return;  // not settled (an error): the next race settles them
        int count = 0;
        for_each_slot([&](const std::string&, TargetSlot* slot) {
            // A pinned slot belongs to a race still running (race_query in a
            // query that races too): that race drains it, and settles first.
            // Left to finish (a cancel due at its grace's end), or cancelled
            // already (the request may have come too early): watched alike.
            ConnectionState state = slot->state();
            bool cancelled = state == ConnectionState::kCancelSent;
            if (count == kMaxArmed || slot->pins > 0 || slot->conn == nullptr ||
                (state != ConnectionState::kLeftToFinish && !cancelled))
                return;
            int64_t cancel_due_us = slot->cancel_due_us();
            // Read what has arrived, so that the handler sees only what comes next.
            if (!slot->drain_arrived_results()) {
                slot->close();
                return;
            }
            if (slot->state() == ConnectionState::kDrained) {
                // It answered: nothing to cancel. A request already sent may
                // still signal its backend: until the server has closed its
                // socket the connection stays drained, and the next race
                // waits for that as after any cancel.
                if (slot->cancel_settled())
                    slot->check_after_query();
                return;
            }
            if (!slot->reading_results())
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
            entry.sends = 0;
            entry.earlier_fd = slot->cancel_socket();
            entry.tries = cancelled ? 1 : 0;
            entry.answered = false;
            entry.next_send_us =
                cancelled ? now_us() + 1000LL * kResendDelaysMs[0] : cancel_due_us;
            entry.until_us = entry.next_send_us + 1000LL * kResendWindowMs;
        });
        if (count == 0)
            return;
        armed_count = count;
        int delay = next_delay_ms(now_us());
        pg::call([&] {
            if (!timer_registered) {
                timer = RegisterTimeout(USER_TIMEOUT, on_timeout);
                RegisterXactCallback(rearm_after_error, nullptr);
                timer_registered = true;
            }
            enable_timeout_after(timer, delay);
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
            if (slot->conn == entry.conn && slot->draining())
                owner = slot;
        });
        if (entry.fd >= 0 && owner != nullptr) {
            // As after any cancel: no new query before the server closes
            // the latest request's socket (it closed the earlier one's).
            bool was_left_to_finish =
                owner->take_late_cancel(entry.fd, now_ms() + cancel_timeout_ms);
            for (int sent = 0; sent < entry.sends; ++sent)
                record_late_cancel(owner->name.c_str());
            if (was_left_to_finish)
                owner->note_late_cancel(now_ms());
        } else if (entry.fd >= 0) {
            close_cancel_socket(entry.fd);  // releases the reserved file slot
        } else {
            ReleaseExternalFD();
        }
    }
}

}  // namespace mq::race
