#include "core/resp.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using mq::resp::ProtocolError;
using mq::resp::Reply;
using mq::resp::ReplyParser;
using mq::resp::Type;
using mq::resp::Value;

namespace {

// A value written out whole, so that two parses can be compared at once.
std::string dump(const Value& value) {
    std::string out;
    switch (value.type()) {
        case Type::kNil:
            return "nil";
        case Type::kInteger:
            return ":" + std::to_string(value.integer());
        case Type::kStatus:
            out = "+";
            break;
        case Type::kError:
            out = "-";
            break;
        case Type::kString:
            out = "$";
            break;
        case Type::kArray:
            out = "[";
            for (size_t i = 0; i < value.size(); ++i)
                out += (i ? "," : "") + dump(value[i]);
            return out + "]";
    }
    for (unsigned char c : value.text())
        out += c >= 32 && c < 127 ? std::string(1, static_cast<char>(c))
                                  : "\\" + std::to_string(c);
    return out;
}

std::string dump(const Reply& reply) {
    return dump(reply.value());
}

// Feeds bytes in pieces of the given sizes (the last piece takes the rest)
// and collects every reply, reading after each piece.
std::vector<std::string> parse_in_pieces(const std::string& bytes,
                                         const std::vector<size_t>& pieces) {
    ReplyParser parser;
    std::vector<std::string> replies;
    size_t at = 0;
    for (size_t i = 0; at < bytes.size(); ++i) {
        size_t piece = i < pieces.size() ? pieces[i] : bytes.size() - at;
        piece = std::min(piece, bytes.size() - at);
        parser.feed(std::string_view(bytes).substr(at, piece));
        at += piece;
        while (auto reply = parser.next())
            replies.push_back(dump(*reply));
    }
    return replies;
}

std::vector<std::string> parse_whole(const std::string& bytes) {
    return parse_in_pieces(bytes, {});
}

std::vector<std::string> parse_bytewise(const std::string& bytes) {
    return parse_in_pieces(bytes, std::vector<size_t>(bytes.size(), 1));
}

// The reply Redis gives to XREADGROUP ... STREAMS <stream> > for entries of
// the shape the drain reads (table, row).
std::string xreadgroup_reply(int entries) {
    auto bulk = [](const std::string& s) {
        return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
    };
    std::string out = "*1\r\n*2\r\n" + bulk("events") + "*" + std::to_string(entries) + "\r\n";
    for (int i = 0; i < entries; ++i) {
        std::string row = R"({"id": )" + std::to_string(i) +
                          R"(, "kind": "click", "payload": ")" + std::string(150, 'x') + "\"}";
        out += "*2\r\n" + bulk("1700000000000-" + std::to_string(i)) + "*4\r\n" +
               bulk("table") + bulk("events") + bulk("row") + bulk(row);
    }
    return out;
}

