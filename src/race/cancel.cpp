// Non-blocking cancel requests; see cancel.hpp. The protocol's CancelRequest
// is 16 bytes on a fresh connection to the server: length, the code 80877102,
// the backend's pid and its secret key, all in network byte order. The server
// answers nothing: a child of its postmaster reads the request, signals the
// backend and exits, which closes the connection.
#include "race/cancel.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "race/cancel_key.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "storage/fd.h"
}

namespace mq::race {
namespace {

constexpr uint32_t kCancelRequestCode = (1234u << 16) | 5678u;  // 80877102

struct PendingCancel {
    int fd = -1;
    uint32_t packet[4];
    bool connected = false;
    bool written = false;  // its request is out: the socket is kept for the answer
};

// Writes the whole packet; a fresh socket's buffer always has room for 16 bytes.
bool write_packet(const PendingCancel& cancel) {
    ssize_t n = send(cancel.fd, cancel.packet, sizeof(cancel.packet), MSG_NOSIGNAL);
    return n == static_cast<ssize_t>(sizeof(cancel.packet));
}

void close_socket(PendingCancel* cancel) {
    close_cancel_socket(cancel->fd);
    cancel->fd = -1;
}

// Opens a non-blocking socket to the server and starts connecting.
bool start(PGconn* conn, PendingCancel* cancel) {
    CancelKey key;
    if (conn == nullptr || !read_cancel_key(conn, &key))
        return false;
    if (!AcquireExternalFD())
        return false;
    cancel->fd = socket(key.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (cancel->fd < 0) {
        ReleaseExternalFD();
        return false;
    }
    cancel->packet[0] = htonl(16);
    cancel->packet[1] = htonl(kCancelRequestCode);
    cancel->packet[2] = htonl(static_cast<uint32_t>(key.backend_pid));
    cancel->packet[3] = htonl(static_cast<uint32_t>(key.backend_key));
    if (connect(cancel->fd, reinterpret_cast<sockaddr*>(&key.address), key.address_length) == 0) {
        cancel->connected = true;
        return true;
    }
    if (errno == EINPROGRESS || errno == EAGAIN)
        return true;
    close_socket(cancel);
    return false;
}

}  // namespace

void send_cancel_requests(const std::vector<PGconn*>& connections, int bound_ms,
                          std::vector<int>* sockets) noexcept {
    // Nothing that can throw runs outside the try: a bad_alloc escaping a
    // noexcept function would call std::terminate, and a backend that dies
    // that way makes the postmaster restart the whole cluster.
    for (int& socket : *sockets)
        socket = -1;
    std::vector<PendingCancel> pending;
    try {
        pending.resize(connections.size());
        for (size_t i = 0; i < connections.size(); ++i) {
            if (!start(connections[i], &pending[i]))
                continue;
            if (pending[i].connected) {
                pending[i].written = write_packet(pending[i]);
                if (!pending[i].written)
                    close_socket(&pending[i]);
            }
        }
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
        while (true) {
            std::vector<pollfd> fds;
            std::vector<size_t> owners;
            for (size_t i = 0; i < pending.size(); ++i)
                if (pending[i].fd >= 0 && !pending[i].written) {
                    fds.push_back(pollfd{pending[i].fd, POLLOUT, 0});
                    owners.push_back(i);
                }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (fds.empty() || left.count() <= 0)
                break;
            int ready = poll(fds.data(), fds.size(), static_cast<int>(left.count()));
            if (ready < 0 && errno != EINTR)
                break;
            for (size_t j = 0; ready > 0 && j < fds.size(); ++j) {
                if (fds[j].revents == 0)
                    continue;
                PendingCancel& cancel = pending[owners[j]];
                int error = 0;
                socklen_t length = sizeof(error);
                cancel.written = (fds[j].revents & POLLOUT) &&
                                 getsockopt(cancel.fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 &&
                                 error == 0 && write_packet(cancel);
                if (!cancel.written)
                    close_socket(&cancel);
            }
        }
    } catch (...) {
        // Only allocation can throw here; the sockets are closed below.
    }
    // Handed over only now, when nothing can throw any more: a request still
    // connecting when the bound ran out was never sent.
    for (size_t i = 0; i < pending.size(); ++i) {
        if (pending[i].written && i < sockets->size())
            (*sockets)[i] = pending[i].fd;
        else
            close_socket(&pending[i]);
    }
}

bool cancel_delivered(int socket) noexcept {
    char buffer[64];
    while (true) {
        ssize_t n = recv(socket, buffer, sizeof(buffer), 0);
        if (n > 0)
            continue;  // the server sends nothing for a cancel; ignore it all the same
        if (n < 0 && errno == EINTR)
            continue;
        return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
}

void close_cancel_socket(int socket) noexcept {
    if (socket >= 0) {
        close(socket);
        ReleaseExternalFD();
    }
}

}  // namespace mq::race
