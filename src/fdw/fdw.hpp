// Racing foreign tables: the scan side of the multiquery foreign-data wrapper.
// A foreign table on a multiquery server (a race group, or one server: a race
// of one) is read by racing one remote SELECT over the server's targets, as
// race_query does.
//
// The pieces, one concern per file:
//   validator.cpp  the wrapper's options: servers, race groups, mappings, tables
//   race_groups.cpp  race groups checked when defined: targets, mappings, pg_depend
//   handler.cpp    the FdwRoutine, every callback guarded at its edge
//   shippable.cpp  which conditions and sort keys may run remotely (judge)
//   deparse.cpp    the remote SELECT's text (print only what was judged safe)
//   transmission.cpp  the formats constants and parameters travel in
//   paths.cpp      sizes and paths: plain, presorted, parameterized
//   join.cpp       joins of raced tables of one race group, pushed down
//   upper.cpp      ORDER BY + LIMIT/OFFSET pushed down (UPPERREL_FINAL)
//   grouping.cpp   GROUP BY, aggregates, HAVING and DISTINCT pushed down
//   plan.cpp       the ForeignScan plan node and what it carries
//   estimate.cpp   costs of a raced read
//   scan.cpp       execution: the race into a tuplestore, rescans
//   explain.cpp    Race Targets and Remote SQL
//   analyze.cpp    ANALYZE through a race
//
// The planner callbacks are C-style code over PostgreSQL's own structures and
// hold no C++ object with a destructor, so an ERROR's longjmp through them
// skips nothing; the C++ that holds objects (quoting, target resolution, the
// race) calls PostgreSQL through mq::pg::call.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
#include "utils/relcache.h"
}

namespace mq::fdw {

// What a raced relation is: a foreign table, a join of raced relations the
// remote side runs as one SELECT, or the grouping (GROUP BY, aggregates,
// DISTINCT) of one of those.
enum class RelKind { kTable, kJoin, kGrouped };

// What the planner knows about one raced relation (its fdw_private), and, for
// an upper relation whose paths read it alone, which one it reads.
struct RelInfo {
    RelKind kind;
    RelOptInfo* base;      // the relation scanned: the foreign table's, or the join's
    Oid table;             // the foreign table (kTable only)
    Oid server;            // its server: a race group or one target
    Oid check_as_user;     // the RTE's checkAsUser (InvalidOid: the current user)
    List* remote_conds;    // RestrictInfos judged safe to run remotely
    List* local_conds;     // the others, evaluated here
    Bitmapset* attrs_used; // columns the plan needs (pull_varattnos numbering)
    QualCost local_cost;   // of local_conds, per fetched row
    Selectivity remote_selectivity;  // of remote_conds
    double fetched_rows;   // rows the remote SELECT returns, unparameterized
    Cost startup_cost;     // of the unparameterized path
    Cost total_cost;
    bool sort_shippable;   // root->query_pathkeys can be sent as ORDER BY
    Cost remote_work;      // what the remote side spends producing fetched_rows
    // The rows whose transfer a read of it is charged: fetched_rows, but for a
    // join never more than fetching its tables would send (join.cpp).
    double charged_rows;

    // kJoin: the two sides, joined by jointype ON join_conds (RestrictInfos);
    // remote_conds then filter the join's rows (the WHERE of an outer join).
    RelInfo* outer;
    RelInfo* inner;
    JoinType jointype;
    List* join_conds;

