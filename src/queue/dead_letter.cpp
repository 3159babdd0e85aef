// Dead letters: how an entry the drain cannot apply is parked; see
// dead_letter.hpp.
#include "queue/dead_letter.hpp"

#include <cstring>
#include <optional>
#include <vector>

#include "core/json_text.hpp"
#include "core/sqlstate.hpp"
#include "pg/guard.hpp"
#include "queue/spi_run.hpp"
#include "queue/subtransaction.hpp"

extern "C" {
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace mq::queue {

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

bool dead_letters_have(const std::string& column) {
    return run_sql("SELECT FROM pg_catalog.pg_attribute "
                   "WHERE attrelid = 'multiquery.dead_letters'::pg_catalog.regclass "
                   "AND attname = $1 AND NOT attisdropped",
                   {&column}, SPI_OK_SELECT) > 0;
}

namespace {

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

}  // namespace

void park_entry(const std::string& stream, const StreamEntry& entry, const EntryProblem& why,
                const LetterSchema& schema) {
    std::vector<std::string> payload;
    payload.reserve(entry.fields.size() * 2);
    for (const auto& [name, value] : entry.fields) {
        payload.push_back(storable(name));
        payload.push_back(storable(value));
    }
    // A cut entry's letter keeps the first bytes of its values and says so
    // in entry_bytes, which retry_dead_letters() will not re-send. A schema
    // before 0.5 cannot say so: the letter keeps no payload at all.
    std::optional<int64_t> entry_bytes;
    if (entry.cut != resp::Cut::kWhole) {
        if (dead_letters_have("entry_bytes"))
            entry_bytes = static_cast<int64_t>(entry.bytes);
        else
            payload.clear();
    }
    ErrorData* failure = in_subtransaction([&] {
        write_dead_letter(stream, entry.id, why, payload, schema, entry_bytes);
    });
    if (failure == nullptr)
        return;
    if (is_server_state_sqlstate(unpack_sql_state(failure->sqlerrcode)))
        throw pg::PgException(failure);
    EntryProblem problem = why;
    problem.message += std::string(" (the payload could not be kept: ") +
                       (failure->message ? failure->message : "error") + ")";
    write_dead_letter(stream, entry.id, problem, {}, schema);
}


}  // namespace mq::queue
