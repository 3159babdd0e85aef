// The SQL text of a table move's reads, for either side. Both sides print
// each value as the canonical text of the target column's type, order keys
// in COLLATE "C" order (by the target's type, or by text for a type that is
// not built in), and so agree on which range a row falls in and on its hash.
//
// Ranges: boundaries B[0..N-1] (key values, sorted) cut N+1 ranges; range r
// holds the keys from B[r-1] (inclusive; none for r = 0) to B[r] (exclusive;
// none for r = N).
#pragma once

#include <string>
#include <vector>

#include "move/plan.hpp"
#include "move/rows.hpp"

namespace mq::move {

enum class Side { kTarget, kSource };

// Every `every`-th key in order, as canonical text: boundaries.
std::string cut_query(const MovePlan& plan, Side side, long every);

// Sorts the union of two sets of boundaries (key texts), run locally.
std::string merge_query(const MovePlan& plan, const Rows& a, const Rows& b);

// Per range of [first, last]: range, row count, and the sum of the rows'
// 64-bit hashes (order-independent).
std::string hash_query(const MovePlan& plan, Side side, const Rows& boundaries, size_t first,
                       size_t last);

// The rows of the ranges in [first, last] that wanted lists (all of them
// when wanted is empty): range, then every column's canonical text.
std::string rows_query(const MovePlan& plan, Side side, const Rows& boundaries, size_t first,
                       size_t last, const std::vector<size_t>& wanted);

// A PostgreSQL array literal of texts (for unnest in the bulk insert).
std::string array_literal(const std::vector<const Cell*>& cells);

// value as an SQL literal, readable whatever standard_conforming_strings.
std::string sql_literal(const std::string& value);

}  // namespace mq::move
