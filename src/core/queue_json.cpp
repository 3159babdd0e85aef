// A small strict JSON scanner; see queue_json.hpp.
#include "core/queue_json.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/escape.hpp"

namespace mq::queue {
namespace {

class Scanner {
public:
    Scanner(std::string_view text, KeySets* key_sets) : text_(text), key_sets_(key_sets) {}

    bool scan_rows(bool many, std::vector<JsonRow>* rows) {
        skip_space();
        if (many) {
            if (!expect('['))
                return fail("expected a JSON array of objects");
            skip_space();
            if (peek() == ']') {
                ++pos_;
            } else {
                for (;;) {
                    skip_space();
                    if (!scan_row(rows))
                        return false;
                    skip_space();
                    if (peek() == ',') {
                        ++pos_;
                        continue;
                    }
                    if (!expect(']'))
                        return fail("expected \",\" or \"]\" in the array of rows");
                    break;
                }
            }
        } else if (!scan_row(rows)) {
            return false;
        }
        skip_space();
        if (pos_ != text_.size())
            return fail("unexpected text after the JSON value");
        return true;
    }

    const std::string& error() const { return error_; }

private:
    bool scan_row(std::vector<JsonRow>* rows) {
        if (peek() != '{')
            return fail("expected a JSON object");
        size_t start = pos_;
        size_t count = 0;
        member_count_ = 0;
        if (!scan_object(1, &count))
            return false;
        JsonRow row;
        row.text = text_.substr(start, pos_ - start);
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

    // depth: how many arrays and objects enclose the value, the row object
    // counting as one; each level counts once, as jsonb_in counts it.
    bool scan_value(int depth) {
        skip_space();
        char c = peek();
        if ((c == '{' || c == '[') && depth >= kMaxJsonDepth)
            return fail("JSON nested too deeply");
        if (c == '{')
            return scan_object(depth + 1, nullptr);
        if (c == '[')
            return scan_array(depth + 1);
        if (c == '"')
            return scan_string(nullptr);
        if (c == '-' || (c >= '0' && c <= '9'))
            return scan_number();
        if (literal("true") || literal("false") || literal("null"))
            return true;
        return fail("invalid JSON value");
    }

    // key_count: for the top-level row object only, where to count its keys,
    // which go to the first slots of the KeySets' scratch.
    bool scan_object(int depth, size_t* key_count) {
        ++pos_;  // '{'
        skip_space();
        if (peek() == '}') {
            ++pos_;
            return true;
        }
        for (;;) {
            skip_space();
            if (peek() != '"')
                return fail("expected a string as object key");
            std::string* key = nullptr;
            if (key_count) {
                KeySet& scratch = key_sets_->scratch();
                if (*key_count == scratch.size())
                    scratch.emplace_back();
                key = &scratch[(*key_count)++];
                key->clear();
            }
            if (!scan_string(key))
                return false;
            skip_space();
            if (!expect(':'))
                return fail("expected \":\" after an object key");
            skip_space();
            size_t value_start = pos_;
            if (!scan_value(depth))
                return false;
            if (key_count && *key_count <= JsonRow::kMaxMembers) {
                // (pos_ fits: a row's text is far below 4 GB; see read_entry's cap.)
                RowMember& member = members_[member_count_++];
                member.at = static_cast<uint32_t>(value_start);
                member.size = static_cast<uint32_t>(pos_ - value_start);
                member.kind = json_kind_of(text_[value_start]);
            }
            skip_space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (!expect('}'))
                return fail("expected \",\" or \"}\" in an object");
            return true;
        }
    }

    bool scan_array(int depth) {
        ++pos_;  // '['
        skip_space();
        if (peek() == ']') {
            ++pos_;
            return true;
        }
        for (;;) {
            if (!scan_value(depth))
                return false;
            skip_space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (!expect(']'))
                return fail("expected \",\" or \"]\" in an array");
            return true;
        }
    }

    // Reads four hex digits of a \u escape.
    bool hex4(uint32_t* value) {
        if (pos_ + 4 > text_.size())
            return fail("truncated \\u escape");
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            char c = text_[pos_++];
            int digit = hex_value(c);
            if (digit < 0)
                return fail("invalid \\u escape");
            v = (v << 4) | static_cast<uint32_t>(digit);
        }
        *value = v;
        return true;
    }

    // out (may be null): receives the unescaped string.
    bool scan_string(std::string* out) {
        ++pos_;  // '"'
        for (;;) {
            if (pos_ >= text_.size())
                return fail("unterminated string");
            // A run of plain bytes at once: most strings are nothing else.
            size_t run = pos_;
            while (run < text_.size() && text_[run] != '"' && text_[run] != '\\' &&
                   static_cast<unsigned char>(text_[run]) >= 0x20)
                ++run;
            if (run > pos_) {
                if (out)
                    out->append(text_.data() + pos_, run - pos_);
                pos_ = run;
                continue;
            }
            char c = text_[pos_++];
            if (c == '"')
                return true;
            if (static_cast<unsigned char>(c) < 0x20)
                return fail("control character in a string");
            if (pos_ >= text_.size())
                return fail("unterminated string");
            char e = text_[pos_++];
            if (e != 'u') {
                int plain = json_escaped_byte(e);
                if (plain < 0)
                    return fail("invalid escape in a string");
                if (out)
                    out->push_back(static_cast<char>(plain));
                continue;
            }
            uint32_t cp = 0;
            if (!hex4(&cp))
                return false;
            if (cp == 0)
                return fail("\\u0000 cannot be stored in jsonb");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail("lone low surrogate in a \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t low = 0;
                if (pos_ + 2 > text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u')
                    return fail("high surrogate not followed by a low one");
                pos_ += 2;
                if (!hex4(&low))
                    return false;
                if (low < 0xDC00 || low > 0xDFFF)
                    return fail("high surrogate not followed by a low one");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            if (out)
                append_utf8(cp, out);
        }
    }

    bool digits() {
        size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9')
            ++pos_;
        return pos_ > start;
    }

    bool scan_number() {
        if (peek() == '-')
            ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else if (!digits()) {
            return fail("invalid number");
        }
        if (peek() == '.') {
            ++pos_;
            if (!digits())
                return fail("invalid number");
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-')
                ++pos_;
            if (!digits())
                return fail("invalid number");
        }
        return true;
    }

    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word)
            return false;
        pos_ += word.size();
        return true;
    }

    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                       text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    bool expect(char c) {
        if (peek() != c)
            return false;
        ++pos_;
        return true;
    }

    bool fail(const char* what) {
        if (error_.empty())
            error_ = std::string(what) + " at byte " + std::to_string(pos_);
        return false;
    }

    std::string_view text_;
    KeySets* key_sets_;
    size_t pos_ = 0;
    // The row object's first members, while it is scanned.
    std::array<RowMember, JsonRow::kMaxMembers> members_;
    size_t member_count_ = 0;
    std::string error_;
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
    Scanner scanner(text, key_sets);
    size_t before = rows->size();
    if (scanner.scan_rows(many, rows))
        return true;
    rows->resize(before);
    *error = scanner.error();
    return false;
}

}  // namespace mq::queue
