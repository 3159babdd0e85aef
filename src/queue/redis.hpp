// A small synchronous Redis client over hiredis, shaped for the write queue:
// connect with a timeout, run one command, read stream entries from replies.
// Plain C++ with no PostgreSQL header: it throws, it never longjmps.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/queue_entry.hpp"

namespace mq::queue {

// Where Redis is and how long to wait for it.
struct RedisConfig {
    std::string host;
    int port = 6379;
    std::string password;
    int timeout_ms = 2000;
};

// A Redis failure. connection_lost: the connection cannot be used again
// (refused, timed out, reset); otherwise Redis answered with an error reply.
class RedisError : public mq::Error {
public:
    RedisError(const char* sqlstate, const std::string& message, bool connection_lost)
        : mq::Error(sqlstate, message), connection_lost_(connection_lost) {}
    bool connection_lost() const noexcept { return connection_lost_; }
    // True when the error reply starts with this code ("NOGROUP", "BUSYGROUP").
    bool is_reply(const char* code) const;

private:
    bool connection_lost_;
};

struct ReplyDeleter {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// One stream entry as read from Redis. deleted: the id is still pending but
// the entry itself was trimmed or XDELeted away, so it has no fields.
struct StreamEntry {
    std::string id;
    EntryFields fields;
    bool deleted = false;
};

class RedisClient {
public:
    // Connects (and authenticates); throws RedisError (08001) on failure.
    static std::unique_ptr<RedisClient> connect(const RedisConfig& config);

    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;
    ~RedisClient();

    // Runs one command; throws RedisError on a lost connection (08006) or an
    // error reply. After a lost connection, broken() is true.
    Reply command(const std::vector<std::string>& args);

    bool broken() const { return broken_; }
    const RedisConfig& config() const { return config_; }

private:
    RedisClient(redisContext* context, RedisConfig config)
        : context_(context), config_(std::move(config)) {}

    redisContext* context_;
    RedisConfig config_;
    bool broken_ = false;
};

// The text of a string, status or integer reply ("" for nil).
std::string reply_text(const redisReply* reply);

// Entries of a reply's entry list ([[id, [f, v, ...]], ...]).
std::vector<StreamEntry> reply_entries(const redisReply* list);

}  // namespace mq::queue
