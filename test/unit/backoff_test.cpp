// The circuit breaker's arithmetic: exponential pauses, capped, reset by success.
#include "core/backoff.hpp"

#include <gtest/gtest.h>

namespace {

TEST(TargetBackoff, PausesDoubleUpToTheCap) {
    EXPECT_EQ(mq::TargetBackoff::pause_ms(0, 1000, 60000), 0);
    EXPECT_EQ(mq::TargetBackoff::pause_ms(1, 1000, 60000), 1000);
    EXPECT_EQ(mq::TargetBackoff::pause_ms(2, 1000, 60000), 2000);
    EXPECT_EQ(mq::TargetBackoff::pause_ms(6, 1000, 60000), 32000);
    EXPECT_EQ(mq::TargetBackoff::pause_ms(7, 1000, 60000), 60000);
    EXPECT_EQ(mq::TargetBackoff::pause_ms(1000, 1000, 60000), 60000);
}

TEST(TargetBackoff, ZeroBaseDisablesAndCapBelowBaseMeansBase) {
    EXPECT_EQ(mq::TargetBackoff::pause_ms(5, 0, 60000), 0);
    EXPECT_EQ(mq::TargetBackoff::pause_ms(3, 5000, 100), 5000);
}

TEST(TargetBackoff, HugeValuesDoNotOverflow) {
    int64_t big = INT64_MAX / 3;
    EXPECT_EQ(mq::TargetBackoff::pause_ms(100, big, INT64_MAX), INT64_MAX);
}

TEST(TargetBackoff, FailureBacksOffUntilThePauseEnds) {
    mq::TargetBackoff backoff(1000, 60000);
    EXPECT_FALSE(backoff.backed_off(0));
    backoff.record_failure(10000);
    EXPECT_TRUE(backoff.backed_off(10000));
    EXPECT_TRUE(backoff.backed_off(10999));
    EXPECT_FALSE(backoff.backed_off(11000));
    backoff.record_failure(11000);
    EXPECT_EQ(backoff.retry_at_ms(), 13000);
    EXPECT_EQ(backoff.consecutive_failures(), 2);
}

TEST(TargetBackoff, SuccessStartsOver) {
    mq::TargetBackoff backoff(1000, 60000);
    backoff.record_failure(0);
    backoff.record_failure(1000);
    backoff.record_success();
    EXPECT_FALSE(backoff.backed_off(1001));
    backoff.record_failure(5000);
    EXPECT_EQ(backoff.retry_at_ms(), 6000);
}

TEST(TargetBackoff, ReconfiguredPausesApplyToTheNextFailure) {
    mq::TargetBackoff backoff(1000, 60000);
    backoff.configure(0, 0);
    backoff.record_failure(100);
    EXPECT_FALSE(backoff.backed_off(100));
}

TEST(TargetBackoff, DisablingEndsAPauseUnderWay) {
    mq::TargetBackoff backoff(1000, 60000);
    backoff.record_failure(0);
    EXPECT_TRUE(backoff.backed_off(500));
    backoff.configure(0, 60000);
    EXPECT_FALSE(backoff.backed_off(500));
}

}  // namespace
