// multiquery.table_diff(target, source): the keys whose rows differ.
#include "core/error.hpp"
#include "move/compare.hpp"
#include "move/plan.hpp"
#include "move/remote.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/tuplestore.h"
}

namespace {

// Rows are compared a chunk of ranges at a time, to bound memory.
constexpr int64_t kCompareChunkRows = 50000;

void emit(ReturnSetInfo* rsinfo, const mq::move::MovePlan& plan,
          const mq::move::Difference& difference) {
    const mq::move::Row& row = difference.kind == mq::move::Difference::Kind::kExtra
                                   ? difference.target
                                   : difference.source;
    std::string key = mq::move::key_json(plan, row);
    mq::pg::call([&] {
        Datum values[2];
        bool nulls[2] = {false, false};
        values[0] = CStringGetTextDatum(mq::move::kind_name(difference.kind));
        values[1] = DirectFunctionCall1(jsonb_in, CStringGetDatum(key.c_str()));
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    });
}

}  // namespace

MQ_FUNCTION(multiquery_table_diff) {
    Oid target = PG_GETARG_OID(0);
    Oid source = PG_GETARG_OID(1);
    mq::pg::call([&] { InitMaterializedSRF(fcinfo, 0); });
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    mq::pg::call([] {
        if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    });
    {
        mq::move::MovePlan plan = mq::move::describe(target, source, mq::move::Access::kCompare);
        mq::move::RemoteSource remote;
        remote.connect(source);
        mq::move::Comparison comparison(plan, &remote);
        comparison.cut_ranges();
        std::vector<size_t> differing = comparison.differing_ranges();
        for (const std::vector<size_t>& chunk : comparison.chunks(differing, kCompareChunkRows))
            for (const mq::move::Difference& difference : comparison.compare(chunk))
                emit(rsinfo, plan, difference);
        std::string summary = "table_diff fetched " + std::to_string(comparison.rows_fetched()) +
                              " source rows in " + std::to_string(comparison.ranges_fetched()) +
                              " of " + std::to_string(comparison.range_count()) + " ranges";
        mq::pg::call([&] { elog(DEBUG1, "%s", summary.c_str()); });
    }
    mq::pg::call([] { SPI_finish(); });
    return Datum(0);
}
