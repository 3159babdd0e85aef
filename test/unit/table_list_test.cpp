#include "core/table_list.hpp"

#include <gtest/gtest.h>

using mq::queue::parse_table_list;
using mq::queue::TableList;

TEST(TableList, EmptyTextIsTheEmptyList) {
    std::string error;
    auto list = parse_table_list("  ", &error);
    ASSERT_TRUE(list);
    EXPECT_FALSE(list->all);
    EXPECT_TRUE(list->names.empty());
    EXPECT_FALSE(list->contains("public", "t"));
}

TEST(TableList, NamesAreFoldedAsSqlFoldsThem) {
    std::string error;
    auto list = parse_table_list(" Cron.Job ,\"My Schema\".\"T\"\"x\", a . b_1$", &error);
    ASSERT_TRUE(list) << error;
    EXPECT_FALSE(list->all);
    EXPECT_TRUE(list->contains("cron", "job"));
    EXPECT_FALSE(list->contains("Cron", "Job"));
    EXPECT_TRUE(list->contains("My Schema", "T\"x"));
    EXPECT_TRUE(list->contains("a", "b_1$"));
    EXPECT_FALSE(list->contains("public", "job"));
}

TEST(TableList, StarIsEveryTable) {
    std::string error;
    auto list = parse_table_list(" * ", &error);
    ASSERT_TRUE(list);
    EXPECT_TRUE(list->all);
    EXPECT_TRUE(list->contains("anything", "at_all"));
}

TEST(TableList, RefusesWhatIsNotSchemaQualifiedNames) {
    for (const char* bad : {"job", "a.b.c", "a.", ".b", "\"a.b", "a.b,", "a.b,,c.d", "*, a.b",
                            "a.b c.d", "\"\".b", "1a.b", "a;b"}) {
        std::string error;
        EXPECT_FALSE(parse_table_list(bad, &error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
}
