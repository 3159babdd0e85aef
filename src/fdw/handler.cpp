// multiquery.fdw_handler(): the multiquery wrapper's FdwRoutine. Every
// callback runs its body through mq::pg::run_guarded, so that no C++
// exception crosses into the planner or the executor.
#include "fdw/fdw.hpp"
#include "fdw/import_schema.hpp"
#include "fdw/write_refusal.hpp"
#include "pg/guard.hpp"

namespace {

void get_foreign_rel_size(PlannerInfo* root, RelOptInfo* baserel, Oid table) {
    mq::pg::run_guarded([&] { mq::fdw::get_rel_size(root, baserel, table); });
}

void get_foreign_paths(PlannerInfo* root, RelOptInfo* baserel, Oid table) {
    mq::pg::run_guarded([&] { mq::fdw::get_paths(root, baserel, table); });
}

ForeignScan* get_foreign_plan(PlannerInfo* root, RelOptInfo* rel, Oid table, ForeignPath* path,
                              List* tlist, List* scan_clauses, Plan* outer_plan) {
    ForeignScan* plan = nullptr;
    mq::pg::run_guarded([&] {
        plan = mq::fdw::get_plan(root, rel, table, path, tlist, scan_clauses, outer_plan);
    });
    return plan;
}

void get_foreign_join_paths(PlannerInfo* root, RelOptInfo* joinrel, RelOptInfo* outerrel,
                            RelOptInfo* innerrel, JoinType jointype, JoinPathExtraData* extra) {
    mq::pg::run_guarded([&] {
        mq::fdw::get_join_paths(root, joinrel, outerrel, innerrel, jointype, extra);
    });
}

void get_foreign_upper_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                             RelOptInfo* output_rel, void* extra) {
    mq::pg::run_guarded(
        [&] { mq::fdw::get_upper_paths(root, stage, input_rel, output_rel, extra); });
}

void begin_foreign_scan(ForeignScanState* node, int eflags) {
    mq::pg::run_guarded([&] { mq::fdw::begin_scan(node, eflags); });
}

TupleTableSlot* iterate_foreign_scan(ForeignScanState* node) {
    TupleTableSlot* slot = nullptr;
    mq::pg::run_guarded([&] { slot = mq::fdw::iterate_scan(node); });
    return slot;
}

void rescan_foreign_scan(ForeignScanState* node) {
    mq::pg::run_guarded([&] { mq::fdw::rescan(node); });
}

void end_foreign_scan(ForeignScanState* node) {
    mq::pg::run_guarded([&] { mq::fdw::end_scan(node); });
}

void explain_foreign_scan(ForeignScanState* node, ExplainState* es) {
    mq::pg::run_guarded([&] { mq::fdw::explain_scan(node, es); });
}

bool analyze_foreign_table(Relation relation, AcquireSampleRowsFunc* func,
                           BlockNumber* total_pages) {
    bool supported = false;
    mq::pg::run_guarded([&] { supported = mq::fdw::analyze_table(relation, func, total_pages); });
    return supported;
}

}  // namespace

MQ_FUNCTION(multiquery_fdw_handler) {
    FdwRoutine* routine = mq::pg::call([] { return makeNode(FdwRoutine); });
    routine->GetForeignRelSize = get_foreign_rel_size;
    routine->GetForeignPaths = get_foreign_paths;
    routine->GetForeignPlan = get_foreign_plan;
    routine->GetForeignJoinPaths = get_foreign_join_paths;
    routine->GetForeignUpperPaths = get_foreign_upper_paths;
    routine->BeginForeignScan = begin_foreign_scan;
    routine->IterateForeignScan = iterate_foreign_scan;
    routine->ReScanForeignScan = rescan_foreign_scan;
    routine->EndForeignScan = end_foreign_scan;
    routine->ExplainForeignScan = explain_foreign_scan;
    routine->AnalyzeForeignTable = analyze_foreign_table;
    routine->ImportForeignSchema = mq::fdw::import_foreign_schema;
    mq::fdw::set_write_refusal_routines(routine);
    PG_RETURN_POINTER(routine);
}
