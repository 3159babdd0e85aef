#include "core/queue_entry.hpp"

#include <gtest/gtest.h>

using mq::queue::detail_naming_table;
using mq::queue::EntryFields;
using mq::queue::EntryProblem;
using mq::queue::KeySets;
using mq::queue::entry_retry_of;
using mq::queue::read_entry;

namespace {

KeySets key_sets;

EntryProblem problem_of(const EntryFields& fields, size_t max_bytes = 0) {
    EntryProblem problem;
    EXPECT_FALSE(read_entry(fields, max_bytes, &key_sets, &problem));
    return problem;
}

}  // namespace

TEST(QueueEntry, ReadsRowAndRows) {
    EntryFields one{{"table", "app.events"}, {"row", R"({"id": 1})"}, {"source", "ignored"}};
    EntryProblem problem;
    auto entry = read_entry(one, 0, &key_sets, &problem);
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->table, "app.events");
    EXPECT_FALSE(entry->many);
    ASSERT_EQ(entry->rows.size(), 1u);
    EXPECT_FALSE(entry->retry_of);

    EntryFields many{{"rows", R"([{"id": 1}, {"id": 2, "v": 3}])"}, {"table", "t"}, {"retry_of", "17"}};
    entry = read_entry(many, 0, &key_sets, &problem);
    ASSERT_TRUE(entry);
    EXPECT_TRUE(entry->many);
    EXPECT_EQ(entry->rows.size(), 2u);
    EXPECT_EQ(*entry->retry_of, 17);
}

TEST(QueueEntry, RefusesMissingDuplicateAndEmptyFields) {
    EXPECT_EQ(problem_of({{"row", "{}"}}).message, "entry has no \"table\" field");
    EXPECT_EQ(problem_of({{"table", "t"}}).sqlstate, "22023");
    EXPECT_EQ(problem_of({{"table", ""}, {"row", "{}"}}).sqlstate, "22023");
    EXPECT_EQ(problem_of({{"table", "t"}, {"row", "{}"}, {"rows", "[]"}}).sqlstate, "22023");
    EXPECT_EQ(problem_of({{"table", "t"}, {"table", "u"}, {"row", "{}"}}).sqlstate, "22023");
    EXPECT_EQ(problem_of({{"table", "t"}, {"row", "{}"}, {"retry_of", "x"}}).sqlstate, "22023");
    EXPECT_EQ(problem_of({}).sqlstate, "22023");
}

TEST(QueueEntry, FindsTheLetterAnInvalidEntryResends) {
    // Whatever else is wrong with the entry, its letter is known, so that a
    // retry that fails its checks again replaces the letter.
    EXPECT_EQ(entry_retry_of({{"row", "not json"}, {"retry_of", "17"}}), 17);
    EXPECT_EQ(entry_retry_of({{"retry_of", "3"}}), 3);
    EXPECT_FALSE(entry_retry_of({{"table", "t"}, {"row", "{}"}}));
    EXPECT_FALSE(entry_retry_of({{"retry_of", "x"}}));
    EXPECT_FALSE(entry_retry_of({{"retry_of", "0"}}));
    EXPECT_FALSE(entry_retry_of({{"retry_of", "1"}, {"retry_of", "2"}}));
}

TEST(QueueEntry, RefusesInvalidJsonAndOversizedEntries) {
    auto bad = problem_of({{"table", "t"}, {"row", "{\"a\": }"}});
    EXPECT_EQ(bad.sqlstate, "22P02");
    EXPECT_NE(bad.message.find("invalid JSON in the \"row\" field"), std::string::npos);
    EXPECT_EQ(problem_of({{"table", "t"}, {"rows", "{\"a\": 1}"}}).sqlstate, "22P02");
    std::string row = "{\"a\": \"" + std::string(2000, 'x') + "\"}";
    EntryFields big{{"table", "t"}, {"row", row}};
    EXPECT_EQ(problem_of(big, 1000).sqlstate, "54000");
    EntryProblem problem;
    EXPECT_TRUE(read_entry(big, 4000, &key_sets, &problem));
}

TEST(QueueEntry, DeadLetterDetailNamesTheTableWhenTheMessageDoesNot) {
    EXPECT_EQ(detail_naming_table("canceling statement due to lock timeout", "", "app.events",
                                  "events"),
              "The entry is for table app.events.");
    EXPECT_EQ(detail_naming_table("duplicate key value violates unique constraint \"events_pkey\"",
                                  "Key (id)=(1) already exists.", "app.events", "events"),
              "Key (id)=(1) already exists.\nThe entry is for table app.events.");
}

TEST(QueueEntry, DeadLetterDetailIsKeptWhenTheMessageNamesTheTable) {
    EXPECT_EQ(detail_naming_table("new row for relation \"events\" violates check constraint \"c\"",
                                  "Failing row contains (1).", "app.events", "events"),
              "Failing row contains (1).");
    EXPECT_EQ(detail_naming_table("permission denied for table app.events", "", "app.events",
                                  "events"),
              "");
}
