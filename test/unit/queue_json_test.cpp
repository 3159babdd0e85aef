#include "core/queue_json.hpp"

#include <gtest/gtest.h>

using mq::queue::JsonRow;
using mq::queue::KeySet;
using mq::queue::KeySets;
using mq::queue::kMaxJsonDepth;
using mq::queue::scan_json_rows;

namespace {

// The rows' key sets live as long as the tests.
KeySets key_sets;

std::vector<JsonRow> rows_of(std::string_view text, bool many) {
    std::vector<JsonRow> rows;
    std::string error;
    EXPECT_TRUE(scan_json_rows(text, many, &key_sets, &rows, &error)) << text << ": " << error;
    return rows;
}

std::string error_of(std::string_view text, bool many) {
    std::vector<JsonRow> rows;
    std::string error;
    EXPECT_FALSE(scan_json_rows(text, many, &key_sets, &rows, &error)) << text;
    EXPECT_TRUE(rows.empty());
    return error;
}

}  // namespace

TEST(QueueJson, ObjectKeysAreUnescapedSortedUnique) {
    auto rows = rows_of(R"( {"b": 1, "a": {"nested": [1, 2.5e3, -0.1]}, "b": null,
                            "c\"q": "x", "\u00e9": true} )", false);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(*rows[0].keys, (std::vector<std::string>{"a", "b", "c\"q", "\xc3\xa9"}));
    EXPECT_EQ(rows[0].text.front(), '{');
    EXPECT_EQ(rows[0].text.back(), '}');
}

TEST(QueueJson, ArraySplitsIntoObjects) {
    auto rows = rows_of(R"([{"x":1}, {"y":"}"} ,{}])", true);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].text, R"({"x":1})");
    EXPECT_EQ(rows[1].text, R"({"y":"}"})");
    EXPECT_EQ(*rows[1].keys, std::vector<std::string>{"y"});
    EXPECT_TRUE(rows[2].keys->empty());
    EXPECT_TRUE(rows_of("[]", true).empty());
}

TEST(QueueJson, SurrogatePairsBecomeUtf8) {
    auto rows = rows_of(R"({"\ud83d\ude00": 1})", false);
    EXPECT_EQ((*rows[0].keys)[0], "\xf0\x9f\x98\x80");
}

TEST(QueueJson, RefusesInvalidJson) {
    for (const char* bad : {"", "{", "{\"a\"}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "[1]",
                            "{\"a\":01}", "{\"a\":1.}", "{\"a\":tru}", "{\"a\":\"\\x\"}",
                            "{\"a\":\"\x01\"}", "{\"a\":1} x", "{\"a\":\"\\u0000\"}",
                            "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":NaN}"})
        EXPECT_FALSE(error_of(bad, false).empty()) << bad;
    EXPECT_FALSE(error_of(R"({"a":1})", true).empty());  // rows must be an array
    EXPECT_FALSE(error_of(R"([{"a":1}, 2])", true).empty());
    EXPECT_FALSE(error_of(R"([{"a":1})", true).empty());
    EXPECT_FALSE(error_of("[]", false).empty());  // row must be an object
}

// The row object counts as one level; each array or object inside it as one.
std::string nested_row(int levels) {
    return "{\"a\":" + std::string(levels - 1, '[') + std::string(levels - 1, ']') + "}";
}

// Whether text scans as one row, without printing it (these are long).
bool scans(const std::string& text) {
    std::vector<JsonRow> rows;
    std::string error;
    return scan_json_rows(text, false, &key_sets, &rows, &error) && rows.size() == 1;
}

TEST(QueueJson, AcceptsTheNestingJsonbAccepts) {
    // jsonb_in takes 14,541 nested arrays and 13,087 objects (default
    // max_stack_depth); a 900-level array was once refused.
    EXPECT_TRUE(scans(nested_row(900)));
    EXPECT_TRUE(scans(nested_row(14541)));
    std::string objects;
    for (int level = 0; level < 13087; ++level)
        objects += "{\"a\":";
    objects += "1" + std::string(13087, '}');
    EXPECT_TRUE(scans(objects));
    EXPECT_TRUE(scans(nested_row(kMaxJsonDepth)));
}

TEST(QueueJson, RefusesExcessiveNesting) {
    std::vector<JsonRow> rows;
    std::string error;
    EXPECT_FALSE(scan_json_rows(nested_row(kMaxJsonDepth + 1), false, &key_sets, &rows, &error));
    EXPECT_NE(error.find("nested too deeply"), std::string::npos) << error;
}

TEST(QueueJson, KeysRunAroundEscapes) {
    // Keys are copied a run of plain bytes at a time: escapes at a key's
    // start, middle and end, and a control byte after a run.
    auto rows = rows_of(R"({"\tlong key": 1, "long\nkey": 2, "long key\\": 3, "plain": 4})", false);
    EXPECT_EQ(*rows[0].keys,
              (std::vector<std::string>{"\tlong key", "long\nkey", "long key\\", "plain"}));
    EXPECT_FALSE(error_of("{\"abcdef\x01\": 1}", false).empty());
    EXPECT_FALSE(error_of("{\"abcdef", false).empty());
    EXPECT_FALSE(error_of("{\"abcdef\\", false).empty());
}

TEST(QueueJson, RowsWithTheSameKeysShareOneKeySet) {
    KeySets sets;
    std::vector<JsonRow> rows;
    std::string error;
    // In any order, with duplicates, escaped or not; a row with fewer keys
    // after one with more must not keep the longer row's last keys.
    const char* text = R"([{"b":1,"a":2,"c":3}, {"a":0,"c":{"b":1},"b":[]}, {"c":1,"\u0061":1,"b":2},
                           {"a":1}, {"b":1,"a":1,"c":1,"b":2}, {"a":{"a":1,"z":2}}, {}])";
    ASSERT_TRUE(scan_json_rows(text, true, &sets, &rows, &error)) << error;
    ASSERT_EQ(rows.size(), 7u);
    EXPECT_EQ(*rows[0].keys, (KeySet{"a", "b", "c"}));
    EXPECT_EQ(rows[1].keys, rows[0].keys);
    EXPECT_EQ(rows[2].keys, rows[0].keys);
    EXPECT_EQ(*rows[3].keys, KeySet{"a"});
    EXPECT_EQ(rows[4].keys, rows[0].keys);  // met again after another set
    EXPECT_EQ(rows[5].keys, rows[3].keys);  // nested keys are not the row's
    EXPECT_TRUE(rows[6].keys->empty());
    EXPECT_EQ(sets.size(), 3u);
    // A second scan with the same sets finds them again.
    std::vector<JsonRow> more;
    ASSERT_TRUE(scan_json_rows(R"({"c":1,"b":2,"a":3})", false, &sets, &more, &error));
    EXPECT_EQ(more[0].keys, rows[0].keys);
    EXPECT_EQ(sets.size(), 3u);
}

