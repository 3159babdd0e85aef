// What a producer's XADD must carry, checked without PostgreSQL:
//   XADD <stream> * table <[schema.]table> row <json object>
//   XADD <stream> * table <[schema.]table> rows <json array of objects>
// Other fields are ignored, except retry_of, which multiquery.retry_dead_letters
// adds (the id of the dead letter the entry re-sends).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/queue_json.hpp"

namespace mq::queue {

// An entry's fields (name, value) in stream order: views into the reply
// they were read from (queue_batch.hpp).
using EntryFields = std::vector<std::pair<std::string_view, std::string_view>>;

// Why an entry cannot be applied, shaped like a PostgreSQL error: detail
// and hint are full sentences, empty when there is none (the dead letter's
// detail and hint are then NULL).
struct EntryProblem {
    std::string sqlstate;
    std::string message;
    std::string detail;
    std::string hint;
};

// A well-formed entry: slices of the entry's field values.
struct EntryContent {
    std::string_view table;
    std::string_view json;  // the row or rows value
    bool many = false;      // rows (array) rather than row (object)
    std::optional<long long> retry_of;
    std::vector<JsonRow> rows;
};

// Checks fields and scans the JSON, its rows' keys interned in *key_sets.
// max_bytes caps the sum of the field values' sizes (0: no cap). On failure
// returns nullopt with *problem set.
std::optional<EntryContent> read_entry(const EntryFields& fields, size_t max_bytes,
                                       KeySets* key_sets, EntryProblem* problem);

// The problem of an entry of this many bytes, over max_bytes.
EntryProblem oversize_entry(size_t bytes, size_t max_bytes);
// An entry within drain_max_entry_size whose names and values are too many
// to hold within a read's budget (each costs its bytes and a node).
EntryProblem unholdable_entry();

// The detail of a dead letter whose error PostgreSQL raised while the entry
// was tried alone: the error's own detail, with a sentence naming the
// entry's table added unless the message names it already (a lock or
// statement timeout does not). relname is the table's own name, as
// PostgreSQL's messages quote it.
std::string detail_naming_table(const std::string& message, const std::string& detail,
                                const std::string& qualified_name, const std::string& relname);

// Whether a field is one of the payload's (table, row, rows), whose text
// the drain hands to PostgreSQL.
bool is_payload_field(std::string_view name);

// The dead letter an entry re-sends: its one valid retry_of field, whatever
// else is wrong with the entry (an entry that fails its checks again must
// replace its letter, not add one); nullopt when it has none, or not exactly
// one valid one.
std::optional<long long> entry_retry_of(const EntryFields& fields);

}  // namespace mq::queue
