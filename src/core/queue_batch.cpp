// Stream entries read in place; see queue_batch.hpp.
#include "core/queue_batch.hpp"

#include <algorithm>
#include <utility>

namespace mq::queue {

namespace {

// The worse of two cuts: a cut too long outranks one for the budget, since
// that entry can never be held, however small the read.
resp::Cut worse(resp::Cut a, resp::Cut b) {
    if (a == resp::Cut::kTooLong || b == resp::Cut::kTooLong)
        return resp::Cut::kTooLong;
    return a == resp::Cut::kWhole ? b : a;
}

void read_fields(resp::Value fields, StreamEntry* entry) {
    entry->cut = worse(entry->cut, fields.cut());
    // The fields read past after a cut count by their bytes alone.
    entry->bytes += fields.cut() != resp::Cut::kWhole ? fields.length() : 0;
    size_t kept = fields.size();
    for (size_t f = 0; f < kept; ++f) {
        resp::Value field = fields[f];
        entry->bytes += field.length();
        entry->cut = worse(entry->cut, field.cut());
    }
    if (entry->cut != resp::Cut::kWhole)
        kept = std::min(kept, kCutEntryFields);
    entry->fields.reserve(kept / 2);
    for (size_t f = 0; f + 1 < kept; f += 2)
        entry->fields.emplace_back(fields[f].text(), fields[f + 1].text());
}

}  // namespace

StreamBatch stream_batch(resp::Reply reply) {
    StreamBatch batch;
    batch.reply = std::move(reply);
    resp::Value list = batch.reply[0][1];
    batch.cut_short = batch.reply.value().cut() != resp::Cut::kWhole ||
                      batch.reply[0].cut() != resp::Cut::kWhole ||
                      list.cut() != resp::Cut::kWhole;
    batch.entries.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        resp::Value item = list[i];
        StreamEntry entry;
        entry.cut = item.cut();
        if (item.size() < 1) {
            // Cut before its id: kept only to say where the reply stopped.
            if (entry.cut != resp::Cut::kWhole)
                batch.entries.push_back(std::move(entry));
            continue;
        }
        entry.id = item[0].text();
        resp::Value fields = item[1];
        if (fields.is_array())
            read_fields(fields, &entry);
        else if (entry.cut == resp::Cut::kWhole)
            entry.deleted = true;
        batch.entries.push_back(std::move(entry));
    }
    return batch;
}

size_t judgeable_entries(const StreamBatch& batch) {
    for (size_t i = 0; i < batch.entries.size(); ++i) {
        const StreamEntry& entry = batch.entries[i];
        if (entry.id.empty() || (i > 0 && entry.cut == resp::Cut::kOverBudget))
            return i;
    }
    return batch.entries.size();
}

}  // namespace mq::queue
