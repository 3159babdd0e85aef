// Judging whether a race target is fresh enough: min_lsn and the lag bound.
#include "core/freshness.hpp"

#include <gtest/gtest.h>

namespace {

using Kind = mq::FreshnessVerdict::Kind;

TEST(Lsn, ParsesAndFormatsLikePgLsn) {
    EXPECT_EQ(mq::parse_lsn("0/0"), 0u);
    EXPECT_EQ(mq::parse_lsn("16/B374D848"), (0x16ull << 32) | 0xB374D848ull);
    EXPECT_EQ(mq::parse_lsn("ffffffff/ffffffff"), UINT64_MAX);
    EXPECT_EQ(mq::format_lsn((0x16ull << 32) | 0xB374D848ull), "16/B374D848");
    EXPECT_EQ(mq::format_lsn(0), "0/0");
}

TEST(Lsn, RejectsMalformedText) {
    for (const char* bad : {"", "/", "0/", "/0", "12", "1/2/3", "g/0", "123456789/0", " 0/0"})
        EXPECT_FALSE(mq::parse_lsn(bad).has_value()) << bad;
}

TEST(Freshness, StaleWhenBehindMinLsn) {
    mq::FreshnessProbe standby{true, 0x3000, 0.0};
    auto verdict = mq::judge_freshness(standby, {0x3001, 0});
    EXPECT_EQ(verdict.kind, Kind::kStale);
    EXPECT_EQ(verdict.reason, "stale: replayed 0/3000 < min_lsn 0/3001");
    EXPECT_EQ(mq::judge_freshness(standby, {0x3000, 0}).kind, Kind::kFresh);
    mq::FreshnessProbe primary{false, 0x2000, std::nullopt};
    EXPECT_EQ(mq::judge_freshness(primary, {0x3000, 0}).reason,
              "stale: inserted 0/2000 < min_lsn 0/3000");
}

TEST(Freshness, NoPolicyMeansFresh) {
    mq::FreshnessProbe far_behind{true, 1, std::nullopt};
    EXPECT_EQ(mq::judge_freshness(far_behind, {0, 0}).kind, Kind::kFresh);
}

TEST(Freshness, LagBoundAppliesToStandbysOnly) {
    mq::FreshnessProbe lagging{true, 0x5000, 2500.0};
    auto verdict = mq::judge_freshness(lagging, {0, 1000});
    EXPECT_EQ(verdict.kind, Kind::kLagging);
    EXPECT_EQ(verdict.reason, "lagging: replay lag 2500 ms > multiquery.max_replica_lag 1000 ms");
    EXPECT_EQ(mq::judge_freshness(lagging, {0, 3000}).kind, Kind::kFresh);
    mq::FreshnessProbe primary{false, 0x5000, std::nullopt};
    EXPECT_EQ(mq::judge_freshness(primary, {0, 1}).kind, Kind::kFresh);
}

TEST(Freshness, UnknownLagIsLaggingUnderABound) {
    mq::FreshnessProbe unknown{true, 0x5000, std::nullopt};
    EXPECT_EQ(mq::judge_freshness(unknown, {0, 1000}).kind, Kind::kLagging);
    EXPECT_EQ(mq::judge_freshness(unknown, {0, 0}).kind, Kind::kFresh);
}

TEST(Freshness, StalenessIsJudgedBeforeLag) {
    mq::FreshnessProbe both{true, 0x1000, 9000.0};
    EXPECT_EQ(mq::judge_freshness(both, {0x2000, 1000}).kind, Kind::kStale);
}

}  // namespace
