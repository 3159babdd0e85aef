// Finding the Redis master through Sentinel; see redis_master.hpp.
#include "queue/redis_master.hpp"

#include "core/sqlstate.hpp"

namespace mq::queue {
namespace {

std::string where(const HostPort& address) {
    return address.host + ":" + std::to_string(address.port);
}

// The master's address as one sentinel sees it; throws RedisError.
HostPort ask_sentinel(const RedisConfig& data, const HostPort& sentinel, const std::string& name,
                      SocketWaiter& waiter) {
    RedisConfig config;
    config.host = sentinel.host;
    config.port = sentinel.port;
    config.timeout_ms = data.timeout_ms;  // sentinels are asked without the data credentials
    std::unique_ptr<RedisClient> client = RedisClient::connect(config, waiter);
    Reply reply = client->command({"SENTINEL", "get-master-addr-by-name", name});
    if (!reply.is_array() || reply.size() != 2)
        throw RedisError(mq::sqlstate::kUnableToConnect,
                         "does not know a master named \"" + name + "\"", false);
    HostPort master{std::string(reply[0].text()), std::atoi(std::string(reply[1].text()).c_str())};
    if (master.host.empty() || master.port <= 0)
        throw RedisError(mq::sqlstate::kUnableToConnect,
                         "answered no usable address for \"" + name + "\"", false);
    return master;
}

// "master", "slave", "sentinel": what ROLE says the server is.
std::string role_of(RedisClient& client) {
    Reply reply = client.command({"ROLE"});
    if (!reply.is_array() || reply.size() < 1)
        return "unknown";
    return std::string(reply[0].text());
}

}  // namespace

bool master_unavailable(const RedisError& error) {
    return error.connection_lost() || error.is_reply("READONLY") || error.is_reply("LOADING");
}

std::unique_ptr<RedisClient> connect_master(const RedisConfig& data, const SentinelConfig& sentinel,
                                            SocketWaiter& waiter) {
    if (sentinel.sentinels.empty())
        return RedisClient::connect(data, waiter);
    std::string answers;
    for (const HostPort& address : sentinel.sentinels) {
        std::string answer;
        try {
            HostPort master = ask_sentinel(data, address, sentinel.master_name, waiter);
            RedisConfig config = data;
            config.host = master.host;
            config.port = master.port;
            std::unique_ptr<RedisClient> client = RedisClient::connect(config, waiter);
            std::string role = role_of(*client);
            if (role == "master")
                return client;
            answer = "named " + where(master) + ", which is a " + role;
        } catch (const RedisError& e) {
            answer = e.what();
        }
        answers += (answers.empty() ? "" : "; ") + std::string("sentinel ") + where(address) +
                   ": " + answer;
    }
    throw RedisError(mq::sqlstate::kUnableToConnect,
                     "could not find the Redis master \"" + sentinel.master_name +
                         "\" through Sentinel (" + answers + ")",
                     true);
}

}  // namespace mq::queue
