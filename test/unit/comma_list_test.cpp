#include "core/comma_list.hpp"

#include <gtest/gtest.h>

using mq::split_comma_list;
using Items = std::vector<std::string>;

TEST(CommaList, TrimsEachItem) {
    EXPECT_EQ(split_comma_list("a, b,c"), (Items{"a", "b", "c"}));
    EXPECT_EQ(split_comma_list(" main_primary ,\tmain_replica\n"),
              (Items{"main_primary", "main_replica"}));
}

TEST(CommaList, KeepsEmptyItemsForTheCallerToJudge) {
    EXPECT_EQ(split_comma_list(""), (Items{""}));
    EXPECT_EQ(split_comma_list("a,,b"), (Items{"a", "", "b"}));
    EXPECT_EQ(split_comma_list("a, "), (Items{"a", ""}));
    EXPECT_EQ(split_comma_list(" , "), (Items{"", ""}));
}

TEST(CommaList, KeepsInnerSpacesAndCase) {
    EXPECT_EQ(split_comma_list("Main Primary, x"), (Items{"Main Primary", "x"}));
}
