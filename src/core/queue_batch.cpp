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
        }
        batch.entries.push_back(std::move(entry));
    }
    return batch;
}

}  // namespace mq::queue