    // kGrouped: the relation grouped (a kTable or kJoin), the remote SELECT
    // list (TargetEntries), the 1-based positions in it that GROUP BY names,
    // and the HAVING conditions (bare Exprs). ordered: the ORDER BY of the
    // query goes remote too (the ordered relation's marker).
    RelInfo* input;
    List* grouped_tlist;
    List* group_positions;
    List* having;
    bool ordered;
};

// What fdw_private of a ForeignScan holds, by position.
enum PlanPrivate {
    kPlanSql = 0,         // String: the remote SELECT
    kPlanTable = 1,       // Integer: the foreign table's oid (0: a join or grouping)
    kPlanServer = 2,      // Integer: its server's oid
    kPlanCheckAsUser = 3, // Integer: the user whose mappings are used, 0: current
    kPlanFetchesCtid = 4, // Integer: 1 when the remote ctid follows the row's columns
};

// What fdw_private of a ForeignPath holds: its pathkeys go out as ORDER BY,
// and (upper paths) whether LIMIT/OFFSET do.
enum PathPrivate { kPathSorted = 0, kPathLimited = 1 };

// shippable.cpp
bool is_shippable(PlannerInfo* root, const RelInfo* info, Expr* expr);
// The Var of the foreign table to sort by for pathkey, or nullptr when the
// pathkey cannot be sent as ORDER BY.
Var* shippable_sort_var(PlannerInfo* root, const RelInfo* info, PathKey* pathkey);
bool pathkeys_shippable(PlannerInfo* root, const RelInfo* info, List* pathkeys);
// Whether expr, an expression over a grouped relation (aggregates, grouping
// expressions, HAVING), may run remotely.
bool is_shippable_grouped(PlannerInfo* root, const RelInfo* info, Expr* expr);
// The expression of a grouped relation's target to sort by for pathkey, or
// nullptr when the pathkey cannot be sent as ORDER BY.
Expr* shippable_grouped_sort_expr(PlannerInfo* root, const RelInfo* info, PathKey* pathkey);
// Whether a collation means the same on the remote side (those of pg_catalog).
bool collation_travels(Oid collation);
// Whether a type is one of the reg* types, whose text is an object's name.
bool is_reg_type(Oid type);

// deparse.cpp
struct RemoteSelect {
    RelInfo* info;
    List* columns;      // attribute numbers (Integer) fetched, in order; 0: NULL
    List* conds;        // clauses (bare Exprs) for WHERE
    List* pathkeys;     // ORDER BY, or NIL
    Node* limit_count;  // LIMIT/OFFSET expressions, or nullptr
    Node* limit_offset;
    bool limited;
};
// Prints sel's remote SELECT; *params gets the expressions sent as $1, $2, ...
char* deparse_select(PlannerInfo* root, const RemoteSelect* sel, List** params);
// The remote SELECT of a join or grouped relation: tlist's expressions from
// sel->info's relations, joined, filtered, grouped, then sel's ORDER BY and
// LIMIT (sel->columns and sel->conds unused).
char* deparse_pushed_select(PlannerInfo* root, const RemoteSelect* sel, List* tlist,
                            List** params);

// The remote relation, schema-qualified and quoted; a value as a literal.
char* deparse_relation(Oid table);
char* deparse_literal(const char* value);
// ANALYZE's read: every column (dropped ones as NULL), sampled remotely by
// TABLESAMPLE BERNOULLI when sample_percent > 0.
char* deparse_analyze_select(Relation relation, double sample_percent);

// transmission.cpp: the output formats constants and parameters are printed
// in, from set_transmission_modes() until reset_transmission_modes() of the
// level it returned.
int set_transmission_modes();
// Whether values of the type print differently under other settings of the
// transmission modes (false for integers, numeric, text, uuid, ...).
bool prints_in_transmission_modes(Oid type);
void reset_transmission_modes(int nest_level);

// estimate.cpp
void estimate_base_size(PlannerInfo* root, RelInfo* info);
// The cost of a raced read of a join or grouped relation whose remote side
// returns info->fetched_rows (rows of which with a LIMIT) after remote_work.
void estimate_pushed_cost(const RelInfo* info, double rows, Cost extra_remote, Cost* startup,
                          Cost* total);
// The cost of a raced read fetching fetched_rows of which rows survive the
// local conditions; sorted: with an ORDER BY; limit_rows > 0: with a LIMIT.
void estimate_scan_cost(PlannerInfo* root, const RelInfo* info, double fetched_rows,
                        double rows, bool sorted, double limit_rows, Cost* startup, Cost* total);

// paths.cpp
void get_rel_size(PlannerInfo* root, RelOptInfo* baserel, Oid table);
void get_paths(PlannerInfo* root, RelOptInfo* baserel, Oid table);

// join.cpp
void get_join_paths(PlannerInfo* root, RelOptInfo* joinrel, RelOptInfo* outerrel,
                    RelOptInfo* innerrel, JoinType jointype, JoinPathExtraData* extra);

// grouping.cpp: the paths of a grouped relation (UPPERREL_GROUP_AGG or,
// without grouping, UPPERREL_DISTINCT) over a raced relation.
void add_grouping_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                        RelOptInfo* output_rel, void* extra);
// The sort cost of n rows (estimate.cpp).
Cost remote_sort_cost(double rows, double keep_rows);

// upper.cpp
void get_upper_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                     RelOptInfo* output_rel, void* extra);

// plan.cpp
ForeignScan* get_plan(PlannerInfo* root, RelOptInfo* rel, Oid table, ForeignPath* path,
                      List* tlist, List* scan_clauses, Plan* outer_plan);

// scan.cpp
void begin_scan(ForeignScanState* node, int eflags);
TupleTableSlot* iterate_scan(ForeignScanState* node);
void rescan(ForeignScanState* node);
void end_scan(ForeignScanState* node);

// explain.cpp
void explain_scan(ForeignScanState* node, ExplainState* es);

// analyze.cpp
bool analyze_table(Relation relation, AcquireSampleRowsFunc* func, BlockNumber* totalpages);

}  // namespace mq::fdw
