// Dead letters: an entry the drain cannot apply is parked in
// multiquery.dead_letters with its raw fields and why, in the batch's
// transaction, so that the rest of the stream goes on.
#pragma once

#include <string>
#include <string_view>

#include "core/queue_batch.hpp"
#include "core/queue_entry.hpp"

namespace mq::queue {

// Where a dead letter goes, and what the schema lets it say: a schema
// before 0.5 has no detail, hint or attempts (the drain also runs against
// an extension not updated yet), and the detail and hint then follow the
// message as psql prints them.
struct LetterSchema {
    bool full = true;  // detail, hint and attempts columns
    int attempts = 1;  // how many times the entry's batch was tried, this time included
};

// Parks entry (or, after a reset of the stream's progress, replaces its
// letter): its fields as they came (bytes that are not text in hex), why,
// and for an entry cut to its first bytes its size. Parking can fail too (a
// payload over text's 1 GB): the letter then keeps why, without the
// payload, rather than hold up the stream. Throws what the server's state
// makes fail (it is not the entry's fault).
void park_entry(const std::string& stream, const StreamEntry& entry, const EntryProblem& why,
                const LetterSchema& schema);

// Whether multiquery.dead_letters has this column: the drain also runs
// against the schema of an extension not updated yet.
bool dead_letters_have(const std::string& column);

// Valid in the server encoding and free of NUL bytes (text cannot hold them).
// In a UTF-8 database, the check is core/json_text.hpp's, which decides as
// pg_verifymbstr does without a call into PostgreSQL per field (1.5% of a
// drain); any other encoding is PostgreSQL's to judge.
bool valid_text(std::string_view value);

}  // namespace mq::queue
