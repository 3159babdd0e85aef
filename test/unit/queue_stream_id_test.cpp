#include "core/queue_stream_id.hpp"

#include <gtest/gtest.h>

using mq::queue::parse_stream_id;
using mq::queue::StreamId;

TEST(QueueStreamId, ParsesAndPrints) {
    auto id = parse_stream_id("1700000000123-42");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->ms, 1700000000123u);
    EXPECT_EQ(id->seq, 42u);
    EXPECT_EQ(id->to_string(), "1700000000123-42");
    EXPECT_EQ(parse_stream_id("0-0")->to_string(), "0-0");
    EXPECT_EQ(parse_stream_id("18446744073709551615-18446744073709551615")->seq, UINT64_MAX);
    EXPECT_EQ(parse_stream_id("9999999999999999999-0")->ms, 9999999999999999999u);  // 19 digits
    EXPECT_EQ(parse_stream_id("00000000000000000001-0")->ms, 1u);  // 20 digits, no overflow
}

TEST(QueueStreamId, RefusesMalformed) {
    for (const char* bad : {"", "-", "1-", "-1", "1", "1-2-3", "a-1", "1-b", " 1-2", "1-2 ",
                            "+1-2", "18446744073709551616-0", "99999999999999999999-0",
                            "1-18446744073709551620", "184467440737095516150-0", "1--2"})
        EXPECT_FALSE(parse_stream_id(bad)) << bad;
}

TEST(QueueStreamId, OrdersAsPairsNotText) {
    StreamId nine = *parse_stream_id("9-0"), ten = *parse_stream_id("10-0");
    EXPECT_LT(nine, ten);
    EXPECT_GT(std::string("9-0"), std::string("10-0"));  // why text order is wrong
    EXPECT_LT(*parse_stream_id("5-9"), *parse_stream_id("5-10"));
    EXPECT_LE(*parse_stream_id("5-10"), *parse_stream_id("5-10"));
    EXPECT_FALSE(*parse_stream_id("6-0") <= *parse_stream_id("5-99"));
    EXPECT_EQ(*parse_stream_id("7-1"), (StreamId{7, 1}));
    EXPECT_NE(*parse_stream_id("7-1"), (StreamId{7, 2}));
}
