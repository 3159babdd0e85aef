// Judging a target's failure and reporting the failure of a whole race.
#include "core/race_failure.hpp"

#include <gtest/gtest.h>

namespace {

using Kind = mq::TargetFailure::Kind;

TEST(ClassifyRemoteError, AProtocolErrorTheSessionSurvivedIsTheCallersFault) {
    // 08P01 at ERROR level, the session going on: the params do not match the $n.
    EXPECT_EQ(mq::classify_remote_error("08P01", true), mq::FailureKind::kDeterministic);
    // The same code ending the session (FATAL, or the connection gone) is the server's.
    EXPECT_EQ(mq::classify_remote_error("08P01", false), mq::FailureKind::kTransient);
}

TEST(ClassifyRemoteError, OtherwiseFollowsTheSqlstateAlone) {
    for (bool survived : {true, false}) {
        EXPECT_EQ(mq::classify_remote_error("22012", survived), mq::FailureKind::kDeterministic);
        EXPECT_EQ(mq::classify_remote_error("57P01", survived), mq::FailureKind::kTransient);
        EXPECT_EQ(mq::classify_remote_error("25006", survived), mq::FailureKind::kDeterministic);
        // COMMIT in a DO block or procedure inside race_query's transaction block.
        EXPECT_EQ(mq::classify_remote_error("2D000", survived), mq::FailureKind::kDeterministic);
        // VACUUM and the like, which cannot run inside it.
        EXPECT_EQ(mq::classify_remote_error("25001", survived), mq::FailureKind::kDeterministic);
    }
}

TEST(RemoteErrorHint, ExplainsTheOnesItsSqlstateIdentifies) {
    EXPECT_NE(mq::remote_error_hint("08P01", true), "");
    EXPECT_EQ(mq::remote_error_hint("08P01", false), "");
    EXPECT_NE(mq::remote_error_hint("25006", true), "");
    EXPECT_NE(mq::remote_error_hint("2D000", true), "");
    EXPECT_NE(mq::remote_error_hint("25001", true), "");
    // 42601 covers every syntax error: no hint can be told from it alone.
    EXPECT_EQ(mq::remote_error_hint("42601", true), "");
    EXPECT_EQ(mq::remote_error_hint("22012", true), "");
}

TEST(OneLine, JoinsLinesWithASemicolonAndDropsTrailingNewlines) {
    // libpq's own two lines: run together with a space they read as one sentence.
    EXPECT_EQ(mq::one_line("connection to server at \"127.0.0.1\", port 1 failed: Connection "
                           "refused\n\tIs the server running on that host and accepting TCP/IP "
                           "connections?\n"),
              "connection to server at \"127.0.0.1\", port 1 failed: Connection refused; Is the "
              "server running on that host and accepting TCP/IP connections?");
    EXPECT_EQ(mq::one_line("ERROR:  out of memory\r\nDETAIL:  Failed on request.\n"),
              "ERROR:  out of memory; DETAIL:  Failed on request.");
    EXPECT_EQ(mq::one_line("first\n\n  \n\tsecond"), "first; second");
    EXPECT_EQ(mq::one_line("one line, kept\twhole"), "one line, kept\twhole");
    EXPECT_EQ(mq::one_line("\n\n"), "");
    EXPECT_EQ(mq::one_line(""), "");
}

TEST(SummarizeRaceFailure, AllConnectionProblemsAre08006) {
    auto report = mq::summarize_race_failure({
        {"a", Kind::kConnection, "", "connection refused"},
        {"b", Kind::kBackedOff, "", "backed off"},
    });
    EXPECT_EQ(report.sqlstate, "08006");
    EXPECT_EQ(report.message, "race_query failed: all 2 targets failed");
    EXPECT_EQ(report.detail, "a: connection refused\nb: backed off");
}

TEST(SummarizeRaceFailure, ATimeoutIs57014) {
    auto report = mq::summarize_race_failure({
        {"a", Kind::kConnection, "", "refused"},
        {"b", Kind::kTimeout, "", "no answer within 100 ms"},
    });
    EXPECT_EQ(report.sqlstate, "57014");
    EXPECT_NE(report.message.find("timed out"), std::string::npos);
}

TEST(SummarizeRaceFailure, ARemoteErrorKeepsItsSqlstate) {
    auto report = mq::summarize_race_failure({
        {"a", Kind::kConnection, "", "refused"},
        {"b", Kind::kRemote, "57P01", "terminating connection due to administrator command"},
    });
    EXPECT_EQ(report.sqlstate, "57P01");
    auto single = mq::summarize_race_failure({{"only", Kind::kConnection, "", "refused"}});
    EXPECT_EQ(single.message, "race_query failed: its only target failed");
}

TEST(SummarizeRaceFailure, ARacedTableReadIsNamedByItsSubject) {
    const char* subject = "raced read of foreign table \"raced.docs\"";
    auto failed = mq::summarize_race_failure(
        {{"a", Kind::kConnection, "", "refused"}, {"b", Kind::kConnection, "", "refused"}},
        subject);
    EXPECT_EQ(failed.message,
              "raced read of foreign table \"raced.docs\" failed: all 2 targets failed");
    EXPECT_EQ(failed.sqlstate, "08006");
    auto timed_out = mq::summarize_race_failure({{"a", Kind::kTimeout, "", "no answer"}}, subject);
    EXPECT_EQ(timed_out.message,
              "raced read of foreign table \"raced.docs\" timed out: no target answered");
}

}  // namespace

namespace {

TEST(SummarizeRaceFailure, NoFreshTargetSaysSo) {
    auto report = mq::summarize_race_failure(
        {{"replica", mq::TargetFailure::Kind::kStale, "", "stale: replayed 0/10 < min_lsn 0/20"},
         {"primary", mq::TargetFailure::Kind::kConnection, "", "connection refused"}});
    EXPECT_EQ(report.sqlstate, "55000");
    EXPECT_EQ(report.message, "race_query failed: no target was fresh enough");
    EXPECT_EQ(report.detail,
              "replica: stale: replayed 0/10 < min_lsn 0/20\nprimary: connection refused");
}

TEST(SummarizeRaceFailure, ARemoteErrorOutranksStaleness) {
    auto report = mq::summarize_race_failure(
        {{"replica", mq::TargetFailure::Kind::kStale, "", "stale"},
         {"primary", mq::TargetFailure::Kind::kRemote, "40001", "conflict"}});
    EXPECT_EQ(report.sqlstate, "40001");
}

}  // namespace
