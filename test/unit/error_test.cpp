#include "core/error.hpp"

#include <gtest/gtest.h>

namespace mq {
namespace {

TEST(Error, CarriesEveryPartOfAReport) {
    try {
        throw Error("22023", "bad value", "the detail", "the hint");
    } catch (const std::exception& e) {
        const auto* error = dynamic_cast<const Error*>(&e);
        ASSERT_NE(error, nullptr);
        EXPECT_STREQ(error->what(), "bad value");
        EXPECT_EQ(error->sqlstate(), "22023");
        EXPECT_EQ(error->detail(), "the detail");
        EXPECT_EQ(error->hint(), "the hint");
    }
}

TEST(Error, GathersContextLinesInnermostFirst) {
    Error error("42P01", "relation \"t\" does not exist");
    EXPECT_EQ(error.context(), "");
    error.add_context("PL/pgSQL function f() line 3 at SQL statement")
        .add_context("race target \"standby\", remote SQL command: SELECT f()");
    EXPECT_EQ(error.context(),
              "PL/pgSQL function f() line 3 at SQL statement\n"
              "race target \"standby\", remote SQL command: SELECT f()");
}

}  // namespace
}  // namespace mq
