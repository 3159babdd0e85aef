// One batch, one transaction; see apply.hpp.
#include "queue/apply.hpp"

#include <cstring>
#include <map>
#include <optional>

#include "core/queue_stream_id.hpp"
#include "core/sqlstate.hpp"
#include "pg/guard.hpp"
#include "queue/settings.hpp"
#include "queue/subtransaction.hpp"
#include "queue/target.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_authid_d.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
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

// Runs one SPI statement with text parameters; returns rows processed.
int64_t run_sql(const std::string& sql, const std::vector<const std::string*>& params,
                int expected) {
    int64_t processed = 0;
    pg::call([&] {
        int n = static_cast<int>(params.size());
        Oid types[8];
        Datum values[8];
        char nulls[8];
        for (int i = 0; i < n; ++i) {
            types[i] = TEXTOID;
            values[i] = PointerGetDatum(
                cstring_to_text_with_len(params[i]->data(), static_cast<int>(params[i]->size())));
            nulls[i] = ' ';
        }
        int rc = SPI_execute_with_args(sql.c_str(), n, types, values, nulls, false, 0);
        if (rc != expected)
            elog(ERROR, "multiquery drain: unexpected SPI result %d for: %s", rc, sql.c_str());
        processed = static_cast<int64_t>(SPI_processed);
    });
    return processed;
}

// The single text value the last SPI statement returned, or nullopt.
std::optional<std::string> spi_single_value() {
    char* value = nullptr;
    bool found = false;
    pg::call([&] {
        if (SPI_processed >= 1) {
            found = true;
            value = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        }
    });
    if (!found || value == nullptr)
        return std::nullopt;
    return std::string(value);
}

// The role the inserts run as.
Oid drain_role_oid() {
    std::string name = drain_role ? drain_role : "";
    if (name.empty())
        return BOOTSTRAP_SUPERUSERID;
    Oid role = InvalidOid;
    pg::call([&] { role = get_role_oid(name.c_str(), true); });
    if (!OidIsValid(role))
        throw mq::Error("42704", "role \"" + name + "\" named by multiquery.drain_role does not exist",
                        {}, "Create the role or change multiquery.drain_role and reload.");
    return role;
}

// Valid in the server encoding and free of NUL bytes (text cannot hold them).
bool valid_text(std::string_view value) {
    bool ok = false;
    pg::call([&] {
        ok = std::memchr(value.data(), '\0', value.size()) == nullptr &&
             pg_verifymbstr(value.data(), static_cast<int>(value.size()), true);
    });
    return ok;
}

// A field value as the dead letter keeps it: itself, or its bytes in hex when
// it is not valid text.
std::string storable(const std::string& value) {
    if (valid_text(value))
        return value;
    static const char* hex = "0123456789abcdef";
    std::string out = "\\x";
    for (unsigned char c : value) {
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
    return out;
}

// Inserts the rows of items [first, last): one statement per run of rows
// for the same table with the same keys. Each table's rows go in stream
// order (its identity column counts as the stream does), and a batch of
// uniform rows is one statement per table.
int64_t insert_rows(const std::vector<Item*>& items, size_t first, size_t last, Oid role) {
    struct Group {
        std::vector<std::string> keys;
        std::string sql;
        std::string json;  // the rows, as one JSON array
    };
    std::vector<Group> groups;
    std::map<const Target*, size_t> open_group;  // each table's latest group
    for (size_t i = first; i < last; ++i) {
        const Target* target = items[i]->target;
        for (const JsonRow& row : items[i]->content->rows) {
            auto open = open_group.find(target);
            if (open == open_group.end() || groups[open->second].keys != row.keys) {
                groups.push_back({row.keys, target->insert_sql(row.keys), "["});
                open_group[target] = groups.size() - 1;
            }
            std::string& json = groups[open_group[target]].json;
            if (json.size() > 1)
                json += ',';
            json.append(row.text.data(), row.text.size());
        }
    }
    int64_t rows = 0;
    for (Group& group : groups) {
        const std::string& sql = group.sql;
        std::string& json = group.json;
        json += ']';
        Oid saved_user;
        int saved_context;
        pg::call([&] {
            GetUserIdAndSecContext(&saved_user, &saved_context);
            SetUserIdAndSecContext(role, saved_context | SECURITY_LOCAL_USERID_CHANGE |
                                             SECURITY_RESTRICTED_OPERATION);
        });
        rows += run_sql(sql, {&json}, SPI_OK_INSERT);
        pg::call([&] { SetUserIdAndSecContext(saved_user, saved_context); });
    }
    return rows;
}

// Inserts items [first, last) in a subtransaction; when that fails for the
// entries' fault, splits the range in halves down to single entries, and a
// single entry that still fails becomes a dead letter. A transient failure
// is rethrown: the whole batch is retried later.
int64_t insert_or_split(const std::vector<Item*>& items, size_t first, size_t last, Oid role) {
    if (first >= last)
        return 0;
    int64_t rows = 0;
    ErrorData* failure = in_subtransaction([&] { rows = insert_rows(items, first, last, role); });
    if (failure == nullptr)
        return rows;
    std::string sqlstate = unpack_sql_state(failure->sqlerrcode);
    if (!is_poison_sqlstate(sqlstate.c_str()))
        throw pg::PgException(failure);
    if (last - first == 1) {
        items[first]->dead = true;
        items[first]->problem = {sqlstate, failure->message ? failure->message : "error"};
        return 0;
    }
    size_t middle = first + (last - first) / 2;
    return insert_or_split(items, first, middle, role) + insert_or_split(items, middle, last, role);
}

// Quotes a valid text value as a JSON string.
void append_json_string(std::string* json, const std::string& value) {
    static const char* hex = "0123456789abcdef";
    *json += '"';
    for (unsigned char c : value) {
        if (c == '"' || c == '\\') {
            *json += '\\';
            *json += static_cast<char>(c);
        } else if (c < 0x20) {
            *json += "\\u00";
            *json += hex[c >> 4];
            *json += hex[c & 15];
        } else {
            *json += static_cast<char>(c);
        }
    }
    *json += '"';
}

// Parks an entry in multiquery.dead_letters with its raw fields (name, value, ...).
void insert_dead_letter(const std::string& stream, const Item& item) {
    // The fields travel as one JSON array parameter: no value is ever spliced into SQL.
    std::string fields = "[";
    for (const auto& [name, value] : item.raw->fields) {
        if (fields.size() > 1)
            fields += ',';
        append_json_string(&fields, storable(name));
        fields += ',';
        append_json_string(&fields, storable(value));
    }
    fields += ']';
    run_sql("INSERT INTO multiquery.dead_letters (stream, entry_id, sqlstate, error, payload) "
            "SELECT $1, $2, $3, $4, ARRAY(SELECT pg_catalog.jsonb_array_elements_text($5::pg_catalog.jsonb))",
            {&stream, &item.raw->id, &item.problem.sqlstate, &item.problem.message, &fields},
            SPI_OK_INSERT);
}

}  // namespace

