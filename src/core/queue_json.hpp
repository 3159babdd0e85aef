// Reads the JSON of a queue entry without PostgreSQL: checks it, splits a
// `rows` array into its objects and lists each object's top-level keys, which
// the drain needs to group rows by the columns they name.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_lexer.hpp"
#include "core/json_row_values.hpp"

namespace mq::queue {

// A row's top-level keys: unescaped, sorted, without duplicates.
using KeySet = std::vector<std::string>;

// A top-level value of a row as the scan found it: where its text is in
// the row, its kind, and the index in the row's KeySet of its key. The COPY
// converters take these rather than walk the row again.
struct RowMember {
    uint32_t at = 0;
    uint32_t size = 0;
    uint16_t column = 0;
    JsonKind kind = JsonKind::kNull;
};

// The key sets of the rows scanned with it, each kept once, and the rows'
// members (RowMember). Rows naming the
// same keys share one KeySet, so grouping a batch's rows by their columns
// compares pointers, and checking a set against a table is done once per
// set, not once per row. Most rows of a batch name the keys the row before
// them named: that is found without a lookup or an allocation.
class KeySets {
public:
    KeySets() = default;
    KeySets(const KeySets&) = delete;
    KeySets& operator=(const KeySets&) = delete;

    // A row's keys while it is scanned, in the order the row lists them:
    // strings kept from row to row, so a key costs no allocation once one
    // as long has been seen.
    KeySet& scratch() { return scratch_; }
    // The stored set of the keys in scratch()[0, count), added when new;
    // the pointer stays valid as long as this object. A row listing the
    // same keys in the same order as the row before it costs a comparison:
    // no sort, no lookup.
    const KeySet* intern_scratch(size_t count);
    // For the keys last interned, in the order they were listed: each one's
    // index in the set intern_scratch returned (none past
    // JsonRow::kMaxMembers keys: such rows keep no members).
    const std::vector<uint16_t>& listed_columns() const { return last_columns_; }
    size_t size() const { return sets_.size(); }
    // Room for the members of one row (at most JsonRow::kMaxMembers), valid
    // as long as this object: members cost what a row has, not a fixed size
    // per row, however many rows an entry holds.
    RowMember* member_room(size_t count);

private:
    std::set<KeySet> sets_;  // (nodes never move)
    KeySet scratch_;
    KeySet last_order_;  // the last row's keys as listed (set: last_set_)
    size_t last_count_ = 0;
    const KeySet* last_set_ = nullptr;
    std::vector<uint16_t> last_columns_;  // (see listed_columns)
    static constexpr size_t kMemberChunk = 4096;
    std::vector<std::unique_ptr<RowMember[]>> member_chunks_;
    size_t chunk_used_ = kMemberChunk;  // of the last chunk
};


// One JSON object of an entry: its text (a slice of the entry's value) and
// its keys (in the KeySets it was scanned with).
struct JsonRow {
    std::string_view text;
    const KeySet* keys = nullptr;
    // The row's members in the order it lists them (a key given twice is
    // there twice: the later one counts, as in jsonb), in the KeySets the
    // row was scanned with. Kept for rows of at most kMaxMembers members;
    // none for longer rows, whose values find_row_values finds.
    static constexpr size_t kMaxMembers = 8;
    const RowMember* members = nullptr;
    uint8_t member_count = 0;
};

// Scans text as one JSON object (many = false) or an array of objects
// (many = true), appending the objects to *rows, their keys interned in
// *key_sets. What jsonb_in takes (json_lexer.hpp), nested at most
// kMaxJsonDepth levels, the row object counting as one. Returns false with
// *error set.
bool scan_json_rows(std::string_view text, bool many, KeySets* key_sets,
                    std::vector<JsonRow>* rows, std::string* error);

}  // namespace mq::queue
