// The hiredis wrapper; see redis.hpp.
#include "queue/redis.hpp"

#include <cstring>

namespace mq::queue {
namespace {

timeval to_timeval(int ms) {
    timeval tv;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

std::string where(const RedisConfig& config) {
    return config.host + ":" + std::to_string(config.port);
}

}  // namespace

bool RedisError::is_reply(const char* code) const {
    return !connection_lost_ && std::strncmp(what(), code, std::strlen(code)) == 0;
}

std::unique_ptr<RedisClient> RedisClient::connect(const RedisConfig& config) {
    redisContext* context =
        redisConnectWithTimeout(config.host.c_str(), config.port, to_timeval(config.timeout_ms));
    if (context == nullptr)
        throw RedisError("08001", "could not connect to Redis at " + where(config) +
                                      ": out of memory", true);
    if (context->err != 0) {
        std::string reason = context->errstr;
        redisFree(context);
        throw RedisError("08001", "could not connect to Redis at " + where(config) + ": " + reason,
                         true);
    }
    redisSetTimeout(context, to_timeval(config.timeout_ms));
    std::unique_ptr<RedisClient> client(new RedisClient(context, config));
    if (!config.password.empty()) {
        try {
            client->command({"AUTH", config.password});
        } catch (const RedisError& e) {
            throw RedisError("28P01", "could not authenticate to Redis at " + where(config) +
                                          ": " + e.what(), true);
        }
    }
    return client;
}

RedisClient::~RedisClient() {
    redisFree(context_);
}

Reply RedisClient::command(const std::vector<std::string>& args) {
    if (broken_)
        throw RedisError("08006", "the connection to Redis at " + where(config_) + " was lost",
                         true);
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const auto& arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    auto* raw = static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lengths.data()));
    if (raw == nullptr) {
        broken_ = true;
        throw RedisError("08006", "lost the connection to Redis at " + where(config_) + ": " +
                                      (context_->err ? context_->errstr : "no reply"),
                         true);
    }
    Reply reply(raw);
    if (reply->type == REDIS_REPLY_ERROR)
        throw RedisError("58000", std::string(reply->str, reply->len), false);
    return reply;
}

std::string reply_text(const redisReply* reply) {
    if (reply == nullptr)
        return {};
    switch (reply->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR:
            return std::string(reply->str, reply->len);
        case REDIS_REPLY_INTEGER:
            return std::to_string(reply->integer);
        default:
            return {};
    }
}

std::vector<StreamEntry> reply_entries(const redisReply* list) {
    std::vector<StreamEntry> entries;
    if (list == nullptr || list->type != REDIS_REPLY_ARRAY)
        return entries;
    entries.reserve(list->elements);
    for (size_t i = 0; i < list->elements; ++i) {
        const redisReply* item = list->element[i];
        if (item->type != REDIS_REPLY_ARRAY || item->elements < 1)
            continue;
        StreamEntry entry;
        entry.id = reply_text(item->element[0]);
        const redisReply* fields = item->elements > 1 ? item->element[1] : nullptr;
        if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY) {
            entry.deleted = true;
        } else {
            for (size_t f = 0; f + 1 < fields->elements; f += 2)
                entry.fields.emplace_back(reply_text(fields->element[f]),
                                          reply_text(fields->element[f + 1]));
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

}  // namespace mq::queue
