#include "core/drain_state.hpp"

#include <gtest/gtest.h>

#include <set>

using mq::queue::DrainState;
using mq::queue::to_string;

TEST(DrainState, ShowsTheTextsTheViewHasAlwaysShown) {
    EXPECT_EQ(to_string(DrainState::kStarting), "starting");
    EXPECT_EQ(to_string(DrainState::kRunning), "running");
    EXPECT_EQ(to_string(DrainState::kPausedReplicaLag), "paused: replica lag");
    EXPECT_EQ(to_string(DrainState::kRedisUnreachable), "redis unreachable");
    EXPECT_EQ(to_string(DrainState::kWaitingStandby), "waiting: server is a standby");
    EXPECT_EQ(to_string(DrainState::kWaitingExtension),
              "waiting: extension not created in multiquery.drain_database");
    EXPECT_EQ(to_string(DrainState::kStreamBehindProgress), "stream behind drain_progress");
    EXPECT_EQ(to_string(DrainState::kStreamTrimmedPastProgress),
              "stream trimmed past drain_progress");
    EXPECT_EQ(to_string(DrainState::kStreamEntriesRemovedUnread), "stream entries removed unread");
    EXPECT_EQ(to_string(DrainState::kStopped), "stopped");
}

TEST(DrainState, NamesTheSqlstateOfTheErrorItRetriesAfter) {
    EXPECT_EQ(to_string(DrainState::kRetryingAfterError, "42P01"), "retrying after error 42P01");
    EXPECT_EQ(to_string(DrainState::kRunning, "42P01"), "running");
}

TEST(DrainState, EveryStateHasTextOfItsOwn) {
    std::set<std::string> seen;
    for (int i = 0; i <= static_cast<int>(DrainState::kStopped); ++i) {
        std::string text = to_string(static_cast<DrainState>(i), "XX000");
        EXPECT_NE(text, "unknown") << i;
        EXPECT_TRUE(seen.insert(text).second) << text;
    }
}
