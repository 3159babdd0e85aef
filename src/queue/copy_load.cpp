// The drain's COPY path; see copy_load.hpp.
#include "queue/copy_load.hpp"

#include <algorithm>
#include <cstring>

#include "core/queue_copy_binary.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "commands/copy.h"
#include "commands/copyfrom_internal.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "utils/acl.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "miscadmin.h"
}

namespace mq::queue {
namespace {

// CopyFrom's data source callback takes no argument: the text being loaded
// is this one, set for the duration of one copy_rows call (the worker is
// single-threaded, and a COPY never nests in another here).
struct Source {
    const char* data = nullptr;
    size_t size = 0;
    size_t pos = 0;
};
Source current_source;

int read_source(void* outbuf, int /*minread*/, int maxread) {
    size_t n = std::min(static_cast<size_t>(maxread), current_source.size - current_source.pos);
    std::memcpy(outbuf, current_source.data + current_source.pos, n);
    current_source.pos += n;
    return static_cast<int>(n);
}

// The line CopyFrom was at when it last reported anything (an error
// included: error context callbacks run before the error unwinds, while the
// copy state is still there). CopyFrom's own callback puts the line in the
// message's context; this one keeps it as a number for the caller.
uint64_t reported_line = 0;

void remember_line(void* arg) {
    auto cstate = static_cast<CopyFromState>(arg);
    if (cstate != nullptr)
        reported_line = cstate->cur_lineno;
}

// CopyFrom's receive function for the jsonb columns of the drain's binary
// COPY: a field the converter marked holds the value's jsonb image
// (jsonb_image.hpp), put in place as it is; any other field is jsonb_recv's.
// PostgreSQL calls it inside CopyFrom: nothing here has a destructor, and
// jsonb_recv's errors unwind through it.
extern "C" Datum receive_jsonb_field(PG_FUNCTION_ARGS) {
    StringInfo field = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
    int size = field->len - field->cursor - 1;
    // (The smallest image, an empty container, is its 4-byte header.)
    if (size >= 4 && field->data[field->cursor] == kJsonbImageMark) {
        auto image = static_cast<Jsonb*>(palloc(VARHDRSZ + size));
        SET_VARSIZE(image, VARHDRSZ + size);
        std::memcpy(VARDATA(image), field->data + field->cursor + 1, size);
        field->cursor = field->len;
        PG_RETURN_POINTER(image);
    }
    return jsonb_recv(fcinfo);
}

// Points the copy's jsonb columns at receive_jsonb_field. BeginCopyFrom
// looked up jsonb_recv for them; the rest of that lookup stays.
void receive_jsonb_images(CopyFromState cstate, Relation rel) {
    ListCell* cell;
    foreach (cell, cstate->attnumlist) {
        int attnum = lfirst_int(cell);
        if (TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid == JSONBOID)
            cstate->in_functions[attnum - 1].fn_addr = receive_jsonb_field;
    }
}

}  // namespace

int64_t copy_rows(const Target& target, const std::vector<std::string>& keys,
                  const std::string& data, bool binary, uint64_t* failed_line) {
    current_source = Source{data.data(), data.size(), 0};
    reported_line = 0;
    *failed_line = 0;
    const std::string* names = keys.data();
    size_t nkeys = keys.size();
    Oid relid = target.relid;
    uint64 processed = 0;
    try {
        pg::call([&] {
            // What DoCopy checks before it reaches CopyFrom: a read-only
            // transaction (a demoted primary) is refused as INSERT's is,
            // with 25006, not with CopyFrom's internal error later.
            PreventCommandIfReadOnly("COPY FROM");
            // The subtransaction's own context: freed with it on an error,
            // and by us after a success.
            MemoryContext copy_context =
                AllocSetContextCreate(CurTransactionContext, "multiquery drain copy",
                                      ALLOCSET_DEFAULT_SIZES);
            MemoryContext old = MemoryContextSwitchTo(copy_context);
            Relation rel = table_open(relid, RowExclusiveLock);
            ParseState* pstate = make_parsestate(nullptr);
            ParseNamespaceItem* item =
                addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, nullptr, false, false);
            item->p_rte->requiredPerms = ACL_INSERT;
            List* columns = NIL;
            for (size_t i = 0; i < nkeys; ++i)
                columns = lappend(columns, makeString(pstrdup(names[i].c_str())));
            // Text is written in UTF-8 (the converter's), whatever the
            // worker's client encoding; binary values are the types' own
            // send formats, and text in them is checked by their receive
            // functions.
            List* options = binary ? list_make1(makeDefElem(
                                         pstrdup("format"),
                                         reinterpret_cast<Node*>(makeString(pstrdup("binary"))), -1))
                                   : list_make1(makeDefElem(
                                         pstrdup("encoding"),
                                         reinterpret_cast<Node*>(makeString(pstrdup("UTF8"))), -1));
            // As a statement of its own: it sees what the batch did before
            // it, with a fresh snapshot, and what it did is seen after it.
            CommandCounterIncrement();
            PushActiveSnapshot(GetTransactionSnapshot());
            CopyFromState cstate = BeginCopyFrom(pstate, rel, nullptr, nullptr, false, read_source,
                                                 columns, options);
            if (binary)
                receive_jsonb_images(cstate, rel);
            ErrorContextCallback line_callback;
            line_callback.callback = remember_line;
            line_callback.arg = cstate;
            line_callback.previous = error_context_stack;
            error_context_stack = &line_callback;
            processed = CopyFrom(cstate);
            // (An error unwinds past here; the error's handler resets the stack.)
            error_context_stack = line_callback.previous;
            reported_line = 0;  // (a later error is not a row's)
            EndCopyFrom(cstate);
            PopActiveSnapshot();
            CommandCounterIncrement();
            table_close(rel, NoLock);
            MemoryContextSwitchTo(old);
            MemoryContextDelete(copy_context);
        });
    } catch (...) {
        current_source = Source{};
        *failed_line = reported_line;
        throw;
    }
    current_source = Source{};
    return static_cast<int64_t>(processed);
}

}  // namespace mq::queue
