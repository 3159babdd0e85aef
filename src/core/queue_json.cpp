// A small strict JSON scanner; see queue_json.hpp.
#include "core/queue_json.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/json_lexer.hpp"

namespace mq::queue {
namespace {

class Scanner {
public:
    // The array of rows is no level of any row: a row may nest as deep
    // whether it comes alone or in an array.
    Scanner(std::string_view text, bool many, KeySets* key_sets)
        : lexer_(text, JsonDialect::kJsonb, kMaxJsonDepth + (many ? 1 : 0)),
          text_(text),
          key_sets_(key_sets) {}

    bool scan_rows(bool many, std::vector<JsonRow>* rows) {
        JsonToken token = lexer_.next();
        if (many) {
            if (token != JsonToken::kArrayStart)
                return fail("expected a JSON array of objects");
            token = lexer_.next();
            if (token != JsonToken::kArrayEnd) {
                for (;;) {
                    if (!scan_row(token, rows))
                        return false;
                    token = lexer_.next();
                    if (token == JsonToken::kComma) {
                        token = lexer_.next();
                        continue;
                    }
                    if (token != JsonToken::kArrayEnd)
                        return fail("expected \",\" or \"]\" in the array of rows");
                    break;
                }
            }
        } else if (!scan_row(token, rows)) {
            return false;
        }
        if (!lexer_.at_end())
            return lexer_.fail("unexpected text after the JSON value", lexer_.pos());
        return true;
    }

    std::string error() const { return lexer_.error_message(); }

private:
    // The row object, whose first token is token: its keys go to the first
    // slots of the KeySets' scratch, its first members to members_.
    bool scan_row(JsonToken token, std::vector<JsonRow>* rows) {
        if (token != JsonToken::kObjectStart)
            return fail("expected a JSON object");
        size_t start = lexer_.token_start();
        size_t count = 0;
        token = lexer_.next();
        if (token != JsonToken::kObjectEnd) {
            for (;;) {
                if (token != JsonToken::kString)
                    return fail("expected a string as object key");
                KeySet& scratch = key_sets_->scratch();
                if (count == scratch.size())
                    scratch.emplace_back();
                std::string& key = scratch[count++];
                key.clear();
                lexer_.append_string(&key);
                if (lexer_.next() != JsonToken::kColon)
                    return fail("expected \":\" after an object key");
                size_t value_start = 0;
                if (!lexer_.skip_value(&value_start))
                    return false;
                if (count <= JsonRow::kMaxMembers) {
                    // (Offsets fit: a row's text is far below 4 GB; see read_entry's cap.)
                    RowMember& member = members_[count - 1];
                    member.at = static_cast<uint32_t>(value_start);
                    member.size = static_cast<uint32_t>(lexer_.pos() - value_start);
                    member.kind = json_kind_of(text_[value_start]);
                }
                token = lexer_.next();
                if (token == JsonToken::kComma) {
                    token = lexer_.next();
                    continue;
                }
                if (token != JsonToken::kObjectEnd)
                    return fail("expected \",\" or \"}\" in an object");
                break;
            }
        }
        JsonRow row;
        row.text = text_.substr(start, lexer_.pos() - start);
        row.keys = key_sets_->intern_scratch(count);
        if (count > 0 && count <= JsonRow::kMaxMembers) {
            const std::vector<uint16_t>& columns = key_sets_->listed_columns();
            RowMember* members = key_sets_->member_room(count);
            for (size_t i = 0; i < count; ++i) {
                members[i] = members_[i];
                members[i].at -= static_cast<uint32_t>(start);
                members[i].column = columns[i];
            }
            row.members = members;
            row.member_count = static_cast<uint8_t>(count);
        }
        rows->push_back(row);
        return true;
    }

    // The grammar's error at the last token (a lexer's error, found first, stays).
    bool fail(const char* what) { return lexer_.fail(what, lexer_.token_start()); }

    JsonLexer lexer_;
    std::string_view text_;
    KeySets* key_sets_;
    // The row object's first members, while it is scanned.
    std::array<RowMember, JsonRow::kMaxMembers> members_;
};

}  // namespace

const KeySet* KeySets::intern_scratch(size_t count) {
    auto listed = scratch_.begin();
    auto listed_end = listed + static_cast<std::ptrdiff_t>(count);
    if (last_set_ != nullptr && count == last_count_ && std::equal(listed, listed_end, last_order_.begin()))
        return last_set_;
    if (last_order_.size() < count)
        last_order_.resize(count);
    std::copy(listed, listed_end, last_order_.begin());
    last_count_ = count;
    std::sort(listed, listed_end);
    KeySet sorted(listed, std::unique(listed, listed_end));
    last_set_ = &*sets_.insert(std::move(sorted)).first;
    last_columns_.clear();
    if (count <= JsonRow::kMaxMembers)
        last_columns_.resize(count);
    for (size_t i = 0; i < last_columns_.size(); ++i)
        last_columns_[i] = static_cast<uint16_t>(
            std::lower_bound(last_set_->begin(), last_set_->end(), last_order_[i]) -
            last_set_->begin());
    return last_set_;
}

RowMember* KeySets::member_room(size_t count) {
    // (A row's members are side by side: a chunk is left when too few
    // places are left in it.)
    if (chunk_used_ + count > kMemberChunk) {
        member_chunks_.push_back(std::make_unique<RowMember[]>(kMemberChunk));
        chunk_used_ = 0;
    }
    RowMember* room = member_chunks_.back().get() + chunk_used_;
    chunk_used_ += count;
    return room;
}

bool scan_json_rows(std::string_view text, bool many, KeySets* key_sets,
                    std::vector<JsonRow>* rows, std::string* error) {
    Scanner scanner(text, many, key_sets);
    size_t before = rows->size();
    if (scanner.scan_rows(many, rows))
        return true;
    rows->resize(before);
    *error = scanner.error();
    return false;
}

}  // namespace mq::queue
