// Parsing "host:port" lists; see redis_address.hpp.
#include "core/redis_address.hpp"

#include <cctype>

namespace mq::queue {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

// One "host:port" item; nullopt with *error set when it is not one.
std::optional<HostPort> parse_item(std::string_view item, std::string* error) {
    std::string_view host, port;
    if (!item.empty() && item.front() == '[') {
        size_t close = item.find(']');
        if (close == std::string_view::npos || close + 1 >= item.size() || item[close + 1] != ':') {
            *error = "\"" + std::string(item) + "\" is not [address]:port";
            return std::nullopt;
        }
        host = item.substr(1, close - 1);
        port = item.substr(close + 2);
    } else {
        size_t colon = item.rfind(':');
        if (colon == std::string_view::npos) {
            *error = "\"" + std::string(item) + "\" has no port (host:port)";
            return std::nullopt;
        }
        host = item.substr(0, colon);
        port = item.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {
            *error = "\"" + std::string(item) + "\": write an IPv6 address as [address]:port";
            return std::nullopt;
        }
    }
    int number = 0;
    for (char c : port) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || number > 65535) {
            number = -1;
            break;
        }
        number = number * 10 + (c - '0');
    }
    if (host.empty() || port.empty() || number < 1 || number > 65535) {
        *error = "\"" + std::string(item) + "\" needs a host and a port from 1 to 65535";
        return std::nullopt;
    }
    return HostPort{std::string(host), number};
}

}  // namespace

std::optional<std::vector<HostPort>> parse_host_ports(std::string_view text, std::string* error) {
    std::vector<HostPort> addresses;
    while (true) {
        size_t comma = text.find(',');
        std::string_view item = trim(text.substr(0, comma));
        if (!item.empty()) {
            auto address = parse_item(item, error);
            if (!address)
                return std::nullopt;
            addresses.push_back(*address);
        }
        if (comma == std::string_view::npos)
            return addresses;
        text.remove_prefix(comma + 1);
    }
}

}  // namespace mq::queue
