// The Redis client; see redis.hpp.
#include "queue/redis.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "core/clock.hpp"
#include "core/secret_file.hpp"
#include "core/sqlstate.hpp"

namespace mq::queue {
namespace {

// The least room a read from the socket is given; it is given all the room
// the reply buffer has, which is sized for a reply like the last one.
constexpr size_t kMinReadRoom = 16 * 1024;

std::string where(const RedisConfig& config) {
    return config.host + ":" + std::to_string(config.port);
}

// Replaces every occurrence of secret in text: Redis error replies are
// shown to users and logged, and must never carry the password.
std::string redact(std::string text, const std::string& secret) {
    if (secret.empty())
        return text;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
        text.replace(at, secret.size(), "********");
    return text;
}

// Overwrites a string holding a password before it is freed.
void wipe(std::string& secret) {
    volatile char* p = secret.data();
    for (size_t i = 0; i < secret.size(); ++i)
        p[i] = '\0';
    secret.clear();
}

}  // namespace

bool RedisError::is_reply(const char* code) const {
    return !connection_lost_ && std::strncmp(what(), code, std::strlen(code)) == 0;
}

std::unique_ptr<RedisClient> RedisClient::connect(const RedisConfig& config,
                                                  SocketWaiter& waiter) {
    long long deadline = now_ms() + config.timeout_ms;
    // Read first: a bad file is reported without touching Redis.
    std::string password;
    if (!config.password_file.empty()) {
        try {
            password = read_secret_file(config.password_file);
        } catch (const mq::Error& e) {
            throw RedisError(e.sqlstate().c_str(), e.what(), true, e.detail(), e.hint());
        }
    }
    // Name resolution inside redisConnectNonBlock still blocks; use an
    // address (the default) where a hung resolver is a concern.
    redisContext* context = redisConnectNonBlock(config.host.c_str(), config.port);
    if (context == nullptr) {
        wipe(password);
        throw RedisError(mq::sqlstate::kUnableToConnect,
                         "could not connect to Redis at " + where(config) +
                                      ": out of memory", true);
    }
    if (context->err != 0) {
        std::string reason = context->errstr;
        redisFree(context);
        wipe(password);
        throw RedisError(mq::sqlstate::kUnableToConnect,
                         "could not connect to Redis at " + where(config) + ": " + reason,
                         true);
    }
    std::unique_ptr<RedisClient> client(new RedisClient(context, config, waiter));
    try {
        client->wait_connected(deadline);
        if (!password.empty() || !config.user.empty())
            client->authenticate(password);
    } catch (...) {
        wipe(password);
        throw;
    }
    wipe(password);
    return client;
}

// Waits for the non-blocking connect to finish, within the deadline.
void RedisClient::wait_connected(long long deadline) {
    broken_ = true;  // until connected
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            throw RedisError(mq::sqlstate::kUnableToConnect,
                             "could not connect to Redis at " + where(config_) +
                                          ": timed out after " +
                                          std::to_string(config_.timeout_ms) + " ms", true);
        waiter_.wait(context_->fd, true, static_cast<long>(left));
        pollfd probe{context_->fd, POLLOUT, 0};
        if (poll(&probe, 1, 0) <= 0)
            continue;
        int error = 0;
        socklen_t length = sizeof(error);
        if (getsockopt(context_->fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
            error = errno;
        if (error != 0)
            throw RedisError(mq::sqlstate::kUnableToConnect,
                             "could not connect to Redis at " + where(config_) + ": " +
                                          std::strerror(error), true);
        broken_ = false;
        return;
    }
}

void RedisClient::authenticate(const std::string& password) {
    std::vector<std::string> args{"AUTH"};
    if (!config_.user.empty())
        args.push_back(config_.user);
    args.push_back(password);
    std::string as = config_.user.empty() ? "" : " as user \"" + config_.user + "\"";
    try {
        command(args);
    } catch (const RedisError& e) {
        if (e.connection_lost())
            throw;
        broken_ = true;  // never used unauthenticated
        throw RedisError(mq::sqlstate::kInvalidPassword,
                         "could not authenticate to Redis at " + where(config_) + as,
                         true, redact(e.what(), password),
                         "Check multiquery.redis_user and the password file "
                         "multiquery.redis_password_file names.");
    }
    std::fill(args.back().begin(), args.back().end(), '\0');
}

RedisClient::~RedisClient() {
    waiter_.closing(context_->fd);
    redisFree(context_);
}

void RedisClient::lose(const std::string& why) {
    broken_ = true;
    throw RedisError(mq::sqlstate::kConnectionFailure,
                     "lost the connection to Redis at " + where(config_) + ": " + why,
                     true);
}

void RedisClient::write_command(const std::vector<std::string>& args, long long deadline) {
    if (broken_)
        throw RedisError(mq::sqlstate::kConnectionFailure,
                         "the connection to Redis at " + where(config_) + " was lost",
                         true);
    std::string command;
    resp::append_command(args, &command);
    // From here until the whole command is written, an exception (a
    // timeout, the waiter's interrupt) leaves the connection broken: Redis
    // may have part of it, and the next command would follow that part.
    broken_ = true;
    for (size_t written = 0; written < command.size();) {
        ssize_t sent = ::send(context_->fd, command.data() + written, command.size() - written,
                              MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent > 0) {
            written += static_cast<size_t>(sent);
            continue;
        }
        int error = errno;
        if (sent < 0 && error != EAGAIN && error != EWOULDBLOCK && error != EINTR)
            lose(std::strerror(error));
        long long left = deadline - now_ms();
        if (left <= 0)
            lose("no answer within " + std::to_string(config_.timeout_ms) + " ms");
        waiter_.wait(context_->fd, true, static_cast<long>(left));
    }
    std::fill(command.begin(), command.end(), '\0');  // it may hold a password (AUTH)
    broken_ = false;
}

Reply RedisClient::read_reply(long long deadline) {
    // Until the whole reply is read, an exception leaves the connection
    // broken: the rest of the reply would be read as the next command's.
    broken_ = true;
    for (;;) {
        std::optional<Reply> reply;
        try {
            reply = parser_.next();
        } catch (const resp::ProtocolError& e) {
            lose(e.what());
        }
        if (reply) {
            broken_ = false;
            return std::move(*reply);
        }
        long long left = deadline - now_ms();
        if (left <= 0)
            lose("no answer within " + std::to_string(config_.timeout_ms) + " ms");
        waiter_.wait(context_->fd, false, static_cast<long>(left));
        // The timeout is for a silent server: a long reply (an entry of
        // hundreds of megabytes streaming past) may take longer as a whole.
        if (read_socket())
            deadline = std::max<long long>(deadline, now_ms() + config_.timeout_ms);
    }
}

// Moves what the socket has into the parser (nothing, when the waiter
// returned early); true when bytes came. The messages are those hiredis gave.
bool RedisClient::read_socket() {
    resp::ReplyParser::Room room = parser_.room(kMinReadRoom);
    ssize_t got = recv(context_->fd, room.data, room.size, MSG_DONTWAIT);
    if (got > 0) {
        parser_.commit(static_cast<size_t>(got));
        return true;
    }
    if (got == 0)
        lose("Server closed the connection");
    int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR)
        return false;
    lose(std::strerror(error));
}

Reply RedisClient::checked(Reply reply) {
    if (reply.type() == resp::Type::kError)
        throw RedisError(mq::sqlstate::kSystemError, std::string(reply.text()), false);
    return reply;
}

Reply RedisClient::command(const std::vector<std::string>& args) {
    long long deadline = now_ms() + config_.timeout_ms;
    write_command(args, deadline);
    // Replies come in the order of the commands: those of commands sent
    // before are read first and kept for receive().
    while (early_.size() < sent_)
        early_.push_back(read_reply(now_ms() + config_.timeout_ms));
    return checked(read_reply(deadline));
}

void RedisClient::send(const std::vector<std::string>& args) {
    write_command(args, now_ms() + config_.timeout_ms);
    ++sent_;
}

Reply RedisClient::receive() {
    if (sent_ == 0)
        throw RedisError(mq::sqlstate::kInternalError, "no Redis reply is awaited", false);
    Reply reply;
    if (!early_.empty()) {
        reply = std::move(early_.front());
        early_.pop_front();
    } else {
        reply = read_reply(now_ms() + config_.timeout_ms);
    }
    --sent_;
    return checked(std::move(reply));
}

}  // namespace mq::queue
