#include "core/queue_streams.hpp"

#include <gtest/gtest.h>

#include <set>

using mq::queue::parse_stream_list;
using mq::queue::stream_owner;

TEST(QueueStreams, ParsesCommaSeparatedNames) {
    std::string error;
    auto names = parse_stream_list(" events, metrics ,,events,\tlogs ", &error);
    ASSERT_TRUE(names);
    EXPECT_EQ(*names, (std::vector<std::string>{"events", "metrics", "logs"}));
    EXPECT_TRUE(parse_stream_list("", &error)->empty());
}

TEST(QueueStreams, RefusesLongOrControlNames) {
    std::string error;
    EXPECT_FALSE(parse_stream_list(std::string(201, 'x'), &error));
    EXPECT_NE(error.find("longer than 200"), std::string::npos);
    EXPECT_FALSE(parse_stream_list("a\nb", &error));
}

TEST(QueueStreams, OwnerIsStableAndInRange) {
    EXPECT_EQ(stream_owner("anything", 1), 0);
    std::set<int> seen;
    for (int i = 0; i < 100; ++i) {
        std::string name = "stream" + std::to_string(i);
        int owner = stream_owner(name, 4);
        EXPECT_GE(owner, 0);
        EXPECT_LT(owner, 4);
        EXPECT_EQ(owner, stream_owner(name, 4));
        seen.insert(owner);
    }
    EXPECT_EQ(seen.size(), 4u);  // the hash spreads streams over workers
}
