#include "core/prepared_statements.hpp"

#include <gtest/gtest.h>

namespace mq {
namespace {

TEST(PreparedStatements, PreparesOnceThenReuses) {
    PreparedStatements statements;
    auto first = statements.use("SELECT $1", 1, 4);
    EXPECT_TRUE(first.prepare);
    statements.confirm(first.name);
    auto second = statements.use("SELECT $1", 1, 4);
    EXPECT_FALSE(second.prepare);
    EXPECT_EQ(second.name, first.name);
    EXPECT_FALSE(statements.has_deallocations());
}

TEST(PreparedStatements, KeyedByTextAndParameterCount) {
    PreparedStatements statements;
    auto one = statements.use("SELECT 1", 0, 4);
    auto other_count = statements.use("SELECT 1", 1, 4);
    auto other_text = statements.use("SELECT 2", 0, 4);
    EXPECT_TRUE(other_count.prepare);
    EXPECT_TRUE(other_text.prepare);
    EXPECT_NE(one.name, other_count.name);
    EXPECT_NE(one.name, other_text.name);
    EXPECT_EQ(statements.size(), 3u);
}

TEST(PreparedStatements, EvictsLeastRecentlyUsedAndDeallocatesIt) {
    PreparedStatements statements;
    auto a = statements.use("a", 0, 2);
    auto b = statements.use("b", 0, 2);
    statements.settle(true);
    statements.use("a", 0, 2);  // b is now the least recently used
    auto c = statements.use("c", 0, 2);
    EXPECT_TRUE(c.prepare);
    EXPECT_EQ(statements.size(), 2u);
    auto names = statements.take_deallocations(8);
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0], b.name);
    EXPECT_FALSE(statements.use("a", 0, 2).prepare);
    EXPECT_FALSE(statements.has_deallocations());
    (void)a;
}

TEST(PreparedStatements, CapacityZeroTurnsItOffAndDeallocatesAll) {
    PreparedStatements statements;
    statements.use("a", 0, 4);
    statements.use("b", 0, 4);
    auto off = statements.use("a", 0, 0);
    EXPECT_TRUE(off.name.empty());
    EXPECT_FALSE(off.prepare);
    EXPECT_EQ(statements.size(), 0u);
    EXPECT_EQ(statements.take_deallocations(8).size(), 2u);
}

TEST(PreparedStatements, ShrunkCapacityKeepsTheOneInUse) {
    PreparedStatements statements;
    auto a = statements.use("a", 0, 3);
    statements.use("b", 0, 3);
    statements.use("c", 0, 3);
    auto again = statements.use("a", 0, 1);
    EXPECT_FALSE(again.prepare);
    EXPECT_EQ(again.name, a.name);
    EXPECT_EQ(statements.size(), 1u);
    EXPECT_EQ(statements.take_deallocations(1).size(), 1u);
    EXPECT_EQ(statements.take_deallocations(8).size(), 1u);
}

TEST(PreparedStatements, UnsettledParseIsForgottenWhenThePipelineFailed) {
    PreparedStatements statements;
    auto a = statements.use("a", 0, 4);
    statements.settle(false);
    EXPECT_EQ(statements.size(), 0u);
    // Prepared again before its DEALLOCATE went out: another name.
    auto again = statements.use("a", 0, 4);
    EXPECT_TRUE(again.prepare);
    EXPECT_NE(again.name, a.name);
    auto names = statements.take_deallocations(8);
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0], a.name);
}

TEST(PreparedStatements, NamesFollowTheKey) {
    PreparedStatements one, other;
    auto a = one.use("SELECT $1", 1, 4);
    EXPECT_EQ(a.name.rfind(PreparedStatements::kNamePrefix, 0), 0u);
    EXPECT_EQ(other.use("SELECT $1", 1, 4).name, a.name);
    EXPECT_NE(other.use("SELECT $1", 2, 4).name, a.name);
    // Its DEALLOCATE sent, the key takes its own name again.
    one.forget("SELECT $1", 1);
    EXPECT_EQ(one.take_deallocations(8).size(), 1u);
    EXPECT_EQ(one.use("SELECT $1", 1, 4).name, a.name);
}

TEST(PreparedStatements, ConfirmedSurvivesAFailedPipeline) {
    PreparedStatements statements;
    auto a = statements.use("a", 0, 4);
    statements.confirm(a.name);
    statements.settle(false);
    EXPECT_FALSE(statements.use("a", 0, 4).prepare);
}

TEST(PreparedStatements, DroppedParseNeedsNoDeallocation) {
    PreparedStatements statements;
    auto a = statements.use("bad sql", 0, 4);
    statements.drop(a.name);
    EXPECT_EQ(statements.size(), 0u);
    EXPECT_FALSE(statements.has_deallocations());
}

TEST(PreparedStatements, ForgetDeallocatesAndPreparesAnew) {
    PreparedStatements statements;
    auto a = statements.use("a", 0, 4);
    statements.confirm(a.name);
    statements.forget("a", 0);
    auto again = statements.use("a", 0, 4);
    EXPECT_TRUE(again.prepare);
    EXPECT_NE(again.name, a.name);  // its DEALLOCATE has not gone out yet
    EXPECT_EQ(statements.take_deallocations(8).size(), 1u);
}

TEST(PreparedStatements, ClearForgetsEverything) {
    PreparedStatements statements;
    statements.use("a", 0, 1);
    statements.use("b", 0, 1);
    statements.clear();
    EXPECT_EQ(statements.size(), 0u);
    EXPECT_FALSE(statements.has_deallocations());
    EXPECT_TRUE(statements.use("a", 0, 1).prepare);
}

}  // namespace
}  // namespace mq
