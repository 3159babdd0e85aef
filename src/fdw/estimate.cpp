// What a raced read costs, in the planner's units. Row counts come from the
// foreign table's local statistics (ANALYZE through a race, analyze.cpp) and
// clauselist_selectivity; before the first ANALYZE the table counts as 10
// pages of rows of its width, with PostgreSQL's default selectivities, so that
// a key lookup (DEFAULT_EQ_SEL) still looks selective.
//
// A read costs a round trip (the race's start), the remote work, the transfer
// and conversion of every fetched row, then local conditions. The remote work
// is the cheaper of a sequential scan and an index lookup of the fetched rows:
// the remote side is assumed to have an index for a selective condition, as
// it does for the keys joins look up by. The whole answer is fetched before
// the first row is returned (it goes into a tuplestore), so the startup cost
// holds all of that; this is what makes a remote LIMIT worth sending.
//
// A join or a grouping sent remotely costs one round trip, the remote work of
// its inputs plus that of joining or aggregating them, and the transfer of
// the rows it returns: fewer than its inputs', which is what makes it win
// over fetching the inputs and joining or aggregating them here.
#include <algorithm>
#include <cmath>

#include "fdw/fdw.hpp"

extern "C" {
#include "access/htup_details.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
}

namespace mq::fdw {
namespace {

// One race's round trip, connections cached: about as much as reading a
// few dozen pages locally.
constexpr Cost kRaceStartupCost = 10.0;
// Sending one row as text and converting it with the input functions.
constexpr double kRowTransferFactor = 5.0;  // times cpu_tuple_cost

Cost remote_cost(const RelOptInfo* rel, double fetched_rows, bool selective) {
    Cost sequential = rel->pages * seq_page_cost + rel->tuples * cpu_tuple_cost;
    if (!selective)
        return sequential;
    Cost lookup = random_page_cost * (1.0 + fetched_rows) + fetched_rows * cpu_tuple_cost;
    return std::min(sequential, lookup);
}

Cost sort_cost(double rows, double keep_rows) {
    double compared = std::max(2.0, keep_rows > 0 ? std::min(rows, 2.0 * keep_rows) : rows);
    return 2.0 * cpu_operator_cost * rows * std::log2(compared);
}

}  // namespace

void estimate_base_size(PlannerInfo* root, RelInfo* info) {
    RelOptInfo* rel = info->base;
    if (rel->tuples < 0) {
        // Never analyzed: ten pages of rows as wide as the table's.
        rel->pages = 10;
        int width = MAXALIGN(rel->reltarget->width) + MAXALIGN(SizeofHeapTupleHeader);
        rel->tuples = std::floor(10.0 * BLCKSZ / std::max(width, 1));
    }
    info->remote_selectivity =
        clauselist_selectivity(root, info->remote_conds, rel->relid, JOIN_INNER, nullptr);
    info->fetched_rows = clamp_row_est(rel->tuples * info->remote_selectivity);
    info->remote_work = remote_cost(rel, info->fetched_rows, info->fetched_rows < rel->tuples);
    info->charged_rows = info->fetched_rows;
    set_baserel_size_estimates(root, rel);
    cost_qual_eval(&info->local_cost, info->local_conds, root);
    estimate_scan_cost(root, info, info->fetched_rows, rel->rows, false, 0, &info->startup_cost,
                       &info->total_cost);
}

Cost remote_sort_cost(double rows, double keep_rows) {
    return sort_cost(rows, keep_rows);
}

void estimate_pushed_cost(const RelInfo* info, double rows, Cost extra_remote, Cost* startup,
                          Cost* total) {
    *startup = kRaceStartupCost + info->remote_work + extra_remote +
               rows * kRowTransferFactor * cpu_tuple_cost;
    *total = *startup + rows * cpu_tuple_cost;
}

void estimate_scan_cost(PlannerInfo* root, const RelInfo* info, double fetched_rows, double rows,
                        bool sorted, double limit_rows, Cost* startup, Cost* total) {
    const RelOptInfo* rel = info->base;
    bool selective = fetched_rows < rel->tuples;
    double sent_rows = limit_rows > 0 ? std::min(limit_rows, fetched_rows) : fetched_rows;
    Cost remote = remote_cost(rel, fetched_rows, selective);
    if (sorted)
        remote += sort_cost(fetched_rows, limit_rows);
    *startup = kRaceStartupCost + info->local_cost.startup + remote +
               sent_rows * kRowTransferFactor * cpu_tuple_cost;
    double returned = limit_rows > 0 ? std::min(limit_rows, rows) : rows;
    *total = *startup + sent_rows * info->local_cost.per_tuple + returned * cpu_tuple_cost +
             rel->reltarget->cost.per_tuple * returned;
}

}  // namespace mq::fdw
