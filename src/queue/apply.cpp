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

// Valid in the server encoding and free of NUL bytes (text cannot hold them).
// In a UTF-8 database, the check is core/json_text.hpp's, which decides as
// pg_verifymbstr does without a call into PostgreSQL per field (1.5% of a
// drain); any other encoding is PostgreSQL's to judge.
bool valid_text(std::string_view value) {
    if (GetDatabaseEncoding() == PG_UTF8)
        return valid_utf8_text(value);
    bool ok = false;
    pg::call([&] {
        ok = std::memchr(value.data(), '\0', value.size()) == nullptr &&
             pg_verifymbstr(value.data(), static_cast<int>(value.size()), true);
    });
    return ok;
}

// A field value as the dead letter keeps it: itself, or its bytes in hex when
// it is not valid text.
std::string storable(std::string_view value) {
    if (valid_text(value))
        return std::string(value);
    static const char* hex = "0123456789abcdef";
    std::string out = "\\x";
    for (unsigned char c : value) {
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
    return out;
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

// Where a dead letter goes, and what the schema lets it say: a schema
// before 0.5 has no detail, hint or attempts (the drain also runs against
// an extension not updated yet), and the detail and hint then follow the
// message as psql prints them.
struct LetterSchema {
    bool full = true;  // detail, hint and attempts columns
    int attempts = 1;  // how many times the entry's batch was tried, this time included
};

// The INSERT of a dead letter: $1 stream, $2 entry_id, $3 sqlstate, $4
// error, $5 payload, then $6 detail, $7 hint, $8 attempts when full, then
// entry_bytes when cut.
std::string dead_letter_sql(bool full, bool cut) {
    std::string columns = "stream, entry_id, sqlstate, error, payload";
    std::string values = "$1, $2, $3, $4, $5";
    std::string updates = "sqlstate = excluded.sqlstate, error = excluded.error, "
                          "payload = excluded.payload, ";
    int n = 5;
    auto add = [&](const char* column) {
        columns += std::string(", ") + column;
        values += ", $" + std::to_string(++n);
        updates += std::string(column) + " = excluded." + column + ", ";
    };
    if (full) {
        add("detail");
        add("hint");
        add("attempts");
    }
    if (cut)
        add("entry_bytes");
    return "INSERT INTO multiquery.dead_letters (" + columns + ") VALUES (" + values +
           ") ON CONFLICT (stream, entry_id) DO UPDATE SET " + updates +
           "failed_at = pg_catalog.now()";
}

// Inserts (or, after a reset of the stream's progress, replaces) one dead
// letter. The payload travels as a text[] parameter: no value is spliced
// into SQL, and no size limit short of text's own applies (jsonb's would).
void write_dead_letter(const std::string& stream, std::string_view entry_id,
                       const EntryProblem& problem, const std::vector<std::string>& payload,
                       const LetterSchema& schema,
                       std::optional<int64_t> entry_bytes = std::nullopt) {
    std::string error = problem.message;
    if (!schema.full) {
        if (!problem.detail.empty())
            error += "\nDETAIL:  " + problem.detail;
        if (!problem.hint.empty())
            error += "\nHINT:  " + problem.hint;
    }
    const std::string sql = dead_letter_sql(schema.full, entry_bytes.has_value());
    pg::call([&] {
        Datum* elements = static_cast<Datum*>(palloc(sizeof(Datum) * (payload.size() + 1)));
        for (size_t i = 0; i < payload.size(); ++i)
            elements[i] = PointerGetDatum(cstring_to_text_with_len(
                payload[i].data(), static_cast<int>(payload[i].size())));
        ArrayType* array = construct_array(elements, static_cast<int>(payload.size()), TEXTOID,
                                           -1, false, TYPALIGN_INT);
        auto text = [](std::string_view value) {
            return PointerGetDatum(
                cstring_to_text_with_len(value.data(), static_cast<int>(value.size())));
        };
        Oid types[9] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID};
        Datum values[9] = {text(stream), text(entry_id), text(problem.sqlstate), text(error),
                           PointerGetDatum(array)};
        char nulls[10] = "         ";
        int n = 5;
        if (schema.full) {
            types[n] = TEXTOID;
            values[n] = problem.detail.empty() ? Datum(0) : text(problem.detail);
            nulls[n++] = problem.detail.empty() ? 'n' : ' ';
            types[n] = TEXTOID;
            values[n] = problem.hint.empty() ? Datum(0) : text(problem.hint);
            nulls[n++] = problem.hint.empty() ? 'n' : ' ';
            types[n] = INT4OID;
            values[n++] = Int32GetDatum(schema.attempts);
        }
        if (entry_bytes) {
            types[n] = INT8OID;
            values[n++] = Int64GetDatum(*entry_bytes);
        }
        nulls[n] = '\0';
        // Planned once per process and kept, as the drain's other statements
        // (spi_run.hpp): planned for each dead letter it was 2% of a drain
        // with one poison entry in a thousand. A cut entry's letter is rare
        // (an entry over drain_max_entry_size): planned each time.
        int rc;
        if (entry_bytes) {
            rc = SPI_execute_with_args(sql.c_str(), n, types, values, nulls, false, 0);
        } else {
            static SPIPlanPtr plans[2] = {nullptr, nullptr};
            SPIPlanPtr& plan = plans[schema.full ? 1 : 0];
            if (plan == nullptr) {
                SPIPlanPtr made = SPI_prepare(sql.c_str(), n, types);
                if (made == nullptr || SPI_keepplan(made) != 0)
                    elog(ERROR, "could not plan the dead letter insert (%d)",
                         SPI_result);
                plan = made;
            }
            rc = SPI_execute_plan(plan, values, nulls, false, 0);
        }
        if (rc != SPI_OK_INSERT)
            elog(ERROR, "unexpected SPI result %d for a dead letter", rc);
    });
}

// Whether multiquery.dead_letters has this column: the drain also runs
// against the schema of an extension not updated yet.
bool dead_letters_have(const std::string& column) {
    return run_sql("SELECT FROM pg_catalog.pg_attribute "
                   "WHERE attrelid = 'multiquery.dead_letters'::pg_catalog.regclass "
                   "AND attname = $1 AND NOT attisdropped",
                   {&column}, SPI_OK_SELECT) > 0;
}

// Parks an entry in multiquery.dead_letters with its raw fields (name,
// value, ...). Parking can fail too (a payload over text's 1 GB): then the
// dead letter keeps why, without the payload, rather than hold up the stream.
void insert_dead_letter(const std::string& stream, const Item& item, const LetterSchema& schema) {
    std::vector<std::string> payload;
    payload.reserve(item.raw->fields.size() * 2);
    for (const auto& [name, value] : item.raw->fields) {
        payload.push_back(storable(name));
        payload.push_back(storable(value));
    }
    // A cut entry's letter keeps the first bytes of its values and says so
    // in entry_bytes, which retry_dead_letters() will not re-send. A schema
    // before 0.5 cannot say so: the letter keeps no payload at all.
    std::optional<int64_t> entry_bytes;
    if (item.raw->cut != resp::Cut::kWhole) {
        if (dead_letters_have("entry_bytes"))
            entry_bytes = static_cast<int64_t>(item.raw->bytes);
        else
            payload.clear();
    }
    ErrorData* failure = in_subtransaction([&] {
        write_dead_letter(stream, item.raw->id, item.problem, payload, schema, entry_bytes);
    });
    if (failure == nullptr)
        return;
    if (is_server_state_sqlstate(unpack_sql_state(failure->sqlerrcode)))
        throw pg::PgException(failure);
    EntryProblem problem = item.problem;
    problem.message += std::string(" (the payload could not be kept: ") +
                       (failure->message ? failure->message : "error") + ")";
    write_dead_letter(stream, item.raw->id, problem, {}, schema);
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
        // A cut entry is over the limit: its fields are only prefixes.
        if (entry.cut != resp::Cut::kWhole) {
            item.dead = true;
            item.problem = oversize_entry(entry.bytes, max_bytes);
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
            insert_dead_letter(stream, item, *schema);
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
