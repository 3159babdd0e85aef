#include "core/redis_address.hpp"

#include <gtest/gtest.h>

namespace mq::queue {
namespace {

std::vector<HostPort> parse(std::string_view text) {
    std::string error;
    auto result = parse_host_ports(text, &error);
    EXPECT_TRUE(result.has_value()) << error;
    return result.value_or(std::vector<HostPort>{});
}

std::string error_of(std::string_view text) {
    std::string error;
    EXPECT_FALSE(parse_host_ports(text, &error).has_value()) << text;
    return error;
}

TEST(ParseHostPorts, ListsTrimmedItems) {
    EXPECT_EQ(parse("127.0.0.1:26379, sentinel-2:26380 ,,"),
              (std::vector<HostPort>{{"127.0.0.1", 26379}, {"sentinel-2", 26380}}));
    EXPECT_TRUE(parse("").empty());
    EXPECT_TRUE(parse(" , ").empty());
}

TEST(ParseHostPorts, TakesBracketedIpv6) {
    EXPECT_EQ(parse("[::1]:26379"), (std::vector<HostPort>{{"::1", 26379}}));
}

TEST(ParseHostPorts, RefusesWhatIsNoAddress) {
    EXPECT_NE(error_of("localhost").find("no port"), std::string::npos);
    EXPECT_NE(error_of("::1:26379").find("IPv6"), std::string::npos);
    EXPECT_NE(error_of(":26379").find("host and a port"), std::string::npos);
    EXPECT_NE(error_of("h:0").find("1 to 65535"), std::string::npos);
    EXPECT_NE(error_of("h:65536").find("1 to 65535"), std::string::npos);
    EXPECT_NE(error_of("h:99999999999").find("1 to 65535"), std::string::npos);
    EXPECT_NE(error_of("h:12a").find("1 to 65535"), std::string::npos);
    EXPECT_NE(error_of("[::1]26379").find("[address]:port"), std::string::npos);
}

}  // namespace
}  // namespace mq::queue
