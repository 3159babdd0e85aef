// JSON rows to COPY text; see queue_copy.hpp.
#include "core/queue_copy.hpp"

#include "core/json_text.hpp"

namespace mq::queue {

bool append_copy_row(std::string_view row, const std::vector<std::string>& columns,
                     const std::vector<CopyColumnKind>& kinds, std::string* out,
                     CopyRowHint* hint) {
    if (columns.empty() || kinds.size() != columns.size())
        return false;
    RowValues values(columns.size());
    if (!find_row_values(row, columns, values.data(), hint))
        return false;
    size_t original_size = out->size();
    auto refuse = [&] {
        out->resize(original_size);
        return false;
    };
    for (size_t i = 0; i < columns.size(); ++i) {
        const JsonValue& slot = values[i];
        if (!slot.set)
            return refuse();
        if (i > 0)
            out->push_back('\t');
        bool jsonb = kinds[i] == CopyColumnKind::kJsonb;
        switch (slot.kind) {
            case JsonKind::kNull:
                out->append("\\N");
                break;
            case JsonKind::kBool:
                out->append(slot.text);
                break;
            case JsonKind::kNumber:
                if (!jsonb && !number_keeps_text(slot.text))
                    return refuse();
                out->append(slot.text);
                break;
            case JsonKind::kString:
                if (jsonb ? !put_copy_text(slot.text, out) : !put_json_string(slot.text, out))
                    return refuse();
                if (jsonb && slot.text.find("\\u") != std::string_view::npos) {
                    // jsonb_in judges \u escapes (surrogates, \u0000) as the
                    // batch's parse did; check them the same way here so a
                    // refusal happens on the SQL path, with its own error.
                    std::string probe;
                    if (!put_json_string(slot.text, &probe))
                        return refuse();
                }
                break;
            case JsonKind::kContainer:
                if (!jsonb)
                    return refuse();
                if (slot.text.find("\\u") != std::string_view::npos)
                    return refuse();  // rare: leave \u escapes inside containers to jsonb
                if (!put_copy_text(slot.text, out))
                    return refuse();
                break;
        }
    }
    out->push_back('\n');
    return true;
}

}  // namespace mq::queue
