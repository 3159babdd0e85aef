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
    // libpq ends the user info at the first '@': the host is "w@h".
    EXPECT_EQ(mq::redact_conninfo("postgresql://u:p@w@h?x=1&Password=z"),
              "postgresql://u:***@w@h?x=1&Password=***");
}

TEST(RedactConninfo, UriPasswordsMayHoldQueryAndFragmentCharacters) {
    // libpq looks for the user info's '@' up to the first '/', not '?'.
    EXPECT_EQ(mq::redact_conninfo("postgresql://u:pa?ss@host/db"), "postgresql://u:***@host/db");
    EXPECT_EQ(mq::redact_conninfo("postgresql://u:a?b#c%40d@h:5432/db?sslmode=off"),
              "postgresql://u:***@h:5432/db?sslmode=off");
    EXPECT_EQ(mq::redact_conninfo("postgres://u:x:y?z@h1,h2:5433"), "postgres://u:***@h1,h2:5433");
    EXPECT_EQ(mq::redact_conninfo("postgresql://:pw@h"), "postgresql://:***@h");
    EXPECT_EQ(mq::redact_conninfo("postgresql://u:pw?@"), "postgresql://u:***@");
}

TEST(RedactConninfo, UriUserWithoutPasswordIsKept) {
    EXPECT_EQ(mq::redact_conninfo("postgresql://u@h/db?application_name=a@b"),
              "postgresql://u@h/db?application_name=a@b");
    EXPECT_EQ(mq::redact_conninfo("postgresql://h/db?user=u%40x"), "postgresql://h/db?user=u%40x");
}

TEST(RedactConninfo, PasswordWithSlashIsMaskedUpToTheLastAt) {
    // libpq reads no user info here (host "u", port "pa"): a person meant one.
    EXPECT_EQ(mq::redact_conninfo("postgresql://u:pa/ss@h/db?x=1"), "postgresql://***@h/db?x=1");
}

TEST(AmbiguousUriUserInfo, AnAtAfterTheFirstSlashIsAmbiguous) {
    EXPECT_TRUE(mq::ambiguous_uri_user_info("postgresql://u:pa/ss@h/db"));
    EXPECT_TRUE(mq::ambiguous_uri_user_info("postgres://h/db@x"));
    EXPECT_FALSE(mq::ambiguous_uri_user_info("postgresql://u:pa?ss@h/db"));
    EXPECT_FALSE(mq::ambiguous_uri_user_info("postgresql://h/db?application_name=a@b"));
    EXPECT_FALSE(mq::ambiguous_uri_user_info("postgresql://h/db"));
    EXPECT_FALSE(mq::ambiguous_uri_user_info("host=a password=p/q@r"));
}

TEST(RedactConninfo, PercentEncodedUriKeysAreDecoded) {
    EXPECT_EQ(mq::redact_conninfo("postgresql://h/db?pass%77ord=x&a=1"),
              "postgresql://h/db?pass%77ord=***&a=1");
    EXPECT_EQ(mq::redact_conninfo("postgresql://h/db?%70%61%73%73%77%6F%72%64=x"),
              "postgresql://h/db?%70%61%73%73%77%6F%72%64=***");
    EXPECT_EQ(mq::redact_conninfo("postgresql://h?sslpass%77ord=k%zz"),
              "postgresql://h?sslpass%77ord=***");
    EXPECT_EQ(mq::redact_conninfo("postgresql://h?password=a=b&user=u"),
              "postgresql://h?password=***&user=u");
}

TEST(RedactConninfo, UndecodableUriKeysHideTheirValues) {
    EXPECT_EQ(mq::redact_conninfo("postgresql://h?pass%zzord=x&a=1"),
              "postgresql://h?pass%zzord=***&a=1");
    EXPECT_EQ(mq::redact_conninfo("postgresql://h?pass%00word=x"), "postgresql://h?pass%00word=***");
    EXPECT_EQ(mq::redact_conninfo("postgresql://h?password%7=x"), "postgresql://h?password%7=***");
}

TEST(RedactConninfo, KeywordValuePasswordsWithSpecialCharacters) {
    EXPECT_EQ(mq::redact_conninfo("host=a password=pa?ss#w@rd port=1"),
              "host=a password=*** port=1");
    EXPECT_EQ(mq::redact_conninfo("host=a password='p w?#@' port=1"), "host=a password=*** port=1");
    EXPECT_EQ(mq::redact_conninfo("host=a password=p\\ w port=1"), "host=a password=*** port=1");
    EXPECT_EQ(mq::redact_conninfo("password=x"), "password=***");
}

}  // namespace
