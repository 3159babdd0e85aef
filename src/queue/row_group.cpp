// One table's rows with the same keys, converted for COPY; see row_group.hpp.
#include "queue/row_group.hpp"

namespace mq::queue {

RowGroup::RowGroup(const Target* target, const KeySet* keys) : target_(target), keys_(keys) {
    bool copy = target->copyable && !keys->empty();
    bool binary = copy;
    for (const auto& key : *keys) {
        const TargetColumn& column = target->columns.at(key);
        copy = copy && column.copyable;
        text_kinds_.push_back(column.copy_kind);
        binary = binary && column.binary.has_value();
        if (binary)
            binary_kinds_.push_back(*column.binary);
    }
    form_ = !copy ? CopyForm::kNone : binary ? CopyForm::kBinary : CopyForm::kText;
    if (form_ == CopyForm::kBinary)
        append_binary_header(&data_);
}

void RowGroup::add(const JsonRow& row, size_t item) {
    rows_.push_back(row.text);
    row_items_.push_back(item);
    switch (form_) {
        case CopyForm::kBinary:
            // (row.keys is keys_: the group is the rows with these keys.)
            if (!append_binary_row(row, binary_kinds_, &data_, &hint_)) {
                if (rows_.size() > 1)
                    refused_item_ = item;
                to_text();
            }
            break;
        case CopyForm::kText:
            if (!append_copy_row(row.text, *keys_, text_kinds_, &data_, &hint_))
                drop_copy();
            break;
        case CopyForm::kNone:
            break;
    }
}

// A row the binary converter refused (a timestamp without a zone, a string
// in an integer column): the group's rows so far, this one included, are
// written again as COPY text, where PostgreSQL's input functions judge them.
void RowGroup::to_text() {
    form_ = CopyForm::kText;
    data_.clear();
    for (std::string_view row : rows_)
        if (!append_copy_row(row, *keys_, text_kinds_, &data_, &hint_)) {
            drop_copy();
            return;
        }
}

void RowGroup::drop_copy() {
    form_ = CopyForm::kNone;
    std::string().swap(data_);
}

const std::string& RowGroup::copy_data() {
    if (form_ == CopyForm::kBinary && !finished_) {
        append_binary_trailer(&data_);
        finished_ = true;
    }
    return data_;
}

}  // namespace mq::queue
