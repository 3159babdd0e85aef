// The SQL side of the race statistics: the set-returning functions behind the
// multiquery.race_stats, race_wins_per_minute and race_stats_info views, and
// the reset.
//
// Each view copies one target at a time out of shared memory (stats_shmem.hpp)
// into local memory, then builds its rows with the lock released.
#include <memory>
#include <vector>

#include "pg/guard.hpp"
#include "race/stats.hpp"
#include "race/stats_shmem.hpp"

extern "C" {
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

namespace {

namespace stats = mq::race::stats;

// Sets up materialize mode: the rows go into the tuplestore rsinfo holds.
ReturnSetInfo* start_materialized_rows(FunctionCallInfo fcinfo) {
    mq::pg::call([&] { InitMaterializedSRF(fcinfo, 0); });
    return reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
}

// A quantile of the winning latencies in milliseconds, or SQL NULL.
void put_quantile_ms(const stats::TargetSummary& summary, double p, Datum* value, bool* null) {
    std::optional<double> quantile_us = summary.win_latency_us.quantile(p);
    *null = !quantile_us.has_value();
    *value = *null ? Datum(0) : Float8GetDatum(*quantile_us / 1000.0);
}

}  // namespace

// multiquery.race_stats(): one row per tracked target.
MQ_FUNCTION(multiquery_race_stats) {
    ReturnSetInfo* rsinfo = start_materialized_rows(fcinfo);
    if (!stats::tracking())
        return Datum(0);
    TimestampTz stats_reset = stats::table_info().stats_reset;
    auto summary = std::make_unique<stats::TargetSummary>();
    for (int slot = 0; slot < stats::slot_count(); ++slot) {
        if (!stats::copy_summary(slot, summary.get()))
            continue;
        constexpr int kColumns = 12;
        Datum values[kColumns];
        bool nulls[kColumns] = {};
        values[1] = Int64GetDatum(static_cast<int64>(summary->races));
        values[2] = Int64GetDatum(static_cast<int64>(summary->wins));
        values[3] = Int64GetDatum(static_cast<int64>(summary->errors));
        values[4] = Int64GetDatum(static_cast<int64>(summary->cancels));
        values[5] = Int64GetDatum(static_cast<int64>(summary->hedges));
        put_quantile_ms(*summary, 0.50, &values[6], &nulls[6]);
        put_quantile_ms(*summary, 0.90, &values[7], &nulls[7]);
        put_quantile_ms(*summary, 0.99, &values[8], &nulls[8]);
        nulls[9] = nulls[10] = !summary->has_error;
        values[10] = TimestampTzGetDatum(summary->last_error_at);
        values[11] = TimestampTzGetDatum(stats_reset);
        const stats::TargetSummary* row = summary.get();
        mq::pg::call([&] {
            values[0] = CStringGetTextDatum(row->target);
            values[9] = row->has_error ? CStringGetTextDatum(row->last_error) : Datum(0);
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        });
    }
    return Datum(0);
}

// multiquery.race_wins_per_minute(): (minute, target, wins) for every minute
// of the last 24 hours in which the target won at least once.
MQ_FUNCTION(multiquery_race_wins_per_minute) {
    ReturnSetInfo* rsinfo = start_materialized_rows(fcinfo);
    if (!stats::tracking())
        return Datum(0);
    int64_t now_minute = stats::minute_of(GetCurrentTimestamp());
    auto ring = std::make_unique<mq::MinuteRing>();
    std::vector<mq::MinuteRing::Entry> entries(mq::MinuteRing::kSlots);
    char target[stats::kTargetBytes];
    for (int slot = 0; slot < stats::slot_count(); ++slot) {
        if (!stats::copy_wins(slot, &target, ring.get()))
            continue;
        int count = ring->recent(now_minute, entries.data());
        const mq::MinuteRing::Entry* minutes = entries.data();
        mq::pg::call([&] {
            Datum values[3];
            bool nulls[3] = {false, false, false};
            values[1] = CStringGetTextDatum(target);
            for (int i = 0; i < count; ++i) {
                values[0] = TimestampTzGetDatum(stats::minute_start(minutes[i].minute));
                values[2] = Int64GetDatum(static_cast<int64>(minutes[i].wins));
                tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
            }
        });
    }
    return Datum(0);
}

// multiquery.race_stats_info(): one row describing the statistics table.
MQ_FUNCTION(multiquery_race_stats_info) {
    ReturnSetInfo* rsinfo = start_materialized_rows(fcinfo);
    stats::TableInfo info = stats::table_info();
    Datum values[5] = {
        BoolGetDatum(info.tracking),
        Int32GetDatum(info.targets),
        Int32GetDatum(info.max_targets),
        Int64GetDatum(static_cast<int64>(info.untracked)),
        TimestampTzGetDatum(info.stats_reset),
    };
    bool nulls[5] = {false, false, false, false, !info.tracking};
    mq::pg::call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
    return Datum(0);
}

// multiquery.race_stats_reset(): forgets every target's statistics.
MQ_FUNCTION(multiquery_race_stats_reset) {
    stats::reset_all();
    PG_RETURN_VOID();
}
