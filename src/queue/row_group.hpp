// The rows of one batch for one table with the same keys, converted for
// CopyFrom as they come: in binary when every column's type is one the
// converter writes (core/queue_copy_binary.hpp), else as COPY text
// (core/queue_copy.hpp), else not at all, and the group takes the SQL path,
// which says what 0.2 said. A row refused in binary turns the group to
// text; a row refused in text turns it to SQL.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/queue_copy.hpp"
#include "core/queue_copy_binary.hpp"
#include "core/queue_json.hpp"
#include "queue/target.hpp"

namespace mq::queue {

enum class CopyForm { kBinary, kText, kNone };

class RowGroup {
public:
    RowGroup(const Target* target, const KeySet* keys);

    // A row of the group's table with the group's keys (row.keys), and its item.
    void add(const JsonRow& row, size_t item);

    const Target& target() const { return *target_; }
    const KeySet& keys() const { return *keys_; }
    const KeySet* key_set() const { return keys_; }
    const std::vector<std::string_view>& rows() const { return rows_; }
    // The item (apply.cpp) of each row.
    const std::vector<size_t>& row_items() const { return row_items_; }
    CopyForm form() const { return form_; }
    // The item of the row that turned the group from binary to text, when
    // the converter had taken rows of the group before it: among rows it
    // takes, one it refuses (a string in an integer column) is most likely
    // poison (apply.cpp tries it alone first).
    std::optional<size_t> refused_item() const { return refused_item_; }
    // The COPY data, complete (call once every row is added).
    const std::string& copy_data();

private:
    void to_text();
    void drop_copy();

    const Target* target_;
    const KeySet* keys_;
    std::vector<std::string_view> rows_;  // each row's JSON object
    std::vector<size_t> row_items_;
    CopyForm form_ = CopyForm::kNone;
    std::vector<CopyColumnKind> text_kinds_;
    std::vector<BinaryKind> binary_kinds_;
    CopyRowHint hint_;
    std::string data_;
    bool finished_ = false;
    std::optional<size_t> refused_item_;
};

}  // namespace mq::queue
