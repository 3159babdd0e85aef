// Finding the write queue's Redis master: the configured host, or, with
// multiquery.redis_sentinels set, whichever server Redis Sentinel names as
// the master of multiquery.redis_master_name. Plain C++ over RedisClient.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/redis_address.hpp"
#include "queue/redis.hpp"

namespace mq::queue {

struct SentinelConfig {
    std::vector<HostPort> sentinels;  // empty: no Sentinel, use the data config's host
    std::string master_name;

    friend bool operator==(const SentinelConfig& a, const SentinelConfig& b) {
        return a.sentinels == b.sentinels && a.master_name == b.master_name;
    }
};

// Connects to the master. With Sentinel, asks each sentinel in turn for the
// master's address, connects there with data's credentials and timeout, and
// accepts it only if it says it is a master (ROLE): a stale answer during a
// failover never makes us write to a replica. Throws RedisError (08001)
// naming every sentinel's answer when none led to a master.
std::unique_ptr<RedisClient> connect_master(const RedisConfig& data, const SentinelConfig& sentinel,
                                            SocketWaiter& waiter);

// True when an error means "this is not, or not yet, a usable master": the
// connection was lost, or the server answered READONLY (a replica, since a
// failover) or LOADING (restarting). The caller reconnects through
// connect_master() later, with its usual backoff.
bool master_unavailable(const RedisError& error);

}  // namespace mq::queue
