// Stream entries read in place; see queue_batch.hpp.
#include "core/queue_batch.hpp"

#include <utility>

namespace mq::queue {

StreamBatch stream_batch(resp::Reply reply) {
    StreamBatch batch;
    batch.reply = std::move(reply);
    resp::Value list = batch.reply[0][1];
    batch.entries.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        resp::Value item = list[i];
        if (item.size() < 1)
            continue;
        StreamEntry entry;
        entry.id = item[0].text();
        resp::Value fields = item[1];
        if (!fields.is_array()) {
            entry.deleted = true;
        } else {
            entry.fields.reserve(fields.size() / 2);
            for (size_t f = 0; f + 1 < fields.size(); f += 2)
                entry.fields.emplace_back(fields[f].text(), fields[f + 1].text());
            // A cut too long outranks one for the budget: that entry can
            // never be held, however small the read.
            for (size_t f = 0; f < fields.size(); ++f) {
                resp::Value field = fields[f];
                entry.bytes += field.length();
                if (field.cut() == resp::Cut::kTooLong ||
                    (field.cut() == resp::Cut::kOverBudget && entry.cut == resp::Cut::kWhole))
                    entry.cut = field.cut();
            }
        }
        batch.entries.push_back(std::move(entry));
    }
    return batch;
}

size_t judgeable_entries(const StreamBatch& batch) {
    for (size_t i = 1; i < batch.entries.size(); ++i)
        if (batch.entries[i].cut == resp::Cut::kOverBudget)
            return i;
    return batch.entries.size();
}

}  // namespace mq::queue