bool is_poison_sqlstate(const char* sqlstate) {
    std::string_view code(sqlstate);
    // A write refused because the server turned read-only (a demoted
    // primary) is the server's state, not the entry's.
    if (code == "25006")
        return false;
    return classify_sqlstate(code) == FailureKind::kDeterministic;
}

BatchResult apply_batch(const std::string& stream, const std::vector<StreamEntry>& entries) {
    BatchResult result;
    pg::call([] {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        if (SPI_connect() != SPI_OK_CONNECT)
            elog(ERROR, "multiquery drain: SPI_connect failed");
        PushActiveSnapshot(GetTransactionSnapshot());
    });

    // The progress row is locked for the whole transaction, so even two
    // consumers that got the same entries apply them once.
    run_sql("INSERT INTO multiquery.drain_progress (stream, last_id) VALUES ($1, '0-0') "
            "ON CONFLICT (stream) DO NOTHING",
            {&stream}, SPI_OK_INSERT);
    run_sql("SELECT last_id FROM multiquery.drain_progress WHERE stream = $1 FOR UPDATE",
            {&stream}, SPI_OK_SELECT);
    std::string recorded = spi_single_value().value_or("0-0");
    StreamId last = parse_stream_id(recorded).value_or(StreamId{});
    StreamId newest = last;

    Oid role = drain_role_oid();
    TargetResolver resolver(role);
    size_t max_bytes = static_cast<size_t>(drain_max_entry_size);
    std::vector<Item> items;
    items.reserve(entries.size());
    for (const StreamEntry& entry : entries) {
        auto id = parse_stream_id(entry.id);
        if (!id || *id <= last || entry.deleted) {
            ++result.skipped;
            continue;
        }
        newest = std::max(newest, *id);
        Item item;
        item.raw = &entry;
        bool text_ok = true;
        for (const auto& [name, value] : entry.fields)
            if ((name == "table" || name == "row" || name == "rows") && !valid_text(value))
                text_ok = false;
        if (!text_ok) {
            item.dead = true;
            item.problem = {"22021", "entry is not valid text in the server encoding"};
        } else if (!(item.content = read_entry(entry.fields, max_bytes, &item.problem))) {
            item.dead = true;
        } else if (item.content->retry_of) {
            // A re-sent dead letter applies once: the first copy to arrive
            // removes the dead letter; any other copy finds it gone.
            std::string retry_id = std::to_string(*item.content->retry_of);
            if (run_sql("DELETE FROM multiquery.dead_letters WHERE id = $1::bigint",
                        {&retry_id}, SPI_OK_DELETE) == 0) {
                ++result.skipped;
                continue;
            }
        }
        if (!item.dead) {
            item.target = resolver.resolve(item.content->table, &item.problem);
            item.dead = item.target == nullptr;
            for (size_t r = 0; !item.dead && r < item.content->rows.size(); ++r)
                item.dead = !TargetResolver::check_keys(*item.target, item.content->rows[r].keys,
                                                        &item.problem);
        }
        items.push_back(std::move(item));
    }

    std::vector<Item*> live;
    for (Item& item : items)
        if (!item.dead)
            live.push_back(&item);
    result.rows = insert_or_split(live, 0, live.size(), role);

    for (const Item& item : items) {
        if (item.dead) {
            insert_dead_letter(stream, item);
            ++result.dead_letters;
        } else {
            ++result.applied;
        }
    }

    if (last < newest) {
        std::string newest_text = newest.to_string();
        std::string applied = std::to_string(result.applied);
        std::string dead = std::to_string(result.dead_letters);
        run_sql("UPDATE multiquery.drain_progress SET last_id = $2, "
                "entries_applied = entries_applied + $3::bigint, "
                "dead_letters = dead_letters + $4::bigint, updated_at = pg_catalog.now() "
                "WHERE stream = $1",
                {&stream, &newest_text, &applied, &dead}, SPI_OK_UPDATE);
    }
    result.last_id = newest.to_string();

    pg::call([] {
        SPI_finish();
        PopActiveSnapshot();
        CommitTransactionCommand();
    });
    return result;
}

}  // namespace mq::queue