// The message of the ProtocolError that bytes, fed whole, raise.
std::string protocol_error(const std::string& bytes) {
    ReplyParser parser;
    parser.feed(bytes);
    try {
        while (parser.next()) {
        }
    } catch (const ProtocolError& e) {
        // Nothing after a malformed reply is trusted: the error stays.
        EXPECT_THROW(parser.next(), ProtocolError);
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(Resp, ReadsEveryType) {
    ReplyParser parser;
    parser.feed("+OK\r\n-ERR no such key\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n");
    Reply status = *parser.next();
    EXPECT_EQ(status.type(), Type::kStatus);
    EXPECT_EQ(status.text(), "OK");
    Reply error = *parser.next();
    EXPECT_EQ(error.type(), Type::kError);
    EXPECT_EQ(error.text(), "ERR no such key");
    Reply integer = *parser.next();
    EXPECT_EQ(integer.type(), Type::kInteger);
    EXPECT_EQ(integer.integer(), 42);
    EXPECT_EQ(integer.text(), "42");
    EXPECT_EQ(parser.next()->integer(), -7);
    Reply string = *parser.next();
    EXPECT_EQ(string.type(), Type::kString);
    EXPECT_EQ(string.text(), "hello");
    Reply empty = *parser.next();
    EXPECT_EQ(empty.type(), Type::kString);
    EXPECT_EQ(empty.text(), "");
    EXPECT_TRUE(parser.next()->is_nil());  // nil bulk string
    EXPECT_TRUE(parser.next()->is_nil());  // nil array
    EXPECT_FALSE(parser.next());
}

TEST(Resp, ReadsIntegerLimits) {
    ReplyParser parser;
    parser.feed(":9223372036854775807\r\n:-9223372036854775808\r\n");
    EXPECT_EQ(parser.next()->integer(), INT64_MAX);
    EXPECT_EQ(parser.next()->integer(), INT64_MIN);
}

TEST(Resp, ReadsNestedEmptyAndNilArrays) {
    ReplyParser parser;
    parser.feed("*4\r\n*2\r\n:1\r\n*1\r\n$3\r\nabc\r\n*0\r\n*-1\r\n+in\r\n");
    Reply reply = *parser.next();
    ASSERT_TRUE(reply.is_array());
    EXPECT_EQ(reply.size(), 4u);
    EXPECT_EQ(reply[0].size(), 2u);
    EXPECT_EQ(reply[0][0].integer(), 1);
    EXPECT_EQ(reply[0][1][0].text(), "abc");
    EXPECT_TRUE(reply[1].is_array());
    EXPECT_EQ(reply[1].size(), 0u);
    EXPECT_TRUE(reply[2].is_nil());
    EXPECT_EQ(reply[3].type(), Type::kStatus);
    EXPECT_EQ(dump(reply), "[[:1,[$abc]],[],nil,+in]");
}

TEST(Resp, ReadsAnUnexpectedShapeAsNils) {
    ReplyParser parser;
    parser.feed("*1\r\n$2\r\nab\r\n");
    Reply reply = *parser.next();
    EXPECT_TRUE(reply[1].is_nil());     // past the end
    EXPECT_TRUE(reply[0][0].is_nil());  // not an array
    EXPECT_EQ(reply[0].integer(), 0);   // not an integer
    EXPECT_EQ(reply.text(), "");        // an array has no text
    EXPECT_EQ(reply[5][2][1].size(), 0u);
    Reply none;
    EXPECT_TRUE(none.is_nil());
    EXPECT_TRUE(none[0].is_nil());
}

TEST(Resp, ReadsBinaryBulkStrings) {
    std::string value("a\r\n\0b\r\n", 7);
    ReplyParser parser;
    parser.feed("$7\r\n" + value + "\r\n");
    Reply reply = *parser.next();
    EXPECT_EQ(reply.text(), value);
    EXPECT_EQ(parse_bytewise("$7\r\n" + value + "\r\n"), parse_whole("$7\r\n" + value + "\r\n"));
}

TEST(Resp, ByteAtATimeReadsAsWhole) {
    std::string bytes = std::string("*5\r\n+OK\r\n*2\r\n$-1\r\n*0\r\n:-12\r\n$4\r\na\r\nb\r\n") +
                        "*1\r\n-ERR x\r\n" + "$-1\r\n:3\r\n";
    auto whole = parse_whole(bytes);
    ASSERT_EQ(whole.size(), 3u);
    EXPECT_EQ(whole[0], "[+OK,[nil,[]],:-12,$a\\13\\10b,[-ERR x]]");
    EXPECT_EQ(parse_bytewise(bytes), whole);
}

TEST(Resp, ReadsPipelinedRepliesFromOneFeed) {
    ReplyParser parser;
    parser.feed("+OK\r\n*2\r\n:1\r\n:2\r\n$3\r\nabc\r\n$5\r\nhel");
    EXPECT_EQ(dump(*parser.next()), "+OK");
    EXPECT_EQ(dump(*parser.next()), "[:1,:2]");
    EXPECT_EQ(dump(*parser.next()), "$abc");
    EXPECT_FALSE(parser.next());  // the fourth is begun, not whole
    parser.feed("lo\r\n");
    EXPECT_EQ(dump(*parser.next()), "$hello");
    EXPECT_FALSE(parser.next());
}

TEST(Resp, WaitsForTheLineFeedOfASplitCrlf) {
    for (std::string bytes : {"+OK\r\n", ":12\r\n", "$3\r\nabc\r\n", "*1\r\n$1\r\nx\r\n"}) {
        size_t last_cr = bytes.rfind('\r');
        ReplyParser parser;
        parser.feed(bytes.substr(0, last_cr + 1));
        EXPECT_FALSE(parser.next()) << bytes;
        parser.feed("\n");
        EXPECT_TRUE(parser.next()) << bytes;
        // And a split inside a length line's CRLF.
        ReplyParser split;
        split.feed(bytes.substr(0, bytes.find('\r') + 1));
        EXPECT_FALSE(split.next()) << bytes;
        split.feed(bytes.substr(bytes.find('\r') + 1));
        EXPECT_TRUE(split.next()) << bytes;
    }
}

TEST(Resp, RepliesOutliveTheParserAndMoves) {
    Reply kept;
    std::string_view text;
    {
        ReplyParser parser;
        parser.feed("*2\r\n$5\r\nfirst\r\n$6\r\nsecond\r\n+next\r\n");
        Reply reply = *parser.next();
        text = reply[1].text();
        kept = std::move(reply);
        EXPECT_EQ(dump(*parser.next()), "+next");  // the tail moved to a new buffer
    }
    Reply moved = std::move(kept);
    EXPECT_EQ(text, "second");
    EXPECT_EQ(moved[0].text(), "first");
}

TEST(Resp, ReceivesThroughRoomAndCommit) {
    ReplyParser parser;
    std::string bytes = xreadgroup_reply(3);
    ReplyParser::Room room = parser.room(bytes.size() + 100000);
    ASSERT_GE(room.size, bytes.size() + 100000);
    std::copy(bytes.begin(), bytes.end(), room.data);
    parser.commit(bytes.size());
    Reply reply = *parser.next();
    EXPECT_EQ(reply[0][1].size(), 3u);
    EXPECT_EQ(reply[0][1][2][0].text(), "1700000000000-2");
}

TEST(Resp, ReadsALargeReplyFedInRandomPieces) {
    std::string one = xreadgroup_reply(1000);
    ASSERT_GT(one.size(), 200000u);
    std::string bytes = one + "+OK\r\n" + one;
    auto whole = parse_whole(bytes);
    ASSERT_EQ(whole.size(), 3u);
    std::mt19937 random(20240601);
    for (int round = 0; round < 20; ++round) {
        std::uniform_int_distribution<size_t> size(1, round % 2 ? 64 : 70000);
        std::vector<size_t> pieces;
        for (size_t total = 0; total < bytes.size(); total += pieces.back())
            pieces.push_back(size(random));
        ASSERT_EQ(parse_in_pieces(bytes, pieces), whole) << "round " << round;
    }

    ReplyParser parser;
    parser.feed(one);
    Reply reply = *parser.next();
    Value entries = reply[0][1];
    ASSERT_EQ(entries.size(), 1000u);
    EXPECT_EQ(reply[0][0].text(), "events");
    EXPECT_EQ(entries[999][0].text(), "1700000000000-999");
    EXPECT_EQ(entries[999][1][3].text().substr(0, 12), R"({"id": 999, )");
}

TEST(Resp, RefusesUnknownAndResp3Types) {
    EXPECT_EQ(protocol_error("?\r\n"), "protocol error: invalid reply type byte 0x3f");
    EXPECT_EQ(protocol_error(std::string(1, '\0')), "protocol error: invalid reply type byte 0x00");
    EXPECT_EQ(protocol_error("*1\r\nhello\r\n"), "protocol error: invalid reply type byte 0x68");
    EXPECT_EQ(protocol_error("%1\r\n+a\r\n+b\r\n"),
              "protocol error: RESP3 reply type '%' is not supported (this client speaks RESP2)");
    EXPECT_NE(protocol_error("_\r\n").find("RESP3"), std::string::npos);
}

TEST(Resp, RefusesBadNumbers) {
    for (const char* bad : {"$abc\r\n", "$\r\n", "*1x\r\n", ":12a\r\n", ": 1\r\n", ":+1\r\n",
                            ":\r\n", ":-\r\n", ":99999999999999999999\r\n", "$ 3\r\nabc\r\n"})
        EXPECT_EQ(protocol_error(bad).find("protocol error: invalid "), 0u) << bad;
    EXPECT_EQ(protocol_error("$-2\r\n"), "protocol error: negative bulk string length -2");
    EXPECT_EQ(protocol_error("*-5\r\n"), "protocol error: negative array length -5");
    // A length line that never ends is refused before its CRLF comes.
    EXPECT_EQ(protocol_error("$" + std::string(40, '1')),
              "protocol error: bulk string length line longer than 32 bytes");
}

TEST(Resp, RefusesLengthsOverTheBounds) {
    EXPECT_EQ(protocol_error("$536870913\r\n"),
              "protocol error: a bulk string of 536870913 bytes is over 512 MB");
    EXPECT_EQ(protocol_error("*16777217\r\n"),
              "protocol error: an array of 16777217 elements is over the limit of 16777216");
    std::string deep;
    for (int i = 0; i < 17; ++i)
        deep += "*1\r\n";
    EXPECT_EQ(protocol_error(deep + ":1\r\n"),
              "protocol error: arrays are nested more than 16 deep");

    // At the bounds: accepted, and nothing is allocated before the bytes come.
    ReplyParser parser;
    parser.feed("$536870912\r\n");
    EXPECT_FALSE(parser.next());
    ReplyParser array;
    array.feed("*16777216\r\n:1\r\n");
    EXPECT_FALSE(array.next());
    ReplyParser nested;
    nested.feed(deep.substr(4) + ":1\r\n");
    EXPECT_EQ(nested.next()->size(), 1u);
}

TEST(Resp, RefusesABulkStringLongerThanItsLength) {
    EXPECT_EQ(protocol_error("$3\r\nabcd\r\n"),
              "protocol error: a bulk string does not end with CRLF where its length says");
    EXPECT_EQ(protocol_error("$3\r\nab\r\n\r\n").find("protocol error: a bulk string"), 0u);
}

// A string over the hold limit keeps its first bytes and its length; the
// rest streams past, however it is cut, and what follows reads as usual.
TEST(Resp, CutsAStringOverTheHoldLimit) {
    std::string big(50000, 'x');
    big.replace(0, 5, "start");
    std::string bytes = "*3\r\n$2\r\nid\r\n$50000\r\n" + big + "\r\n$4\r\nnext\r\n+OK\r\n";
    for (size_t piece : {size_t(1), size_t(7), size_t(4096), bytes.size()}) {
        ReplyParser parser;
        parser.set_limits({10000, static_cast<size_t>(-1)});
        std::vector<Reply> replies;
        for (size_t at = 0; at < bytes.size(); at += piece) {
            parser.feed(std::string_view(bytes).substr(at, piece));
            while (auto reply = parser.next())
                replies.push_back(std::move(*reply));
        }
        ASSERT_EQ(replies.size(), 2u) << piece;
        Value cut = replies[0][1];
        EXPECT_EQ(cut.cut(), mq::resp::Cut::kTooLong);
        EXPECT_EQ(cut.length(), 50000u);
        EXPECT_EQ(cut.text(), big.substr(0, mq::resp::kCutPrefix));
        EXPECT_EQ(replies[0][0].cut(), mq::resp::Cut::kWhole);
        EXPECT_EQ(replies[0][0].length(), 2u);
        EXPECT_EQ(replies[0][2].text(), "next");
        EXPECT_EQ(dump(replies[1]), "+OK");
    }
}

// The parser's memory stays bounded by its limits, not by what is sent.
TEST(Resp, HoldsNoMoreThanItsLimitsWhileAHugeStringStreamsPast) {
    const size_t huge = 64 * 1024 * 1024;
    ReplyParser parser;
    parser.set_limits({1024 * 1024, 4 * 1024 * 1024});
    parser.feed("*2\r\n$" + std::to_string(huge) + "\r\n");
    std::string chunk(64 * 1024, 'y');
    for (size_t sent = 0; sent < huge; sent += chunk.size()) {
        ReplyParser::Room room = parser.room(chunk.size());
        std::copy(chunk.begin(), chunk.end(), room.data);
        parser.commit(chunk.size());
        ASSERT_FALSE(parser.next());
    }
    parser.feed("\r\n$3\r\nend\r\n");
    auto reply = parser.next();
    ASSERT_TRUE(reply);
    EXPECT_EQ((*reply)[0].length(), huge);
    EXPECT_EQ((*reply)[0].text().size(), mq::resp::kCutPrefix);
    EXPECT_EQ((*reply)[1].text(), "end");
    EXPECT_LT(parser.capacity(), 1024u * 1024u);
}

// Once a reply holds its budget, longer strings after it are cut as over
// budget; short ones (ids, field names) are always held; the next reply
// starts a new budget.
TEST(Resp, CutsStringsOverTheReplysBudget) {
    std::string a(3000, 'a'), b(3000, 'b'), c(3000, 'c');
    std::string bytes = "*4\r\n$3000\r\n" + a + "\r\n$3000\r\n" + b + "\r\n$5\r\nshort\r\n$3000\r\n" +
                        c + "\r\n" + "*1\r\n$3000\r\n" + c + "\r\n";
    ReplyParser parser;
    parser.set_limits({10000, 5000});
    parser.feed(bytes);
    Reply first = *parser.next();
    EXPECT_EQ(first[0].cut(), mq::resp::Cut::kWhole);
    EXPECT_EQ(first[1].cut(), mq::resp::Cut::kOverBudget);
    EXPECT_EQ(first[1].length(), 3000u);
    EXPECT_EQ(first[2].text(), "short");
    EXPECT_EQ(first[3].cut(), mq::resp::Cut::kOverBudget);
    Reply second = *parser.next();
    EXPECT_EQ(second[0].cut(), mq::resp::Cut::kWhole);
    EXPECT_EQ(second[0].text(), c);
}

// A cut string must still end where its length says.
TEST(Resp, RefusesACutStringWithoutItsCrlf) {
    ReplyParser parser;
    parser.set_limits({2000, static_cast<size_t>(-1)});
    parser.feed("$3000\r\n" + std::string(3000, 'z') + "xx");
    EXPECT_THROW(parser.next(), ProtocolError);
}

// A command is an array of binary-safe bulk strings, and reads back as one.
TEST(Resp, WritesACommandAsAnArrayOfBulkStrings) {
    std::string out;
    mq::resp::append_command({"XADD", "s", "*", std::string("a\r\n\0b", 5), ""}, &out);
    using namespace std::string_literals;
    EXPECT_EQ(out, "*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n$5\r\na\r\n\0b\r\n$0\r\n\r\n"s);
    ReplyParser parser;
    parser.feed(out);
    EXPECT_EQ(dump(*parser.next()), "[$XADD,$s,$*,$a\\13\\10\\0b,$]");
}

namespace {

// An array of count one-byte strings, as Redis sends it.
std::string tiny_strings(size_t count) {
    std::string out = "*" + std::to_string(count) + "\r\n";
    for (size_t i = 0; i < count; ++i)
        out += "$1\r\nx\r\n";
    return out;
}

}  // namespace

// Short strings are no way around the budget: each costs its bytes and a
// node, and once the budget is spent the open arrays are cut where they
// stand; what follows the reply reads as usual.
TEST(Resp, CutsTheOpenArraysOnceTheBudgetIsSpent) {
    std::string bytes = "*3\r\n$2\r\nid\r\n" + tiny_strings(100000) + "$4\r\nlast\r\n+OK\r\n";
    for (size_t piece : {size_t(1), size_t(13), size_t(4096), bytes.size()}) {
        ReplyParser parser;
        parser.set_limits({1000, 64 * 1024});
        std::vector<Reply> replies;
        for (size_t at = 0; at < bytes.size(); at += piece) {
            parser.feed(std::string_view(bytes).substr(at, piece));
            while (auto reply = parser.next())
                replies.push_back(std::move(*reply));
        }
        ASSERT_EQ(replies.size(), 2u) << piece;
        const Reply& reply = replies[0];
        EXPECT_EQ(reply[0].text(), "id");
        Value tiny = reply[1];
        EXPECT_EQ(tiny.cut(), mq::resp::Cut::kOverBudget);
        // Held until the budget (bytes and nodes) was spent, then read past.
        EXPECT_GT(tiny.size(), 1000u) << piece;
        EXPECT_LT(tiny.size(), 64u * 1024u / sizeof(mq::resp::Node)) << piece;
        EXPECT_EQ(tiny[0].text(), "x");
        EXPECT_EQ(tiny.length(), 100000u - tiny.size());  // the bytes read past
        // The reply's own array is cut too: "last" came after the budget.
        EXPECT_EQ(reply.value().cut(), mq::resp::Cut::kOverBudget);
        EXPECT_EQ(reply.size(), 2u);
        EXPECT_EQ(dump(replies[1]), "+OK");
    }
}

// Five million strings stream past a parser whose budget is 1 MB: its
// buffer stays small and the reply holds no node past the budget.
TEST(Resp, HoldsNoMoreThanItsBudgetWhileMillionsOfStringsStreamPast) {
    const size_t count = 5000000;
    ReplyParser parser;
    parser.set_limits({1024 * 1024, 1024 * 1024});
    parser.feed("*2\r\n*" + std::to_string(count) + "\r\n");
    std::string chunk;
    for (int i = 0; i < 10000; ++i)
        chunk += "$1\r\ny\r\n";
    for (size_t sent = 0; sent < count; sent += 10000) {
        parser.feed(chunk);
        ASSERT_FALSE(parser.next());
        ASSERT_LT(parser.capacity(), 2u * 1024u * 1024u);
    }
    parser.feed("*2\r\n$1\r\na\r\n:7\r\n");
    auto reply = parser.next();
    ASSERT_TRUE(reply);
    EXPECT_EQ((*reply)[0].cut(), mq::resp::Cut::kOverBudget);
    EXPECT_LT((*reply)[0].size() * sizeof(mq::resp::Node), 1024u * 1024u);
    EXPECT_EQ((*reply)[0].length(), count - (*reply)[0].size());
    // The array after it began once the budget was spent: not held at all;
    // the reply's array is cut after its first element.
    EXPECT_EQ(reply->value().cut(), mq::resp::Cut::kOverBudget);
    EXPECT_EQ(reply->size(), 1u);
    EXPECT_TRUE((*reply)[1].is_nil());
    EXPECT_EQ(reply->value().length(), 1u);
    EXPECT_LT(parser.capacity(), 2u * 1024u * 1024u);
}

// Read past, a string must still end where its length says.
TEST(Resp, RefusesAStringReadPastWithoutItsCrlf) {
    ReplyParser parser;
    parser.set_limits({1000, 100});
    parser.feed("*3\r\n$100\r\n" + std::string(100, 'a') + "\r\n$2\r\nbcx\r\n");
    EXPECT_THROW(parser.next(), ProtocolError);
}
