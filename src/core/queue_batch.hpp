// A batch of stream entries read in place from Redis's reply to XREADGROUP:
// ids and fields are views into the reply's bytes, and the batch keeps the
// reply with them, so that a 1000-entry batch copies no string.
#pragma once

#include <string_view>
#include <vector>

#include "core/queue_entry.hpp"
#include "core/resp.hpp"

namespace mq::queue {

// One stream entry as read from Redis. deleted: the id is still pending but
// the entry itself was trimmed or XDELeted away, so it has no fields.
// bytes: its fields' names and values as sent. cut: whether a name or value
// was cut by the reader's limits (resp::ReadLimits), and why; a cut field
// holds only its first bytes.
struct StreamEntry {
    std::string_view id;
    EntryFields fields;
    bool deleted = false;
    size_t bytes = 0;
    resp::Cut cut = resp::Cut::kWhole;
};

// Entries and the reply whose bytes they view: the views are valid while
// the batch lives, and moving the batch keeps them valid.
struct StreamBatch {
    resp::Reply reply;
    std::vector<StreamEntry> entries;
};

// The entries of a reply to XREADGROUP (or XREAD) on one stream:
// [[stream, [[id, [field, value, ...]], ...]]]. None for nil (nothing new)
// or any other shape.
StreamBatch stream_batch(resp::Reply reply);

// How many entries, from the first, can be judged: all of them, or those
// before the first entry that was cut to keep its reply within the read's
// budget (it is whole in a later, smaller read). The first entry counts
// whatever its cut: cut for the budget alone, it cannot be held by itself.
size_t judgeable_entries(const StreamBatch& batch);

}  // namespace mq::queue
