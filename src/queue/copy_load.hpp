// Loads rows already converted to COPY text (core/queue_copy.hpp) or binary
// COPY (core/queue_copy_binary.hpp) into a
// table with PostgreSQL's own bulk path, CopyFrom: the drain's fast path for
// a run of rows with the same table and keys (apply.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "queue/target.hpp"

namespace mq::queue {

// Runs COPY target (keys) FROM `data` (binary COPY when binary, else text) as the current user (the
// caller has switched to the insert role); the column list gives every other
// column its default, as INSERT with that column list does. Triggers,
// constraints, indexes and partition routing are CopyFrom's. Returns the rows
// loaded; a PostgreSQL error is thrown as pg::PgException, with *failed_line
// set to the line of data CopyFrom was at (1-based; 0: not known), which
// the caller may use as a hint of the row at fault, never as a certainty.
int64_t copy_rows(const Target& target, const std::vector<std::string>& keys,
                  const std::string& data, bool binary, uint64_t* failed_line);

}  // namespace mq::queue
