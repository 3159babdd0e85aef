#include "core/repeat_filter.hpp"

#include <string>

#include <gtest/gtest.h>

using mq::RepeatFilter;

TEST(RepeatFilter, AQueryIsARepeatTheSecondTime) {
    RepeatFilter filter;
    EXPECT_FALSE(filter.seen_before("SELECT $1", 1));
    EXPECT_TRUE(filter.seen_before("SELECT $1", 1));
}

TEST(RepeatFilter, TheParamCountIsPartOfTheQuery) {
    RepeatFilter filter;
    EXPECT_FALSE(filter.seen_before("SELECT 1", 0));
    EXPECT_FALSE(filter.seen_before("SELECT 1", 1));
    EXPECT_TRUE(filter.seen_before("SELECT 1", 0));
}

TEST(RepeatFilter, OneTimeQueriesDoNotPushEachOtherOutForever) {
    RepeatFilter filter;
    for (int i = 0; i < 1000; ++i)
        EXPECT_FALSE(filter.seen_before("SELECT " + std::to_string(i), 0));
    // The last kRemembered first sightings are still known.
    EXPECT_TRUE(filter.seen_before("SELECT 999", 0));
    EXPECT_TRUE(filter.seen_before("SELECT " + std::to_string(1000 - RepeatFilter::kRemembered), 0));
    // Older ones were forgotten: seen afresh.
    EXPECT_FALSE(filter.seen_before("SELECT 0", 0));
}

TEST(RepeatFilter, AReportedRepeatStartsOver) {
    RepeatFilter filter;
    filter.seen_before("q", 0);
    EXPECT_TRUE(filter.seen_before("q", 0));
    // The caller prepared it; should it be evicted and come back, it is
    // new again until it repeats.
    EXPECT_FALSE(filter.seen_before("q", 0));
}
