#include "core/sql_quote.hpp"

#include <gtest/gtest.h>

namespace mq {
namespace {

bool reserved(const std::string& word) {
    return word == "select" || word == "order";
}

TEST(QuoteIdentifier, LeavesPlainLowerCaseNamesBare) {
    EXPECT_EQ(quote_identifier("docs", reserved), "docs");
    EXPECT_EQ(quote_identifier("_doc_2", reserved), "_doc_2");
}

TEST(QuoteIdentifier, QuotesWhatWouldNotReadBackAsTheSameName) {
    EXPECT_EQ(quote_identifier("Doc", reserved), "\"Doc\"");
    EXPECT_EQ(quote_identifier("2docs", reserved), "\"2docs\"");
    EXPECT_EQ(quote_identifier("doc id", reserved), "\"doc id\"");
    EXPECT_EQ(quote_identifier("", reserved), "\"\"");
    EXPECT_EQ(quote_identifier("caf\xc3\xa9", reserved), "\"caf\xc3\xa9\"");
}

TEST(QuoteIdentifier, QuotesKeywordsTheCallerNames) {
    EXPECT_EQ(quote_identifier("order", reserved), "\"order\"");
    EXPECT_EQ(quote_identifier("title", reserved), "title");
    EXPECT_EQ(quote_identifier("order", nullptr), "order");
}

TEST(QuoteIdentifier, DoublesInnerDoubleQuotes) {
    EXPECT_EQ(quote_identifier("a\"b", reserved), "\"a\"\"b\"");
    EXPECT_EQ(quote_identifier("\"; DROP TABLE x; --", reserved),
              "\"\"\"; DROP TABLE x; --\"");
}

TEST(QuoteLiteral, DoublesSingleQuotes) {
    EXPECT_EQ(quote_literal("abc"), "'abc'");
    EXPECT_EQ(quote_literal(""), "''");
    EXPECT_EQ(quote_literal("it's"), "'it''s'");
    EXPECT_EQ(quote_literal("'; DROP TABLE docs; --"), "'''; DROP TABLE docs; --'");
}

TEST(QuoteLiteral, WritesBackslashesAsAnEscapeString) {
    EXPECT_EQ(quote_literal("a\\b"), "E'a\\\\b'");
    EXPECT_EQ(quote_literal("\\'"), "E'\\\\'''");
}

}  // namespace
}  // namespace mq
