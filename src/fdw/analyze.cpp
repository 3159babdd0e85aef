// ANALYZE of a raced foreign table: the row estimates of its scans come from
// these local statistics. AnalyzeForeignTable races a read of the remote
// relation's pg_class row (its pages, its row count, its kind); the sample
// then comes from one race: a TABLESAMPLE BERNOULLI read sized for about
// twice the target rows when the remote relation is a large table or
// materialized view, all rows otherwise; either way the rows pass through a
// reservoir of the target size. The table's row count is the remote
// reltuples when it is known, else the rows read.
#include <optional>
#include <string>
#include <vector>

#include "fdw/fdw.hpp"
#include "fdw/race_read.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/sampling.h"
}

namespace mq::fdw {
namespace {

// What AnalyzeForeignTable learnt of the remote relation, for the sample
// function ANALYZE calls right after it for the same table.
struct RemoteSize {
    Oid table = InvalidOid;
    double tuples = -1;  // -1: unknown (never analyzed remotely, or a view)
    char kind = 'v';
};
RemoteSize remote_size;

// ANALYZE reads through the table owner's user mappings, whoever runs it (as
// postgres_fdw does): a superuser analyzing a table must not lend the owner
// its own credentials, and ANALYZE itself runs the sampling as the owner.
Oid analyzing_user(Relation relation) {
    return relation->rd_rel->relowner;
}

// Races `SELECT relpages, reltuples, relkind` of the remote relation.
void read_remote_size(Relation relation, BlockNumber* pages) {
    Oid table = RelationGetRelid(relation);
    Oid server = pg::call([&] { return GetForeignTable(table)->serverid; });
    const char* sql = pg::call([&] {
        return psprintf("SELECT relpages, reltuples, relkind FROM pg_catalog.pg_class "
                        "WHERE oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(%s)",
                        deparse_literal(deparse_relation(table)));
    });
    TupleDesc desc = pg::call([] {
        TupleDesc d = CreateTemplateTupleDesc(3);
        TupleDescInitEntry(d, 1, "relpages", INT4OID, -1, 0);
        TupleDescInitEntry(d, 2, "reltuples", FLOAT8OID, -1, 0);
        TupleDescInitEntry(d, 3, "relkind", CHAROID, -1, 0);
        return d;
    });
    Tuplestorestate* store = pg::call([] { return tuplestore_begin_heap(false, false, work_mem); });
    race_read(RaceRead{server, analyzing_user(relation), sql, {}, store, desc,
                       raced_table_subject(RelationGetRelid(relation))});
    remote_size = RemoteSize{table, -1, 'v'};
    *pages = 1;
    pg::call([&] {
        TupleTableSlot* slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
        if (tuplestore_gettupleslot(store, true, false, slot)) {
            bool is_null;
            Datum value = slot_getattr(slot, 1, &is_null);
            if (!is_null && DatumGetInt32(value) > 0)
                *pages = static_cast<BlockNumber>(DatumGetInt32(value));
            value = slot_getattr(slot, 2, &is_null);
            if (!is_null)
                remote_size.tuples = DatumGetFloat8(value);
            value = slot_getattr(slot, 3, &is_null);
            if (!is_null)
                remote_size.kind = DatumGetChar(value);
        }
        ExecDropSingleTupleTableSlot(slot);
        tuplestore_end(store);
    });
}

// Keeps a reservoir of at most target rows out of those the race returned.
int sample_rows(Tuplestorestate* store, TupleDesc desc, HeapTuple* rows, int target,
                double* seen) {
    int count = 0;
    *seen = 0;
    ReservoirStateData reservoir;
    reservoir_init_selection_state(&reservoir, target);
    double skip = -1;
    TupleTableSlot* slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
    while (tuplestore_gettupleslot(store, true, false, slot)) {
        if (count < target) {
            rows[count++] = ExecCopySlotHeapTuple(slot);
        } else {
            if (skip < 0)
                skip = reservoir_get_next_S(&reservoir, *seen, target);
            if (skip <= 0) {
                int replaced = static_cast<int>(target * sampler_random_fract(&reservoir.randstate));
                heap_freetuple(rows[replaced]);
                rows[replaced] = ExecCopySlotHeapTuple(slot);
            }
            skip -= 1;
        }
        *seen += 1;
    }
    ExecDropSingleTupleTableSlot(slot);
    return count;
}

int acquire_sample_guarded(Relation relation, int elevel, HeapTuple* rows, int target,
                           double* total_rows, double* total_dead_rows) {
    Oid table = RelationGetRelid(relation);
    double percent = 0;
    bool known = remote_size.table == table && remote_size.tuples > 0;
    if (known && (remote_size.kind == 'r' || remote_size.kind == 'm') &&
        remote_size.tuples > 2.0 * target)
        percent = 100.0 * 2.0 * target / remote_size.tuples;
    Oid server = pg::call([&] { return GetForeignTable(table)->serverid; });
    const char* sql = pg::call([&] { return deparse_analyze_select(relation, percent); });
    TupleDesc desc = RelationGetDescr(relation);
    Tuplestorestate* store = pg::call([] { return tuplestore_begin_heap(false, false, work_mem); });
    race_read(RaceRead{server, analyzing_user(relation), sql, {}, store, desc,
                       raced_table_subject(RelationGetRelid(relation))});
    double seen = 0;
    int count = pg::call([&] {
        int sampled = sample_rows(store, desc, rows, target, &seen);
        tuplestore_end(store);
        return sampled;
    });
    *total_rows = percent > 0 ? remote_size.tuples : seen;
    *total_dead_rows = 0;
    pg::call([&] {
        ereport(elevel, (errmsg("\"%s\": raced a read of %.0f rows, kept %d sample rows, "
                                "%.0f estimated total rows",
                                RelationGetRelationName(relation), seen, count, *total_rows)));
    });
    return count;
}

int acquire_sample(Relation relation, int elevel, HeapTuple* rows, int target, double* total_rows,
                   double* total_dead_rows) {
    int count = 0;
    pg::run_guarded([&] {
        count = acquire_sample_guarded(relation, elevel, rows, target, total_rows,
                                       total_dead_rows);
    });
    return count;
}

}  // namespace

bool analyze_table(Relation relation, AcquireSampleRowsFunc* func, BlockNumber* total_pages) {
    read_remote_size(relation, total_pages);
    *func = acquire_sample;
    return true;
}

}  // namespace mq::fdw
