// A small Redis client, shaped for the write queue: connect, authenticate,
// run one command, read stream entries from replies. hiredis only makes the
// connection; the client speaks the protocol itself (core/resp): it writes
// commands, and reads replies as they arrive into one buffer, instead of
// hiredis's tree of objects, so that it can stream past a value too large
// to hold (resp::ReadLimits).
// Plain C++ with no PostgreSQL header: it throws, it never longjmps.
//
// The socket is non-blocking: whenever the client must wait for Redis it asks
// its SocketWaiter, which the PostgreSQL side implements on the process latch
// so that a query cancel, statement_timeout or SIGTERM is served while Redis
// hangs (the waiter throws), instead of after redis_timeout.
#pragma once

#include <hiredis/hiredis.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/queue_batch.hpp"
#include "core/resp.hpp"

namespace mq::queue {

// Where Redis is, who to be there and how long to wait for it. The password
// is not here: it is read from password_file at each connect, so that it
// never sits in a setting and a changed file is taken at the next connect.
struct RedisConfig {
    std::string host;
    int port = 6379;
    std::string user;           // ACL user ("": the default user)
    std::string password_file;  // "": no AUTH (unless user is set)
    int timeout_ms = 2000;      // the bound of one connect, and of a command's silence

    bool operator==(const RedisConfig& o) const {
        return host == o.host && port == o.port && user == o.user &&
               password_file == o.password_file && timeout_ms == o.timeout_ms;
    }
    bool operator!=(const RedisConfig& o) const { return !(*this == o); }
};

// Waits for a socket on the client's behalf.
class SocketWaiter {
public:
    // Returns once fd may be readable (for_write false) or writable, or after
    // at most timeout_ms, or early for any other reason (the client looks
    // again and keeps its own deadline). Throws to abandon the wait.
    virtual void wait(int fd, bool for_write, long timeout_ms) = 0;
    // The client is about to close fd: whatever the waiter keeps for it
    // must go now, because the next socket may get the same number.
    virtual void closing(int fd) noexcept = 0;

protected:
    ~SocketWaiter() = default;
};

// A Redis failure. connection_lost: the connection cannot be used again
// (refused, timed out, reset, not authenticated); otherwise Redis answered
// with an error reply.
class RedisError : public mq::Error {
public:
    RedisError(const char* sqlstate, const std::string& message, bool connection_lost,
               std::string detail = {}, std::string hint = {})
        : mq::Error(sqlstate, message, std::move(detail), std::move(hint)),
          connection_lost_(connection_lost) {}
    bool connection_lost() const noexcept { return connection_lost_; }
    // True when the error reply starts with this code ("NOGROUP", "BUSYGROUP").
    bool is_reply(const char* code) const;

private:
    bool connection_lost_;
};

using Reply = resp::Reply;

class RedisClient {
public:
    // Connects and authenticates (AUTH [user] password, the password read
    // from config.password_file); throws RedisError: 08001 (cannot connect),
    // 28P01 (authentication refused), the password file's error. The waiter
    // must outlive the client.
    static std::unique_ptr<RedisClient> connect(const RedisConfig& config, SocketWaiter& waiter);

    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;
    ~RedisClient();

    // Runs one command within config().timeout_ms; throws RedisError on a
    // lost connection or timeout (08006) or an error reply. Whatever
    // interrupts a command half-way (a timeout, the waiter throwing) leaves
    // broken() true: its reply may still come, so the connection is never
    // used again.
    Reply command(const std::vector<std::string>& args);

    // Pipelining: send() writes a command without waiting for its reply;
    // receive() returns the reply of the oldest command sent that way and
    // not yet received (throwing as command() does on an error reply).
    // command() may be called in between: the replies of commands sent
    // before it are read off the connection and kept for receive(). So
    // Redis works on a command while the caller does something else.
    void send(const std::vector<std::string>& args);
    Reply receive();
    // Commands sent with send() whose reply receive() has not returned.
    size_t unreceived() const { return sent_; }
    // What the replies read from now on may hold (see resp::ReadLimits).
    void set_read_limits(resp::ReadLimits limits) { parser_.set_limits(limits); }

    bool broken() const { return broken_; }
    const RedisConfig& config() const { return config_; }

private:
    RedisClient(redisContext* context, RedisConfig config, SocketWaiter& waiter)
        : context_(context), config_(std::move(config)), waiter_(waiter) {}

    void wait_connected(long long deadline_ms);
    void write_command(const std::vector<std::string>& args, long long deadline_ms);
    Reply read_reply(long long deadline_ms);
    bool read_socket();
    static Reply checked(Reply reply);
    void authenticate(const std::string& password);
    [[noreturn]] void lose(const std::string& why);

    redisContext* context_;
    RedisConfig config_;
    SocketWaiter& waiter_;
    bool broken_ = false;
    size_t sent_ = 0;         // sent with send(), not yet returned by receive()
    std::deque<Reply> early_;  // their replies, read ahead by command()
    resp::ReplyParser parser_;  // what has come of the replies
};

}  // namespace mq::queue
