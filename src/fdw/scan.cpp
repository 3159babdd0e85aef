// Executing a raced read. The first row asked for runs the race: the
// parameters ($n) are evaluated and sent as text, the winner's rows go into a
// tuplestore (bounded by work_mem, spilling beyond) with the scan tuple's
// types, and rows are returned from it. A rescan whose parameters did not
// change replays the stored rows without a new race; one whose parameters
// changed (the next outer row of a nested loop) races again. Every race
// after the statement's first on the same race group reads inside the
// snapshot the first left open (snapshot.hpp).
//
// The executor calls IterateForeignScan in its per-tuple memory, which it
// resets before every call. A row read back from a tuplestore that spilled to
// disk is allocated where the read runs and freed by the slot at the next
// read, so every read of the store runs in the scan's own context.
#include <optional>
#include <string>
#include <vector>

#include "fdw/fdw.hpp"
#include "fdw/race_read.hpp"
#include "fdw/snapshot.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "executor/tuptable.h"
#include "access/htup_details.h"
#include "storage/itemptr.h"
#include "utils/builtins.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"
}

namespace mq::fdw {
namespace {

// The scan's state, palloc'd in the executor's query context: plain data, so
// that an error ending the query frees it with the context.
struct ScanState {
    const char* sql;
    Oid server;
    Oid user;
    List* param_states;     // ExprStates of fdw_exprs
    FmgrInfo* param_output; // their types' output functions
    bool* param_formatted;  // whether a type's text depends on the transmission modes
    int param_count;
    MemoryContext context;  // where the tuplestore lives
    Tuplestorestate* store; // the current answer; nullptr before the first race
    TupleTableSlot* read_slot;  // reads the tuplestore's minimal tuples
    bool answered;          // store holds the answer for the current parameters
    const char* subject;    // the table, as error messages name the read
    // The remote ctid's place in the stored rows (after the scan tuple's
    // columns), or -1 when the plan does not read ctid.
    int ctid_column;
};

ScanState* state_of(ForeignScanState* node) {
    return static_cast<ScanState*>(node->fdw_state);
}

// The parameters' values as text: evaluated under the session's settings,
// printed in the transmission formats.
std::vector<std::optional<std::string>> evaluate_params(ForeignScanState* node,
                                                        ScanState* state) {
    std::vector<std::optional<std::string>> params;
    ExprContext* econtext = node->ss.ps.ps_ExprContext;
    int index = 0;
    ListCell* cell;
    foreach (cell, state->param_states) {
        auto* expr = static_cast<ExprState*>(lfirst(cell));
        FmgrInfo* output = &state->param_output[index++];
        char* text = pg::call([&]() -> char* {
            MemoryContext caller = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
            bool is_null;
            Datum value = ExecEvalExpr(expr, econtext, &is_null);
            char* result = nullptr;
            if (is_null) {
            } else if (!state->param_formatted[index - 1]) {
                result = OutputFunctionCall(output, value);
            } else {
                int nest_level = set_transmission_modes();
                result = OutputFunctionCall(output, value);
                reset_transmission_modes(nest_level);
            }
            MemoryContextSwitchTo(caller);
            return result;
        });
        if (text == nullptr)
            params.emplace_back(std::nullopt);
        else
            params.emplace_back(std::string(text));
    }
    return params;
}

void run_race(ForeignScanState* node, ScanState* state) {
    RaceRead read{state->server, state->user, state->sql, evaluate_params(node, state), nullptr,
                  state->read_slot->tts_tupleDescriptor};
    pg::call([&] {
        if (state->store == nullptr) {
            MemoryContext caller = MemoryContextSwitchTo(state->context);
            state->store = tuplestore_begin_heap(false, false, work_mem);
            MemoryContextSwitchTo(caller);
        } else {
            tuplestore_clear(state->store);
        }
    });
    read.store = state->store;
    read.subject = state->subject;
    read.snapshot = snapshot_scope_for(node->ss.ps.state, state->server, state->user);
    race_read(read);
    state->answered = true;
}

// The stored rows' shape: the scan tuple's columns, named after the foreign
// tables' (a conversion error names the column), then the remote ctid when
// the plan reads it.
TupleDesc stored_row_desc(ForeignScan* plan, EState* estate, TupleDesc scan_desc,
                          bool with_ctid) {
    TupleDesc desc = CreateTemplateTupleDesc(scan_desc->natts + (with_ctid ? 1 : 0));
    for (int i = 1; i <= scan_desc->natts; ++i)
        TupleDescCopyEntry(desc, static_cast<AttrNumber>(i), scan_desc, static_cast<AttrNumber>(i));
    ListCell* cell;
    foreach (cell, plan->fdw_scan_tlist) {
        auto* entry = static_cast<TargetEntry*>(lfirst(cell));
        auto* var = reinterpret_cast<Var*>(entry->expr);
        if (IsA(var, Var) && var->varattno > 0)
            namestrcpy(&TupleDescAttr(desc, entry->resno - 1)->attname,
                       get_attname(exec_rt_fetch(var->varno, estate)->relid, var->varattno,
                                   false));
    }
    if (with_ctid)
        TupleDescInitEntry(desc, static_cast<AttrNumber>(scan_desc->natts + 1), "ctid", TIDOID,
                           -1, 0);
    return desc;
}

// What error messages call the read: its table's raced read, "joined with"
// the others' for a join sent remotely.
std::string read_subject(ForeignScan* plan, EState* estate) {
    int first = bms_next_member(plan->fs_relids, -1);
    std::string subject = raced_table_subject(exec_rt_fetch(first, estate)->relid);
    return pg::call([&] {
        const char* joined = " joined with ";
        int member = first;
        while ((member = bms_next_member(plan->fs_relids, member)) >= 0) {
            Oid table = exec_rt_fetch(member, estate)->relid;
            subject += std::string(joined) + "foreign table \"" +
                       get_namespace_name(get_rel_namespace(table)) + "." + get_rel_name(table) +
                       "\"";
            joined = ", ";
        }
        return subject;
    });
}

// The next stored row into the scan slot, with the remote ctid as its
// t_self when the plan reads ctid; false at the end.
bool next_stored_row(ScanState* state, TupleTableSlot* slot) {
    MemoryContext caller = MemoryContextSwitchTo(state->context);
    bool found = tuplestore_gettupleslot(state->store, true, false, state->read_slot);
    MemoryContextSwitchTo(caller);
    if (!found)
        return false;
    if (state->ctid_column < 0) {
        ExecCopySlot(slot, state->read_slot);
        return true;
    }
    slot_getallattrs(state->read_slot);
    MemoryContext slot_context = MemoryContextSwitchTo(slot->tts_mcxt);
    HeapTuple tuple = heap_form_tuple(slot->tts_tupleDescriptor, state->read_slot->tts_values,
                                      state->read_slot->tts_isnull);
    MemoryContextSwitchTo(slot_context);
    if (!state->read_slot->tts_isnull[state->ctid_column])
        tuple->t_self = *reinterpret_cast<ItemPointer>(
            DatumGetPointer(state->read_slot->tts_values[state->ctid_column]));
    ExecStoreHeapTuple(tuple, slot, true);
    return true;
}

}  // namespace

void begin_scan(ForeignScanState* node, int eflags) {
    auto* plan = reinterpret_cast<ForeignScan*>(node->ss.ps.plan);
    auto* state = static_cast<ScanState*>(palloc0(sizeof(ScanState)));
    node->fdw_state = state;
    state->sql = strVal(list_nth(plan->fdw_private, kPlanSql));
    state->server = static_cast<Oid>(intVal(list_nth(plan->fdw_private, kPlanServer)));
    Oid check_as = static_cast<Oid>(intVal(list_nth(plan->fdw_private, kPlanCheckAsUser)));
    // The mappings of the role the scan is checked as (a view's owner), else
    // of the current user, as for any other foreign table.
    state->user = OidIsValid(check_as) ? check_as : GetUserId();
    // The tables the scan reads; a join, grouping, ORDER BY or LIMIT pushed
    // down scans a join or upper relation (scanrelid 0), which opens none,
    // so from fs_relids.
    {
        // Its own scope: the calls below may longjmp, and skip no destructor.
        std::string subject = read_subject(plan, node->ss.ps.state);
        state->subject = pg::call([&] { return pstrdup(subject.c_str()); });
    }
    if ((eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0)
        return;
    state->context = CurrentMemoryContext;
    // New parameter values (a nested loop's outer row, a correlated subplan)
    // race it again: then it is never a statement's only race.
    note_raced_scan(node->ss.ps.state, state->server, state->user,
                    !bms_is_empty(plan->scan.plan.allParam));
    state->param_count = list_length(plan->fdw_exprs);
    state->param_states = ExecInitExprList(plan->fdw_exprs, &node->ss.ps);
    state->param_output =
        static_cast<FmgrInfo*>(palloc0(sizeof(FmgrInfo) * Max(state->param_count, 1)));
    state->param_formatted =
        static_cast<bool*>(palloc0(sizeof(bool) * Max(state->param_count, 1)));
    int index = 0;
    ListCell* cell;
    foreach (cell, plan->fdw_exprs) {
        Oid output;
        bool varlena;
        Oid type = exprType(static_cast<Node*>(lfirst(cell)));
        getTypeOutputInfo(type, &output, &varlena);
        state->param_formatted[index] = prints_in_transmission_modes(type);
        fmgr_info(output, &state->param_output[index++]);
    }
    bool with_ctid = intVal(list_nth(plan->fdw_private, kPlanFetchesCtid)) != 0;
    TupleDesc scan_desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
    state->ctid_column = with_ctid ? scan_desc->natts : -1;
    state->read_slot =
        MakeSingleTupleTableSlot(stored_row_desc(plan, node->ss.ps.state, scan_desc, with_ctid),
                                 &TTSOpsMinimalTuple);
}

TupleTableSlot* iterate_scan(ForeignScanState* node) {
    ScanState* state = state_of(node);
    if (!state->answered)
        run_race(node, state);
    TupleTableSlot* slot = node->ss.ss_ScanTupleSlot;
    if (!pg::call([&] { return next_stored_row(state, slot); }))
        return ExecClearTuple(slot);
    return slot;
}

void rescan(ForeignScanState* node) {
    ScanState* state = state_of(node);
    if (node->ss.ps.chgParam != nullptr)
        state->answered = false;
    else if (state->answered)
        tuplestore_rescan(state->store);
}

void end_scan(ForeignScanState* node) {
    ScanState* state = state_of(node);
    if (state == nullptr)
        return;
    if (state->store != nullptr)
        tuplestore_end(state->store);
    if (state->read_slot != nullptr)
        ExecDropSingleTupleTableSlot(state->read_slot);
}

}  // namespace mq::fdw
