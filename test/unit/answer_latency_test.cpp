#include "core/answer_latency.hpp"

#include <gtest/gtest.h>

namespace mq {
namespace {

TEST(AnswerLatency, WithoutHistoryTheBoundIsTheGrace) {
    AnswerLatency latency;
    EXPECT_EQ(latency.typical_us(), 0);
    EXPECT_EQ(latency.grace_us(5000), 5000);
}

TEST(AnswerLatency, ZeroBoundCancelsAtOnce) {
    AnswerLatency latency;
    latency.record(200);
    EXPECT_EQ(latency.grace_us(0), 0);
}

TEST(AnswerLatency, SteadyAnswersGiveAShortGrace) {
    AnswerLatency latency;
    for (int i = 0; i < 100; ++i)
        latency.record(200);
    EXPECT_EQ(latency.typical_us(), 200);
    // The deviation decays to a few microseconds (integer steps): the mean and the slack remain.
    EXPECT_LE(latency.grace_us(100000), 200 + AnswerLatency::kSlackUs + 4 * 3);
    EXPECT_GE(latency.grace_us(100000), 200 + AnswerLatency::kSlackUs);
}

TEST(AnswerLatency, JitterWidensTheGraceUpToTheBound) {
    AnswerLatency steady, jittery;
    for (int i = 0; i < 100; ++i) {
        steady.record(300);
        jittery.record(i % 2 == 0 ? 100 : 500);
    }
    EXPECT_GT(jittery.grace_us(100000), steady.grace_us(100000));
    EXPECT_EQ(jittery.grace_us(700), 700);
}

TEST(AnswerLatency, FollowsASlowerTarget) {
    AnswerLatency latency;
    for (int i = 0; i < 50; ++i)
        latency.record(100);
    for (int i = 0; i < 50; ++i)
        latency.record(10000);
    EXPECT_GT(latency.typical_us(), 9000);
    EXPECT_EQ(latency.grace_us(5000), 5000);
}

TEST(AnswerLatency, NegativeLatencyCountsAsZero) {
    AnswerLatency latency;
    latency.record(-5);
    EXPECT_EQ(latency.typical_us(), 0);
    EXPECT_EQ(latency.grace_us(5000), AnswerLatency::kSlackUs);
}

}  // namespace
}  // namespace mq
