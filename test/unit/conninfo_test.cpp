// Connection-string recognition and password redaction.
#include "core/conninfo.hpp"

#include <gtest/gtest.h>

namespace {

TEST(LooksLikeConninfo, KeywordValueAndUrisAreConninfo) {
    EXPECT_TRUE(mq::looks_like_conninfo("host=127.0.0.1 port=5432"));
    EXPECT_TRUE(mq::looks_like_conninfo("dbname=x"));
    EXPECT_TRUE(mq::looks_like_conninfo("postgresql://h/db"));
    EXPECT_TRUE(mq::looks_like_conninfo("postgres://h"));
}

TEST(LooksLikeConninfo, PlainNamesAreServers) {
    EXPECT_FALSE(mq::looks_like_conninfo("main_primary"));
    EXPECT_FALSE(mq::looks_like_conninfo("Replica 2"));
    EXPECT_FALSE(mq::looks_like_conninfo(""));
}

TEST(RedactConninfo, RemovesKeywordPasswords) {
    EXPECT_EQ(mq::redact_conninfo("host=a password=secret port=1"),
              "host=a password=*** port=1");
    EXPECT_EQ(mq::redact_conninfo("host=a PASSWORD = 'se cr\\'et' user=u"),
              "host=a PASSWORD = *** user=u");
    EXPECT_EQ(mq::redact_conninfo("sslpassword=k host=a"), "sslpassword=*** host=a");
}

TEST(RedactConninfo, LeavesStringsWithoutPasswordsAlone) {
    EXPECT_EQ(mq::redact_conninfo("host=127.0.0.1 port=5432 dbname='my db'"),
              "host=127.0.0.1 port=5432 dbname='my db'");
}

TEST(RedactConninfo, UnparsableStringsRevealNothing) {
    EXPECT_EQ(mq::redact_conninfo("host=a password='unterminated"), "<invalid connection string>");
    EXPECT_EQ(mq::redact_conninfo("host=a secret"), "<invalid connection string>");
    EXPECT_EQ(mq::redact_conninfo("=x"), "<invalid connection string>");
}

TEST(RedactConninfo, RemovesUriPasswords) {
    EXPECT_EQ(mq::redact_conninfo("postgresql://u:pw@h:5432/db"), "postgresql://u:***@h:5432/db");
    EXPECT_EQ(mq::redact_conninfo("postgres://u@h/db?password=pw&sslmode=off"),
              "postgres://u@h/db?password=***&sslmode=off");
    EXPECT_EQ(mq::redact_conninfo("postgresql://h"), "postgresql://h");
    EXPECT_EQ(mq::redact_conninfo("postgresql://u:p@w@h?x=1&Password=z"),
              "postgresql://u:***@h?x=1&Password=***");
}

}  // namespace
