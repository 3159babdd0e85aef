// The table move's local queries; see local.hpp.
#include "move/local.hpp"

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/guc.h"
}

namespace mq::move {
namespace {

struct Setting {
    const char* name;
    const char* value;
};

constexpr Setting kCanonicalSettings[] = {
    {"TimeZone", "UTC"},         {"DateStyle", "ISO"},    {"IntervalStyle", "postgres"},
    {"extra_float_digits", "3"}, {"bytea_output", "hex"}, {"search_path", "pg_catalog"},
};

// Copies SPI's result out before anything else runs. Inside pg::call.
void copy_result(Rows* rows) {
    SPITupleTable* table = SPI_tuptable;
    int columns = table->tupdesc->natts;
    for (uint64 r = 0; r < SPI_processed; ++r) {
        rows->emplace_back(columns);
        for (int c = 0; c < columns; ++c) {
            char* value = SPI_getvalue(table->vals[r], table->tupdesc, c + 1);
            if (value != nullptr) {
                (*rows)[r][c] = std::string(value);
                pfree(value);
            }
        }
    }
    SPI_freetuptable(table);
}

// The parameters as SPI wants them; the strings live as long as params does.
struct Arguments {
    std::vector<Oid> types;
    std::vector<Datum> values;
    std::string nulls;
};

Arguments arguments(const std::vector<Cell>& params) {
    Arguments args;
    for (const Cell& cell : params) {
        args.types.push_back(TEXTOID);
        args.values.push_back(cell ? pg::call([&] { return CStringGetTextDatum(cell->c_str()); })
                                   : Datum(0));
        args.nulls.push_back(cell ? ' ' : 'n');
    }
    return args;
}

void check_spi(int rc, int expected, const std::string& sql) {
    if (rc != expected && !(expected == SPI_OK_UTILITY && rc >= 0))
        throw Error(sqlstate::kInternalError,
                    "unexpected SPI result " + std::to_string(rc) + " for: " + sql);
}

}  // namespace

Rows local_rows(const std::string& sql, const std::vector<Cell>& params) {
    Arguments args = arguments(params);
    Rows rows;
    int rc = pg::call([&] {
        int result =
            SPI_execute_with_args(sql.c_str(), static_cast<int>(params.size()), args.types.data(),
                                  args.values.data(), args.nulls.c_str(), false, 0);
        if (result == SPI_OK_SELECT) copy_result(&rows);
        return result;
    });
    check_spi(rc, SPI_OK_SELECT, sql);
    return rows;
}

Rows canonical_rows(const std::string& sql) {
    Rows rows;
    int rc = pg::call([&] {
        int nest = NewGUCNestLevel();
        for (const Setting& setting : kCanonicalSettings)
            set_config_option(setting.name, setting.value, PGC_USERSET, PGC_S_SESSION,
                              GUC_ACTION_SAVE, true, 0, false);
        int result = SPI_execute(sql.c_str(), false, 0);
        if (result == SPI_OK_SELECT) copy_result(&rows);
        AtEOXact_GUC(true, nest);
        return result;
    });
    check_spi(rc, SPI_OK_SELECT, sql);
    return rows;
}

Statement::~Statement() {
    if (plan_ != nullptr) SPI_freeplan(plan_);
}

void Statement::prepare(const std::string& sql, int params) {
    std::vector<Oid> types(params, TEXTOID);
    params_ = params;
    plan_ = pg::call([&] {
        SPIPlanPtr plan = SPI_prepare(sql.c_str(), params, types.data());
        if (plan == nullptr)
            elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
        SPI_keepplan(plan);
        return plan;
    });
}

uint64_t Statement::run(const std::vector<Cell>& params) {
    Arguments args = arguments(params);
    return pg::call([&] {
        int rc = SPI_execute_plan(plan_, args.values.data(), args.nulls.c_str(), false, 0);
        if (rc < 0) elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
        return static_cast<uint64_t>(SPI_processed);
    });
}

}  // namespace mq::move
