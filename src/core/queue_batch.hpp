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
// bytes: its fields' names and values as sent. cut: whether a name or value,
// or the entry's list of them, was cut by the reader's limits
// (resp::ReadLimits), and why; a cut field holds only its first bytes, and
// a cut entry keeps at most its first kCutEntryFields names and values (an
// entry cut before its id has none).
struct StreamEntry {
    std::string_view id;
    EntryFields fields;
    bool deleted = false;
    size_t bytes = 0;
    resp::Cut cut = resp::Cut::kWhole;
};

constexpr size_t kCutEntryFields = 16;

// Entries and the reply whose bytes they view: the views are valid while
// the batch lives, and moving the batch keeps them valid. cut_short: the
// reply's budget was spent before its last entries, which it does not hold.
struct StreamBatch {
    resp::Reply reply;
    std::vector<StreamEntry> entries;
    bool cut_short = false;
};

// The entries of a reply to XREADGROUP (or XREAD) on one stream:
// [[stream, [[id, [field, value, ...]], ...]]]. None for nil (nothing new)
// or any other shape.
StreamBatch stream_batch(resp::Reply reply);

// How many entries, from the first, can be judged: all of them, or those
// before the first entry that was cut to keep its reply within the read's
// budget (it is whole in a later, smaller read). The first entry counts
// whatever its cut, if its id was held: cut for the budget alone, it cannot
// be held by itself.
size_t judgeable_entries(const StreamBatch& batch);

// Whether entries of the batch must be read again: some cannot be judged,
// or the reply did not hold them all.
inline bool must_read_again(const StreamBatch& batch, size_t judgeable) {
    return judgeable < batch.entries.size() || batch.cut_short;
}

}  // namespace mq::queue
