#include "core/queue_backoff.hpp"

#include <gtest/gtest.h>

using mq::queue::Backoff;

TEST(QueueBackoff, DoublesUpToTheCapAndResets) {
    Backoff backoff(100, 1000);
    EXPECT_EQ(backoff.next_delay_ms(), 100);
    EXPECT_TRUE(backoff.grew());
    EXPECT_EQ(backoff.next_delay_ms(), 200);
    EXPECT_EQ(backoff.next_delay_ms(), 400);
    EXPECT_EQ(backoff.next_delay_ms(), 800);
    EXPECT_EQ(backoff.next_delay_ms(), 1000);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(backoff.next_delay_ms(), 1000);  // never overflows
    EXPECT_EQ(backoff.failures(), 105);
    backoff.reset();
    EXPECT_EQ(backoff.failures(), 0);
    EXPECT_EQ(backoff.next_delay_ms(), 100);
}

TEST(QueueBackoff, LogsAtMostOncePerStep) {
    // One log line per attempt: attempts are spaced by the delays themselves,
    // so a 60-second outage with a 10-second cap logs about a dozen times.
    Backoff backoff(250, 10000);
    int64_t elapsed = 0;
    int logged = 0;
    while (elapsed < 60000) {
        elapsed += backoff.next_delay_ms();
        logged += backoff.grew() ? 1 : 0;
    }
    EXPECT_LE(logged, 12);
    EXPECT_GE(logged, 5);
}
