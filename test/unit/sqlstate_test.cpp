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

}  // namespace
}  // namespace mq
