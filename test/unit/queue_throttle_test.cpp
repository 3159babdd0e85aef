#include "core/queue_throttle.hpp"

#include <gtest/gtest.h>

using mq::queue::TokenBucket;

TEST(QueueThrottle, UnlimitedAtRateZero) {
    TokenBucket bucket(0);
    EXPECT_EQ(bucket.allowance(1000, 0), 1000);
    bucket.charge(1000000, 0);
    EXPECT_EQ(bucket.wait_us(0), 0);
    EXPECT_EQ(bucket.allowance(1000, 1), 1000);
}

TEST(QueueThrottle, HoldsTheRateOverTenSeconds) {
    // A drain loop that reads whatever it is allowed, in batches of up to 500,
    // and sleeps exactly as long as told: over 10 s it moves 10 s of rate,
    // within 1% (the burst is a tenth of a second's worth).
    for (int64_t rate : {50, 1000, 20000}) {
        TokenBucket bucket(rate);
        int64_t now = 0, moved = 0;
        while (now < 10000000) {
            int64_t n = bucket.allowance(500, now);
            if (n > 0) {
                bucket.charge(n, now);
                moved += n;
                now += 100;  // the batch takes a little time
            } else {
                now += bucket.wait_us(now);
            }
        }
        EXPECT_GE(moved, rate * 10 * 99 / 100) << rate;
        EXPECT_LE(moved, rate * 10 * 101 / 100 + 1) << rate;
    }
}

TEST(QueueThrottle, OverdraftIsPaidByWaiting) {
    TokenBucket bucket(100);  // burst 10
    EXPECT_EQ(bucket.allowance(1000, 0), 10);
    bucket.charge(110, 0);  // one entry carried 110 rows
    EXPECT_EQ(bucket.allowance(1000, 0), 0);
    EXPECT_EQ(bucket.wait_us(0), 1010000);  // 101 rows of debt at 100/s
    EXPECT_EQ(bucket.allowance(1000, 1010000), 1);
}

TEST(QueueThrottle, RateChangeClampsTheBurst) {
    TokenBucket bucket(10000);
    EXPECT_EQ(bucket.allowance(5000, 0), 1000);
    bucket.set_rate(10, 0);
    EXPECT_EQ(bucket.allowance(5000, 0), 1);
}
