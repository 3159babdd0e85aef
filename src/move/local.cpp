// The table move's local queries; see local.hpp.
#include "move/local.hpp"

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
}

namespace mq::move {
namespace {

struct Setting {
    const char* name;
    const char* value;
};

// jit is off because a move's queries are many short range scans whose cost
// a table not yet analyzed (a target just filled) overestimates: compiling
// a read of a few hundred ranges took 20 s where running it takes 50 ms.
constexpr Setting kCanonicalSettings[] = {
    {"TimeZone", "UTC"},         {"DateStyle", "ISO"},    {"IntervalStyle", "postgres"},
    {"extra_float_digits", "3"}, {"bytea_output", "hex"}, {"search_path", "pg_catalog"},
    {"jit", "off"},
};

// A plan kept past SPI's per-call memory, for a statement run many times.
SPIPlanPtr prepare_kept(const std::string& sql, const std::vector<Oid>& types) {
    return pg::call([&] {
        SPIPlanPtr plan = SPI_prepare(sql.c_str(), static_cast<int>(types.size()),
                                      const_cast<Oid*>(types.data()));
        if (plan == nullptr)
            elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
        SPI_keepplan(plan);
        return plan;
    });
}

uint64_t execute_kept(SPIPlanPtr plan, Datum* values, const char* nulls) {
    return pg::call([&] {
        int rc = SPI_execute_plan(plan, values, nulls, false, 0);
        if (rc < 0) elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
        return static_cast<uint64_t>(SPI_processed);
    });
}

// Runs work in a memory context of its own, deleted after it: what one call
// of a statement allocates (its parameters' texts, its arrays) lives for
// that call only, and a sync makes many. On an error the context is left
// for the abort to free: the error's report may live in it.
template <typename Work>
uint64_t in_scratch_context(Work work) {
    MemoryContext caller = CurrentMemoryContext;
    MemoryContext scratch = pg::call([] {
        return AllocSetContextCreate(CurrentMemoryContext, "multiquery table move call",
                                     ALLOCSET_DEFAULT_SIZES);
    });
    MemoryContextSwitchTo(scratch);
    uint64_t result = 0;
    try {
        result = work();
    } catch (...) {
        MemoryContextSwitchTo(caller);
        throw;
    }
    MemoryContextSwitchTo(caller);
    MemoryContextDelete(scratch);
    return result;
}

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
    params_ = params;
    plan_ = prepare_kept(sql, std::vector<Oid>(params, TEXTOID));
}

uint64_t Statement::run(const std::vector<Cell>& params) {
    return in_scratch_context([&] {
        Arguments args = arguments(params);
        return execute_kept(plan_, args.values.data(), args.nulls.c_str());
    });
}

ArrayInsert::~ArrayInsert() {
    if (plan_ != nullptr) SPI_freeplan(plan_);
}

void ArrayInsert::prepare(const MovePlan& plan, const std::vector<int>& columns,
                          const std::string& sql) {
    std::vector<Oid> types;
    for (int index : columns) {
        const MoveColumn& column = plan.columns[index];
        Input input{};
        input.column = index;
        input.element = column.is_array ? TEXTOID : column.type;
        input.typmod = column.is_array ? -1 : column.typmod;
        pg::call([&] {
            Oid function;
            getTypeInputInfo(input.element, &function, &input.ioparam);
            fmgr_info_cxt(function, &input.function, TopMemoryContext);
            get_typlenbyvalalign(input.element, &input.length, &input.by_value, &input.align);
            types.push_back(get_array_type(input.element));
        });
        inputs_.push_back(input);
    }
    plan_ = prepare_kept(sql, types);
}

uint64_t ArrayInsert::run(const std::vector<const Row*>& rows) {
    std::vector<Datum> arrays(inputs_.size());
    std::vector<Datum> values(rows.size());
    return in_scratch_context([&] {
        for (size_t c = 0; c < inputs_.size(); ++c) {
            const Input& input = inputs_[c];
            // One guarded call per column, not per value: nothing in it
            // owns memory that a longjmp out of an input function would leak.
            arrays[c] = pg::call([&] {
                bool* nulls = static_cast<bool*>(palloc(sizeof(bool) * rows.size()));
                for (size_t r = 0; r < rows.size(); ++r) {
                    const Cell& cell = (*rows[r])[input.column];
                    nulls[r] = !cell;
                    values[r] = cell ? InputFunctionCall(const_cast<FmgrInfo*>(&input.function),
                                                         const_cast<char*>(cell->c_str()),
                                                         input.ioparam, input.typmod)
                                     : Datum(0);
                }
                int dims[1] = {static_cast<int>(rows.size())};
                int lower[1] = {1};
                return PointerGetDatum(construct_md_array(values.data(), nulls, 1, dims, lower,
                                                          input.element, input.length,
                                                          input.by_value, input.align));
            });
        }
        return execute_kept(plan_, arrays.data(), nullptr);
    });
}

}  // namespace mq::move
