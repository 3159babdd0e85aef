// Applies one batch of stream entries in one local transaction: the rows,
// the dead letters of the entries that cannot be applied, and the stream's
// progress (the last applied entry id), all committed together. That shared
// commit is what makes the drain exactly-once: the worker reads on from the
// recorded id, and an entry that comes back from Redis anyway (read twice
// after a failure) has an id at or below it and is skipped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "queue/redis.hpp"

namespace mq::queue {

struct BatchResult {
    int64_t applied = 0;       // entries whose rows were inserted
    int64_t rows = 0;          // rows inserted
    int64_t skipped = 0;       // already applied (or deleted, or a spent retry)
    int64_t dead_letters = 0;  // entries parked in multiquery.dead_letters
    std::string last_id;       // the stream's last applied id after this batch
    uint64_t commit_lsn = 0;   // where the batch's commit record ends (0: none written)
};

// Runs the batch's transaction and commits it. entries must be in stream
// order. Throws on failures that are not the entries' fault (a transient
// PostgreSQL error, a missing drain role, ...): the transaction is then left
// for the caller's error recovery to abort, and the batch is retried later.
// isolate: the batch has failed multiquery.drain_max_attempts times; entries
// that still fail alone, for any reason but the server's state, become dead
// letters, so that one table cannot stall its stream. attempt: how many
// times a batch starting at the same entry has been tried, this one
// included (the attempts of the batch's dead letters).
BatchResult apply_batch(const std::string& stream, const std::vector<StreamEntry>& entries,
                        bool isolate, int attempt);

// True when a failure with this SQLSTATE is the entry's fault (a dead letter)
// rather than the server's for now (retry the batch later).
bool is_poison_sqlstate(const char* sqlstate);

}  // namespace mq::queue
