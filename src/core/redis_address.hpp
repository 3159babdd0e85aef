// Addresses of Redis servers in settings: "host:port" lists, as
// multiquery.redis_sentinels takes them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mq::queue {

struct HostPort {
    std::string host;
    int port = 0;

    friend bool operator==(const HostPort& a, const HostPort& b) {
        return a.host == b.host && a.port == b.port;
    }
};

// Splits "host:port, [::1]:port, ..." into addresses: items trimmed, empty
// items dropped, an IPv6 address in brackets. Returns nullopt with *error
// set for an item without a port, a port outside 1..65535, or an empty host.
std::optional<std::vector<HostPort>> parse_host_ports(std::string_view text, std::string* error);

}  // namespace mq::queue