TEST(QueueJson, ARowListedLikeTheRowBeforeItSharesItsSet) {
    KeySets sets;
    std::vector<JsonRow> rows;
    std::string error;
    // Same order twice, then as many keys but another one, then a duplicate
    // that sorts away, then the first order again.
    ASSERT_TRUE(scan_json_rows(R"([{"b":1,"a":2}, {"b":3,"a":4}, {"b":1,"c":2}, {"b":1,"b":2},
                                   {"b":5,"a":6}])", true, &sets, &rows, &error)) << error;
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(*rows[0].keys, (KeySet{"a", "b"}));
    EXPECT_EQ(rows[1].keys, rows[0].keys);
    EXPECT_EQ(*rows[2].keys, (KeySet{"b", "c"}));
    EXPECT_EQ(*rows[3].keys, KeySet{"b"});
    EXPECT_EQ(rows[4].keys, rows[0].keys);
    EXPECT_EQ(sets.size(), 3u);
}

namespace {

// A row's members as "key=value:kind" in the order it lists them, each
// value's text taken from the row where the scan said it is.
std::string members_of(const JsonRow& row) {
    std::string out;
    for (size_t i = 0; i < row.member_count; ++i) {
        const mq::queue::RowMember& m = row.members[i];
        out += (i ? " " : "") + (*row.keys).at(m.column) + "=" +
               std::string(row.text.substr(m.at, m.size)) + ":" +
               std::to_string(static_cast<int>(m.kind));
    }
    return out;
}

}  // namespace

// The converters take each row's values from the scan (JsonRow::members).
TEST(QueueJson, MembersSayWhereEachTopLevelValueIs) {
    // Kinds: 0 null, 1 string, 2 number, 3 bool, 4 container.
    std::vector<JsonRow> rows = rows_of(
        R"([ {"b" : [1, {"x": "}"}], "a":"s\"", "b":2, "c": null,"d":true, "\u0065": -1.5e3},
             {"z": {}} ])",
        true);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(members_of(rows[0]),
              R"(b=[1, {"x": "}"}]:4 a="s\"":1 b=2:2 c=null:0 d=true:3 e=-1.5e3:2)");
    EXPECT_EQ(members_of(rows[1]), R"(z={}:4)") << "offsets are the row's, not the entry's";
    // A row listed like the one before it shares its columns too.
    rows = rows_of(R"([{"y": 1, "x": 2}, {"y": 3, "x": 4}, {"x": 5, "y": 6}])", true);
    EXPECT_EQ(members_of(rows[1]), "y=3:2 x=4:2");
    EXPECT_EQ(members_of(rows[2]), "x=5:2 y=6:2");
    // Past eight members none are kept: the converters walk such a row.
    rows = rows_of(R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8})", false);
    EXPECT_EQ(rows[0].member_count, 8);
    rows = rows_of(R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9})", false);
    EXPECT_EQ(rows[0].member_count, 0);
    EXPECT_EQ(rows[0].keys->size(), 9u);
}

// Members live in the KeySets, and stay where they are while more rows
// are scanned: an entry of many rows spans many chunks of them.
TEST(QueueJson, MembersOfEarlyRowsSurviveManyMore) {
    KeySets sets;
    std::string text = "[";
    for (int i = 0; i < 3000; ++i)
        text += std::string(i ? "," : "") + R"({"e":5,"d":4,"c":3,"b":2,"a":)" + std::to_string(i) + "}";
    text += "]";
    std::vector<JsonRow> rows;
    std::string error;
    ASSERT_TRUE(scan_json_rows(text, true, &sets, &rows, &error)) << error;
    ASSERT_EQ(rows.size(), 3000u);
    EXPECT_EQ(members_of(rows[0]), "e=5:2 d=4:2 c=3:2 b=2:2 a=0:2");
    EXPECT_EQ(members_of(rows[1234]), "e=5:2 d=4:2 c=3:2 b=2:2 a=1234:2");
    EXPECT_EQ(members_of(rows[2999]), "e=5:2 d=4:2 c=3:2 b=2:2 a=2999:2");
}
