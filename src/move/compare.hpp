// Comparing the two tables by key ranges: each side sums a 64-bit hash of
// its rows per range (the source on its own server, many ranges per query),
// and only ranges whose counts or sums differ are fetched, from both sides,
// and compared row by row by key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "move/plan.hpp"
#include "move/remote.hpp"
#include "move/rows.hpp"

namespace mq::move {

struct Difference {
    enum class Kind { kMissing, kExtra, kChanged };
    Kind kind;
    Row source;  // every column's canonical text; empty for kExtra
    Row target;  // empty for kMissing
};

const char* kind_name(Difference::Kind kind);

// The key of a row as jsonb text: {"id": 41}, numbers and booleans as such.
std::string key_json(const MovePlan& plan, const Row& row);

class Comparison {
public:
    Comparison(const MovePlan& plan, RemoteSource* remote) : plan_(plan), remote_(remote) {}

    // Checks the remote relation (it exists, no row-level security) and cuts
    // the ranges from both tables' keys.
    void cut_ranges();
    // The ranges whose counts or hash sums differ, in order.
    std::vector<size_t> differing_ranges();
    // Groups ranges into chunks of about max_rows rows (by the larger side's
    // count); a range is never split.
    std::vector<std::vector<size_t>> chunks(const std::vector<size_t>& ranges,
                                            int64_t max_rows) const;
    // Fetches a chunk's ranges from both sides and compares them by key.
    std::vector<Difference> compare(const std::vector<size_t>& chunk);
    // Asks the source for a chunk's rows now, for the compare() that follows
    // (the source works while this side writes the previous chunk).
    void prefetch(const std::vector<size_t>& chunk);

    size_t range_count() const { return boundaries_.size() + 1; }
    int64_t rows_fetched() const { return rows_fetched_; }
    int64_t ranges_fetched() const { return ranges_fetched_; }

private:
    struct Sum {
        int64_t count = 0;
        std::string hash;
    };

    int64_t estimated_rows(const std::string& remote_estimate);

    const MovePlan& plan_;
    RemoteSource* remote_;
    Rows boundaries_;
    int64_t range_rows_ = 0;
    std::vector<size_t> prefetched_;  // the chunk whose source rows are on their way  // how many
                                      // rows (of the larger side) a range was cut to hold
    std::vector<Sum> target_sums_, source_sums_;
    int64_t rows_fetched_ = 0;
    int64_t ranges_fetched_ = 0;
};

}  // namespace mq::move
