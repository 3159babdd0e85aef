// Applying a chunk's differences to the target, as the caller, without ever
// overwriting a row that changed since it was compared: inserts do nothing on
// conflict, updates and deletes apply only where the target row is still the
// one compared. A write that loses such a race is skipped (the next pass sees
// the key again). Generated columns are compared, never written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "move/compare.hpp"
#include "move/local.hpp"
#include "move/plan.hpp"

namespace mq::move {

struct Applied {
    int64_t inserted = 0;
    int64_t updated = 0;
    int64_t deleted = 0;
    int64_t skipped = 0;  // lost a race with another writer
};

class Writer {
public:
    Writer(const MovePlan& plan, bool deletes);
    // One chunk's differences; the caller commits.
    Applied apply(const std::vector<Difference>& differences);
    // Sets the sequences the target's columns own past the largest value.
    void set_sequences();

private:
    void insert(const std::vector<const Row*>& rows, Applied* applied);
    std::vector<Cell> key_params(const Row& row) const;
    std::vector<Cell> old_params(const Row& row) const;

    const MovePlan& plan_;
    bool deletes_;
    std::vector<int> written_;  // columns written by inserts
    std::vector<int> set_;      // columns written by updates
    ArrayInsert inserter_;
    Statement update_, delete_;
};

}  // namespace mq::move
