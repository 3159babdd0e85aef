#include "core/queue_batch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

using mq::queue::stream_batch;
using mq::queue::StreamBatch;
using mq::resp::Reply;
using mq::resp::ReplyParser;

namespace {

std::string bulk(const std::string& text) {
    return "$" + std::to_string(text.size()) + "\r\n" + text + "\r\n";
}

Reply parse(const std::string& bytes) {
    ReplyParser parser;
    parser.feed(bytes);
    return *parser.next();
}

}  // namespace

TEST(QueueBatch, ReadsEntriesInPlace) {
    std::string reply = "*1\r\n*2\r\n" + bulk("events") + "*3\r\n" +
                        "*2\r\n" + bulk("1-0") + "*4\r\n" + bulk("table") + bulk("t") +
                        bulk("row") + bulk(R"({"id": 1})") +
                        // Trimmed away while pending: an id without fields.
                        "*2\r\n" + bulk("2-0") + "$-1\r\n" +
                        // An odd field count: the last name has no value and is dropped.
                        "*2\r\n" + bulk("3-0") + "*3\r\n" + bulk("table") + bulk("u") + bulk("row");
    StreamBatch batch = stream_batch(parse(reply));
    ASSERT_EQ(batch.entries.size(), 3u);
    EXPECT_EQ(batch.entries[0].id, "1-0");
    ASSERT_EQ(batch.entries[0].fields.size(), 2u);
    EXPECT_EQ(batch.entries[0].fields[1].first, "row");
    EXPECT_EQ(batch.entries[0].fields[1].second, R"({"id": 1})");
    EXPECT_FALSE(batch.entries[0].deleted);
    EXPECT_EQ(batch.entries[1].id, "2-0");
    EXPECT_TRUE(batch.entries[1].deleted);
    EXPECT_TRUE(batch.entries[1].fields.empty());
    EXPECT_EQ(batch.entries[2].fields.size(), 1u);

    // The views point into the reply's bytes, which a move of the batch keeps.
    const char* bytes = batch.entries[0].id.data();
    StreamBatch moved = std::move(batch);
    EXPECT_EQ(moved.entries[0].id.data(), bytes);
    EXPECT_EQ(moved.entries[0].fields[0].second, "t");
}

TEST(QueueBatch, ReadsNothingFromNilOrOtherShapes) {
    EXPECT_TRUE(stream_batch(parse("*-1\r\n")).entries.empty());  // XREADGROUP: nothing new
    EXPECT_TRUE(stream_batch(parse("+OK\r\n")).entries.empty());
    EXPECT_TRUE(stream_batch(parse("*1\r\n*1\r\n" + bulk("events"))).entries.empty());
    // Elements that are not entries are passed over.
    StreamBatch odd = stream_batch(parse("*1\r\n*2\r\n" + bulk("s") + "*3\r\n:1\r\n*0\r\n*1\r\n" +
                                         bulk("4-0")));
    ASSERT_EQ(odd.entries.size(), 1u);
    EXPECT_EQ(odd.entries[0].id, "4-0");
    EXPECT_TRUE(odd.entries[0].deleted);
}

// A reply cut for its budget: the entry the budget ran out in is cut (its
// first names and values kept), the entries after it are not held, and the
// batch says so, so that they are read again.
TEST(QueueBatch, MarksAnEntryCutAfterTheBudgetAndTheReplyCutShort) {
    std::string many = "*100000\r\n";
    for (int i = 0; i < 100000; ++i)
        many += bulk("f");
    std::string reply = "*1\r\n*2\r\n" + bulk("events") + "*3\r\n" +
                        "*2\r\n" + bulk("1-0") + "*4\r\n" + bulk("table") + bulk("t") +
                        bulk("row") + bulk("{}") +
                        "*2\r\n" + bulk("2-0") + many +
                        "*2\r\n" + bulk("3-0") + "*2\r\n" + bulk("table") + bulk("t");
    ReplyParser parser;
    parser.set_limits({1024 * 1024, 256 * 1024});
    parser.feed(reply);
    StreamBatch batch = stream_batch(*parser.next());
    ASSERT_EQ(batch.entries.size(), 2u);
    EXPECT_TRUE(batch.cut_short);
    EXPECT_EQ(batch.entries[0].cut, mq::resp::Cut::kWhole);
    const auto& cut = batch.entries[1];
    EXPECT_EQ(cut.id, "2-0");
    EXPECT_EQ(cut.cut, mq::resp::Cut::kOverBudget);
    EXPECT_EQ(cut.fields.size(), mq::queue::kCutEntryFields / 2);
    EXPECT_EQ(cut.bytes, 100000u);  // every name and value, held or read past
    EXPECT_EQ(mq::queue::judgeable_entries(batch), 1u);
    EXPECT_TRUE(mq::queue::must_read_again(batch, 1));

    // First in its read, the same entry is judged (and is a dead letter).
    ReplyParser alone;
    alone.set_limits({1024 * 1024, 256 * 1024});
    alone.feed("*1\r\n*2\r\n" + bulk("events") + "*1\r\n*2\r\n" + bulk("2-0") + many);
    StreamBatch first = stream_batch(*alone.next());
    ASSERT_EQ(first.entries.size(), 1u);
    EXPECT_EQ(first.entries[0].cut, mq::resp::Cut::kOverBudget);
    EXPECT_EQ(mq::queue::judgeable_entries(first), 1u);
}

// Cut exactly between two entries: every entry held is whole, and the
// batch still says the reply held no more.
TEST(QueueBatch, SaysAReplyCutBetweenEntriesIsShort) {
    std::string entries;
    for (int i = 1; i <= 50; ++i)
        entries += "*2\r\n" + bulk(std::to_string(i) + "-0") + "*2\r\n" + bulk("row") +
                   bulk(std::string(1000, 'v'));
    ReplyParser parser;
    parser.set_limits({1024 * 1024, 10 * 1024});
    parser.feed("*1\r\n*2\r\n" + bulk("events") + "*50\r\n" + entries);
    StreamBatch batch = stream_batch(*parser.next());
    ASSERT_LT(batch.entries.size(), 50u);
    EXPECT_TRUE(batch.cut_short);
    size_t judgeable = mq::queue::judgeable_entries(batch);
    EXPECT_GE(judgeable, 1u);
    EXPECT_TRUE(mq::queue::must_read_again(batch, judgeable));
}
