#include "core/sqlstate.hpp"

#include <gtest/gtest.h>

namespace mq {
namespace {

TEST(ClassifySqlstate, StatementErrorsAreDeterministic) {
    EXPECT_EQ(classify_sqlstate("42601"), FailureKind::kDeterministic);  // syntax_error
    EXPECT_EQ(classify_sqlstate("42703"), FailureKind::kDeterministic);  // undefined_column
    EXPECT_EQ(classify_sqlstate("22012"), FailureKind::kDeterministic);  // division_by_zero
    EXPECT_EQ(classify_sqlstate("22P02"), FailureKind::kDeterministic);  // invalid_text_repr.
    EXPECT_EQ(classify_sqlstate("23505"), FailureKind::kDeterministic);  // unique_violation
    EXPECT_EQ(classify_sqlstate("25006"), FailureKind::kDeterministic);  // read_only_sql_tx
    EXPECT_EQ(classify_sqlstate("P0001"), FailureKind::kDeterministic);  // raise_exception
}

TEST(ClassifySqlstate, ServerTroubleIsTransient) {
    EXPECT_EQ(classify_sqlstate("08006"), FailureKind::kTransient);  // connection_failure
    EXPECT_EQ(classify_sqlstate("57014"), FailureKind::kTransient);  // query_canceled
    EXPECT_EQ(classify_sqlstate("57P01"), FailureKind::kTransient);  // admin_shutdown
    EXPECT_EQ(classify_sqlstate("40001"), FailureKind::kTransient);  // recovery conflict
    EXPECT_EQ(classify_sqlstate("53300"), FailureKind::kTransient);  // too_many_connections
    EXPECT_EQ(classify_sqlstate("25P02"), FailureKind::kTransient);  // in_failed_sql_tx
    EXPECT_EQ(classify_sqlstate("XX000"), FailureKind::kTransient);  // internal_error
}

TEST(ClassifySqlstate, MalformedCodesAreTransient) {
    EXPECT_EQ(classify_sqlstate(""), FailureKind::kTransient);
    EXPECT_EQ(classify_sqlstate("42"), FailureKind::kTransient);
    EXPECT_EQ(classify_sqlstate("426011"), FailureKind::kTransient);
}

TEST(ServerStateSqlstate, ServerTroubleIsTheServers) {
    EXPECT_TRUE(is_server_state_sqlstate("08006"));  // connection_failure
    EXPECT_TRUE(is_server_state_sqlstate("53100"));  // disk_full
    EXPECT_TRUE(is_server_state_sqlstate("58030"));  // io_error
    EXPECT_TRUE(is_server_state_sqlstate("25006"));  // read_only_sql_transaction
    EXPECT_TRUE(is_server_state_sqlstate("57P01"));  // admin_shutdown
    EXPECT_TRUE(is_server_state_sqlstate("XX001"));  // data_corrupted
}

TEST(ServerStateSqlstate, WhatATableDoesIsNot) {
    // A table's trigger, rule or lock can raise these: after enough attempts
    // they are the entry's to bear, or one table stalls its whole stream.
    EXPECT_FALSE(is_server_state_sqlstate("40001"));  // serialization_failure
    EXPECT_FALSE(is_server_state_sqlstate("40P01"));  // deadlock_detected
    EXPECT_FALSE(is_server_state_sqlstate("55P03"));  // lock_not_available
    EXPECT_FALSE(is_server_state_sqlstate("57014"));  // query_canceled
    EXPECT_FALSE(is_server_state_sqlstate("XX000"));  // internal_error
    EXPECT_FALSE(is_server_state_sqlstate("42501"));
    EXPECT_FALSE(is_server_state_sqlstate(""));
}

}  // namespace
}  // namespace mq
