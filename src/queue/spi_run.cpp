// The drain's SPI statements; see spi_run.hpp.
#include "queue/spi_run.hpp"

#include <map>

#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type_d.h"
#include "utils/builtins.h"
}

namespace mq::queue {

// Runs one SPI statement with text parameters; returns rows processed.
// saved: the statement is one of the drain's own, run for every batch; its
// plan is made once and kept for the worker's life (the plan cache
// revalidates it after DDL), rather than parsed and planned every batch.
int64_t run_sql(const std::string& sql, const std::vector<const std::string*>& params,
                int expected, bool saved) {
    static std::map<std::string, SPIPlanPtr> plans;
    int64_t processed = 0;
    SPIPlanPtr* plan = nullptr;
    if (saved)
        plan = &plans.try_emplace(sql, nullptr).first->second;
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
        int rc;
        if (plan != nullptr) {
            if (*plan == nullptr) {
                SPIPlanPtr made = SPI_prepare(sql.c_str(), n, types);
                if (made == nullptr)
                    elog(ERROR, "SPI_prepare failed (%d) for: %s", SPI_result,
                         sql.c_str());
                if (SPI_keepplan(made) != 0)
                    elog(ERROR, "SPI_keepplan failed for: %s", sql.c_str());
                *plan = made;
            }
            rc = SPI_execute_plan(*plan, values, nulls, false, 0);
        } else {
            rc = SPI_execute_with_args(sql.c_str(), n, types, values, nulls, false, 0);
        }
        if (expected == kAnySuccess ? rc < 0 : rc != expected)
            elog(ERROR, "unexpected SPI result %d for: %s", rc, sql.c_str());
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

}  // namespace mq::queue
