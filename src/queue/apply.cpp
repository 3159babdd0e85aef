// One batch, one transaction; see apply.hpp.
#include "queue/apply.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>

#include "core/json_text.hpp"
#include "core/queue_stream_id.hpp"
#include "core/sqlstate.hpp"
#include "pg/guard.hpp"
#include "queue/copy_load.hpp"
#include "queue/dead_letter.hpp"
#include "queue/row_group.hpp"
#include "queue/settings.hpp"
#include "queue/spi_run.hpp"
#include "queue/subtransaction.hpp"
#include "queue/target.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_authid_d.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
}

namespace mq::queue {
namespace {

// One entry of the batch on its way to rows or a dead letter.
struct Item {
    const StreamEntry* raw;
    std::optional<EntryContent> content;
    const Target* target = nullptr;
    bool dead = false;
    EntryProblem problem;
};

// Entries tried together in a first attempt (see apply_batch).
constexpr size_t kSliceEntries = 250;

// multiquery.drain_role, or InvalidOid when unset (each table's owner then).
Oid drain_role_oid() {
    std::string name = drain_role ? drain_role : "";
    if (name.empty())
        return InvalidOid;
    Oid role = InvalidOid;
    pg::call([&] { role = get_role_oid(name.c_str(), true); });
    if (!OidIsValid(role))
        throw mq::Error(mq::sqlstate::kUndefinedObject,
                        "role \"" + name + "\" named by multiquery.drain_role does not exist",
                        {}, "Create the role or change multiquery.drain_role and reload.");
    return role;
}

// SET CONSTRAINTS ALL IMMEDIATE, as a statement of its own (a new command
// id and snapshot, so the triggers it fires see what the batch did before
// it), without going through SPI: parsed and run as SQL, twice per COPY, it
// cost 2-3% of the worker's time.
void set_constraints_immediate() {
    pg::call([] {
        ConstraintsSetStmt* stmt = makeNode(ConstraintsSetStmt);
        stmt->constraints = NIL;
        stmt->deferred = false;
        CommandCounterIncrement();
        PushActiveSnapshot(GetTransactionSnapshot());
        AfterTriggerSetState(stmt);
        PopActiveSnapshot();
        CommandCounterIncrement();
        pfree(stmt);
    });
}

// The rows of items [first, last) in runs for the same table with the same
// keys, converted for COPY (row_group.hpp). Each table's rows go in stream
// order (its identity column counts as the stream does), and a batch of
// uniform rows is one run per table. Pure C++: no PostgreSQL call.
std::vector<RowGroup> group_rows(const std::vector<Item*>& items, size_t first, size_t last) {
    std::vector<RowGroup> groups;
    std::map<const Target*, size_t> open_group;  // each table's latest group
    const Target* last_target = nullptr;         // (most batches have one table)
    size_t last_group = 0;
    for (size_t i = first; i < last; ++i) {
        const Target* target = items[i]->target;
        for (const JsonRow& row : items[i]->content->rows) {
            size_t at;
            if (target == last_target) {
                at = last_group;
            } else {
                auto open = open_group.find(target);
                at = open == open_group.end() ? groups.size() : open->second;
            }
            if (at == groups.size() || groups[at].key_set() != row.keys) {
                groups.emplace_back(target, row.keys);
                at = groups.size() - 1;
                open_group[target] = at;
            }
            last_target = target;
            last_group = at;
            groups[at].add(row, i);
        }
    }
    return groups;
}

// Inserts the runs: one statement (a COPY, or 0.2's INSERT) each.
//
// Each statement runs as its table's insert role (target.cpp) in a
// security-restricted operation, with a GUC nest level of its own so that
// whatever the table's code SETs is undone; deferred constraints and
// triggers fire as the insert role before the range's subtransaction ends,
// so that their failures are the range's and never the commit's.
//
// When a COPY fails, *culprit is set to the index of the item whose row
// CopyFrom was reading or writing (a hint for insert_or_split); it stays
// unset when the failure cannot be placed on a row.
int64_t insert_groups(std::vector<RowGroup>& groups, std::optional<size_t>* culprit) {
    int64_t rows = 0;
    for (RowGroup& group : groups) {
        Oid role = group.target().insert_role;
        Oid saved_user;
        int saved_context;
        int nest_level;
        pg::call([&] {
            GetUserIdAndSecContext(&saved_user, &saved_context);
            SetUserIdAndSecContext(role, saved_context | SECURITY_LOCAL_USERID_CHANGE |
                                             SECURITY_RESTRICTED_OPERATION);
            nest_level = NewGUCNestLevel();
        });
        // An error here is rolled back with the range's subtransaction,
        // which restores the user and the GUCs itself.
        //
        // Deferred triggers would fire at COMMIT, as the worker's superuser:
        // every constraint is made immediate first, so they fire at the end
        // of the INSERT, as the insert role; and again after, so that one the
        // table's own code deferred meanwhile fails here, in the restricted
        // operation ("cannot fire deferred trigger"), as its entry's fault.
        set_constraints_immediate();
        if (group.form() != CopyForm::kNone) {
            uint64_t line = 0;
            try {
                rows += copy_rows(group.target(), group.keys(), group.copy_data(),
                                  group.form() == CopyForm::kBinary, &line);
            } catch (...) {
                if (line >= 1 && line <= group.row_items().size())
                    *culprit = group.row_items()[line - 1];
                throw;
            }
        } else {
            std::string json = "[";
            for (std::string_view row : group.rows()) {
                if (json.size() > 1)
                    json += ',';
                json.append(row.data(), row.size());
            }
            json += ']';
            rows += run_sql(group.target().insert_sql(group.keys()), {&json}, kAnySuccess);
        }
        set_constraints_immediate();
        pg::call([&] {
            AtEOXact_GUC(false, nest_level);
            SetUserIdAndSecContext(saved_user, saved_context);
        });
    }
    return rows;
}

// How insert_or_split treats failures, for one batch.
struct SplitPolicy {
    // The batch already failed multiquery.drain_max_attempts times: a
    // transient failure (a trigger's serialization failure, a lock or
    // statement timeout) is now blamed on the entry that fails alone, unless
    // it is the server's state (is_server_state_sqlstate).
    bool isolate = false;
    // How many more rows the binary converter refused among rows it took
    // may be tried alone before their range (RowGroup::refused_item).
    // Bounded, so that a stream whose rows alternate between forms the
    // converter takes and forms it leaves to COPY text costs at most this
    // many extra COPYs a batch.
    int suspects_left = 16;
};

// Runs insert_groups in a subtransaction, bounded by
// multiquery.drain_statement_timeout; returns the failure, or nullptr.
ErrorData* try_insert(std::vector<RowGroup>& groups, int64_t* rows,
                      std::optional<size_t>* culprit) {
    int timeout_ms = drain_statement_timeout_ms;
    return in_subtransaction([&] {
        if (timeout_ms > 0)
            pg::call([&] { enable_timeout_after(STATEMENT_TIMEOUT, timeout_ms); });
        try {
            *rows = insert_groups(groups, culprit);
        } catch (...) {
            if (timeout_ms > 0)
                pg::call([] { disable_timeout(STATEMENT_TIMEOUT, false); });
            throw;
        }
        if (timeout_ms > 0)
            pg::call([] { disable_timeout(STATEMENT_TIMEOUT, false); });
    });
}

// Inserts items [first, last) in a subtransaction; when that fails for the
// entries' fault, splits the range down to single entries, and a single
// entry that still fails becomes a dead letter. Any other failure is
// rethrown: the whole batch is retried later.
//
// A failed COPY names the row it was at: the range is then split around
// that entry (the entries before it, it alone, the entries after it), so
// that one poison entry costs three more COPYs, not a halving down to it.
// The hint decides only where to split: every piece is tried like any
// range, so a wrong hint costs time, never an entry.
//
// A row the binary converter refused after taking the rows before it in
// its run (a string where the table has an integer) is most likely poison:
// it is tried alone first, between the rows before and after it, which then
// go in binary, rather than after a COPY of its whole range that fails at it.
int64_t insert_or_split(const std::vector<Item*>& items, size_t first, size_t last,
                        SplitPolicy* policy) {
    if (first >= last)
        return 0;
    std::vector<RowGroup> groups = group_rows(items, first, last);
    if (last - first > 1 && policy->suspects_left > 0) {
        for (const RowGroup& group : groups) {
            std::optional<size_t> suspect = group.refused_item();
            if (!suspect)
                continue;
            --policy->suspects_left;
            size_t at = *suspect;
            return insert_or_split(items, first, at, policy) +
                   insert_or_split(items, at, at + 1, policy) +
                   insert_or_split(items, at + 1, last, policy);
        }
    }
    int64_t rows = 0;
    std::optional<size_t> culprit;
    ErrorData* failure = try_insert(groups, &rows, &culprit);
    if (failure == nullptr)
        return rows;
    std::string sqlstate = unpack_sql_state(failure->sqlerrcode);
    bool entries_fault = is_poison_sqlstate(sqlstate.c_str()) ||
                         (policy->isolate && !is_server_state_sqlstate(sqlstate));
    if (!entries_fault)
        throw pg::PgException(failure);
    if (last - first == 1) {
        Item& item = *items[first];
        item.dead = true;
        item.problem = {sqlstate, failure->message ? failure->message : "error",
                        failure->detail ? failure->detail : "", failure->hint ? failure->hint : ""};
        item.problem.detail = detail_naming_table(item.problem.message, item.problem.detail,
                                                  item.target->qualified_name,
                                                  item.target->relname);
        return 0;
    }
    if (culprit && *culprit >= first && *culprit < last) {
        size_t at = *culprit;
        return insert_or_split(items, first, at, policy) +
               insert_or_split(items, at, at + 1, policy) +
               insert_or_split(items, at + 1, last, policy);
    }
    size_t middle = first + (last - first) / 2;
    return insert_or_split(items, first, middle, policy) +
           insert_or_split(items, middle, last, policy);
}

}  // namespace

bool is_poison_sqlstate(const char* sqlstate) {
    std::string_view code(sqlstate);
    // A write refused because the server turned read-only (a demoted
    // primary) is the server's state, not the entry's.
    if (code == mq::sqlstate::kReadOnlySqlTransaction)
        return false;
    return classify_sqlstate(code) == FailureKind::kDeterministic;
}

namespace {

// What an entry's retry_of did to the dead letter it names.
enum class RetriedLetter {
    kSpent,     // the entry is a copy retry_dead_letters() re-added: the letter is gone now
    kGone,      // no such letter: a copy whose sibling spent it (the entry is skipped)
    kNotACopy,  // the letter stays: the entry is applied or parked on its own merits
};

// Whether the extension's schema records retried copies (0.5 on); with an
// older one, until ALTER EXTENSION ... UPDATE, a letter goes by its id alone.

// Only the exact entry a retry re-added (its stream and Redis's id, which
// no producer can choose) may remove a letter: a producer that names
// another stream's letter in retry_of removes nothing.
RetriedLetter spend_retried_letter(const std::string& stream, const std::string& entry_id,
                                   long long letter, bool record_retries) {
    std::string id = std::to_string(letter);
    if (!record_retries)
        return run_sql("DELETE FROM multiquery.dead_letters WHERE id = $1::bigint", {&id},
                       SPI_OK_DELETE) > 0
                   ? RetriedLetter::kSpent
                   : RetriedLetter::kGone;
    // Locked first: a retry still running holds the letter from before it
    // sends the copy until it has recorded the copy's id, and the lock
    // returns the letter as that retry left it. (A DELETE with the same
    // condition would judge the letter as it was before, without waiting.)
    if (run_sql("SELECT (stream OPERATOR(pg_catalog.=) $2 "
                "AND $3 OPERATOR(pg_catalog.=) ANY (retried_as))::pg_catalog.text "
                "FROM multiquery.dead_letters WHERE id = $1::bigint FOR UPDATE",
                {&id, &stream, &entry_id}, SPI_OK_SELECT, true) == 0)
        return RetriedLetter::kGone;
    if (spi_single_value() != std::optional<std::string>("true"))
        return RetriedLetter::kNotACopy;
    run_sql("DELETE FROM multiquery.dead_letters WHERE id = $1::bigint", {&id}, SPI_OK_DELETE,
            true);
    return RetriedLetter::kSpent;
}

}  // namespace

namespace {

// Starts the batch's transaction, with the drain's lock_timeout: lock waits
// end with an error (55P03) the batch path can blame on an entry.
void begin_batch_transaction() {
    pg::call([] {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        if (SPI_connect() != SPI_OK_CONNECT)
            elog(ERROR, "SPI_connect failed");
        PushActiveSnapshot(GetTransactionSnapshot());
    });
    // (As set_config(..., true) would, without a statement.)
    std::string lock_timeout = std::to_string(drain_lock_timeout_ms);
    pg::call([&] {
        set_config_option("lock_timeout", lock_timeout.c_str(), PGC_SUSET, PGC_S_SESSION,
                          GUC_ACTION_LOCAL, true, 0, false);
    });
}

// Locks the stream's progress row for the whole transaction, so that even
// two consumers that got the same entries apply them once; returns the last
// entry applied. The row exists from the stream's first batch on: it is
// created only when the lock finds none (an INSERT ... ON CONFLICT every
// batch cost a third of a millisecond, 3% of a 1000-entry batch).
StreamId lock_progress(const std::string& stream) {
    const std::string lock =
        "SELECT last_id FROM multiquery.drain_progress WHERE stream = $1 FOR UPDATE";
    if (run_sql(lock, {&stream}, SPI_OK_SELECT, true) == 0) {
        run_sql("INSERT INTO multiquery.drain_progress (stream, last_id) VALUES ($1, '0-0') "
                "ON CONFLICT (stream) DO NOTHING",
                {&stream}, SPI_OK_INSERT, true);
        run_sql(lock, {&stream}, SPI_OK_SELECT, true);
    }
    return parse_stream_id(spi_single_value().value_or("0-0")).value_or(StreamId{});
}

// An entry's payload fields as text: a problem when one is not valid text in
// the server encoding.
bool payload_is_text(const StreamEntry& entry, EntryProblem* problem) {
    for (const auto& [name, value] : entry.fields)
        if (is_payload_field(name) && !valid_text(value)) {
            *problem = {mq::sqlstate::kCharacterNotInRepertoire,
                        "entry is not valid text in the server encoding"};
            return false;
        }
    return true;
}

// What the batch makes of its entries: each to apply or to park, in stream
// order, and the newest id among them.
struct Classified {
    std::vector<Item> items;
    StreamId newest;
};

// Reads and checks every entry after last: its payload, its table and the
// table's columns; a retried copy spends its dead letter first. The items
// point into entries, *key_sets and *resolver, which must outlive them.
Classified classify_entries(const std::string& stream, const std::vector<StreamEntry>& entries,
                            StreamId last, TargetResolver* resolver, KeySets* key_sets,
                            BatchResult* result) {
    Classified classified{{}, last};
    // The last pair of a table and a key set found to fit: most rows repeat
    // the row before them.
    std::pair<const Target*, const KeySet*> checked{nullptr, nullptr};
    size_t max_bytes = static_cast<size_t>(drain_max_entry_size);
    classified.items.reserve(entries.size());
    std::optional<bool> letters_record_retries;  // looked up at the first retry
    for (const StreamEntry& entry : entries) {
        auto id = parse_stream_id(entry.id);
        if (!id || *id <= last || entry.deleted) {
            ++result->skipped;
            continue;
        }
        classified.newest = std::max(classified.newest, *id);
        // A re-sent dead letter applies once, or is parked once: the first
        // copy to arrive removes its letter, whatever becomes of the copy
        // (applied, or a letter of its own in its place); any other copy
        // finds the letter gone.
        if (auto retry_of = entry_retry_of(entry.fields)) {
            if (!letters_record_retries)
                letters_record_retries = dead_letters_have("retried_as");
            if (spend_retried_letter(stream, std::string(entry.id), *retry_of,
                                     *letters_record_retries) == RetriedLetter::kGone) {
                ++result->skipped;
                continue;
            }
        }
        Item item;
        item.raw = &entry;
        // A cut entry is over the limit: its fields are only prefixes. One
        // cut for the budget alone is judged only when first in its read:
        // too large to be held by any read.
        if (entry.cut != resp::Cut::kWhole) {
            item.dead = true;
            item.problem = entry.bytes > max_bytes ? oversize_entry(entry.bytes, max_bytes)
                                                   : unholdable_entry();
            classified.items.push_back(std::move(item));
            continue;
        }
        item.dead = !payload_is_text(entry, &item.problem) ||
                    !(item.content = read_entry(entry.fields, max_bytes, key_sets, &item.problem));
        if (!item.dead) {
            item.target = resolver->resolve(item.content->table, &item.problem);
            item.dead = item.target == nullptr;
            for (size_t r = 0; !item.dead && r < item.content->rows.size(); ++r) {
                const KeySet* keys = item.content->rows[r].keys;
                if (item.target == checked.first && keys == checked.second)
                    continue;
                item.dead = !TargetResolver::check_keys(*item.target, *keys, &item.problem);
                if (!item.dead)
                    checked = {item.target, keys};
            }
        }
        classified.items.push_back(std::move(item));
    }
    return classified;
}

// Inserts the rows of every entry still to apply; returns how many. In
// slices, each its own first try: a poison entry costs the work done before
// it in its slice (tried, rolled back, tried again), so slices bound that
// waste, at the price of a subtransaction and a COPY start each.
int64_t insert_rows(std::vector<Item>& items, bool isolate) {
    std::vector<Item*> live;
    for (Item& item : items)
        if (!item.dead)
            live.push_back(&item);
    SplitPolicy policy;
    policy.isolate = isolate;
    int64_t rows = 0;
    for (size_t from = 0; from < live.size(); from += kSliceEntries)
        rows += insert_or_split(live, from, std::min(live.size(), from + kSliceEntries), &policy);
    return rows;
}

// Parks every entry that could not be applied, counting both outcomes.
void park_dead_entries(const std::string& stream, const std::vector<Item>& items, int attempt,
                       BatchResult* result) {
    std::optional<LetterSchema> schema;  // looked up at the first letter
    for (const Item& item : items) {
        if (item.dead) {
            if (!schema)
                schema = LetterSchema{dead_letters_have("attempts"), attempt};
            park_entry(stream, *item.raw, item.problem, *schema);
            ++result->dead_letters;
        } else {
            ++result->applied;
        }
    }
}

// Records the newest entry the batch read, with the batch's counts, in the
// row locked at its start: the rows and the progress commit together.
void record_progress(const std::string& stream, StreamId last, StreamId newest,
                     const BatchResult& result) {
    if (!(last < newest))
        return;
    std::string newest_text = newest.to_string();
    std::string applied = std::to_string(result.applied);
    std::string dead = std::to_string(result.dead_letters);
    run_sql("UPDATE multiquery.drain_progress SET last_id = $2, "
            "entries_applied = entries_applied + $3::bigint, "
            "dead_letters = dead_letters + $4::bigint, updated_at = pg_catalog.now() "
            "WHERE stream = $1",
            {&stream, &newest_text, &applied, &dead}, SPI_OK_UPDATE, true);
}

// Commits the batch; a commit-time error is copied into caller_context,
// which outlives the transaction (not into the SPI context SPI_finish
// deletes first). Returns the commit's end in WAL.
XLogRecPtr commit_batch(MemoryContext caller_context) {
    pg::call([] {
        SPI_finish();
        PopActiveSnapshot();
    });
    MemoryContextSwitchTo(caller_context);
    pg::call([] { CommitTransactionCommand(); });
    MemoryContextSwitchTo(caller_context);
    return XactLastCommitEnd;
}

}  // namespace

BatchResult apply_batch(const std::string& stream, const std::vector<StreamEntry>& entries,
                        bool isolate, int attempt) {
    BatchResult result;
    MemoryContext caller_context = CurrentMemoryContext;
    begin_batch_transaction();
    StreamId last = lock_progress(stream);
    // What the items point into, for the whole batch: the tables, and the
    // rows' key sets, each kept once.
    TargetResolver resolver(drain_role_oid(), isolate);
    KeySets key_sets;
    Classified classified =
        classify_entries(stream, entries, last, &resolver, &key_sets, &result);
    result.rows += insert_rows(classified.items, isolate);
    park_dead_entries(stream, classified.items, attempt, &result);
    record_progress(stream, last, classified.newest, result);
    result.last_id = classified.newest.to_string();
    result.commit_lsn = commit_batch(caller_context);
    return result;
}

}  // namespace mq::queue
