// multiquery.race_query(targets, query, params, timeout_ms, min_lsn,
// hedge_delay): the SQL face of the race. Checks its arguments, resolves the
// targets, runs the race and hands the winner's rows back as a materialized set.
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pg/guard.hpp"
#include "pg/text_array.hpp"
#include "race/connection.hpp"
#include "race/engine.hpp"
#include "race/nesting.hpp"
#include "race/race.hpp"
#include "race/result_sink.hpp"
#include "race/settings.hpp"
#include "race/target.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/pg_lsn.h"
}

namespace {

constexpr const char* kNullValueNotAllowed = mq::sqlstate::kNullValueNotAllowed;
constexpr int kMaxParams = 65535;  // what the protocol's Bind message can carry

bool all_whitespace(const std::string& text) {
    for (char c : text)
        if (!isspace(static_cast<unsigned char>(c)))
            return false;
    return true;
}

// A target reached twice: says how each came in, directly or through a group.
mq::Error listed_twice(const mq::race::TargetSpec& first, const mq::race::TargetSpec& again) {
    auto how = [](const mq::race::TargetSpec& spec) {
        return spec.group.empty() ? std::string("directly")
                                  : "through group \"" + spec.group + "\"";
    };
    // A group listed twice brings each of its targets twice: name the group.
    if (!first.group.empty() && first.group == again.group)
        return mq::Error(mq::sqlstate::kInvalidParameterValue,
                         "race target \"" + first.group + "\" is listed twice");
    std::string detail;
    if (!first.group.empty() || !again.group.empty())
        detail = "It is named " + how(first) + " and again " + how(again) + ".";
    return mq::Error(mq::sqlstate::kInvalidParameterValue,
                     "race target \"" + again.name + "\" is listed twice", detail);
}

std::vector<mq::race::TargetSpec> resolve_targets(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0))
        throw mq::Error(kNullValueNotAllowed, "race_query's targets must not be null");
    auto names = mq::pg::text_array_elements(PG_GETARG_DATUM(0), "targets");
    if (names.empty())
        throw mq::Error(mq::sqlstate::kInvalidParameterValue,
                        "race_query needs at least one target",
                        {}, "List foreign servers or connection strings, e.g. '{primary,replica}'.");
    std::vector<mq::race::TargetSpec> targets;
    for (const auto& name : names) {
        if (!name)
            throw mq::Error(kNullValueNotAllowed, "race_query's targets must not contain nulls");
        for (mq::race::TargetSpec& spec : mq::race::resolve_targets(*name)) {
            for (const auto& other : targets)
                if (other.key == spec.key)
                    throw listed_twice(other, spec);
            targets.push_back(std::move(spec));
        }
    }
    return targets;
}

mq::race::RaceRequest read_request(FunctionCallInfo fcinfo) {
    mq::race::RaceRequest request;
    if (PG_ARGISNULL(1))
        throw mq::Error(kNullValueNotAllowed, "race_query's query must not be null");
    request.query = mq::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(1)); });
    if (all_whitespace(request.query))
        throw mq::Error(mq::sqlstate::kSyntaxError, "race_query's query is empty");
    if (!PG_ARGISNULL(2)) {
        request.params = mq::pg::text_array_elements(PG_GETARG_DATUM(2), "params");
        if (request.params.size() > kMaxParams)
            throw mq::Error(mq::sqlstate::kTooManyArguments,
                            "race_query takes at most 65535 params");
    }
    request.timeout_ms = mq::race::race_timeout_ms;
    if (!PG_ARGISNULL(3)) {
        request.timeout_ms = PG_GETARG_INT32(3);
        if (request.timeout_ms < 0)
            throw mq::Error(mq::sqlstate::kInvalidParameterValue,
                            "race_query's timeout_ms must not be negative", {},
                            "0 means no limit; NULL means multiquery.race_timeout.");
    }
    request.min_lsn = mq::race::min_lsn_for_race();
    if (!PG_ARGISNULL(4))
        request.min_lsn = PG_GETARG_LSN(4);
    request.hedge_delay_ms = mq::race::hedge_delay_ms;
    if (!PG_ARGISNULL(5)) {
        std::string delay = mq::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(5)); });
        const char* hint = nullptr;
        if (!mq::race::parse_hedge_delay(delay.c_str(), &request.hedge_delay_ms, &hint))
            throw mq::Error(mq::sqlstate::kInvalidParameterValue,
                            "invalid hedge_delay: \"" + delay + "\"",
                            "hedge_delay must be 'auto' or a duration such as '10ms'.",
                            hint != nullptr ? hint : "NULL means multiquery.hedge_delay.");
    }
    request.max_replica_lag_ms = mq::race::max_replica_lag_ms;
    return request;
}

// The caller's column definition list, and a tuplestore for the rows, both
// in the per-query context so that they outlive this call.
ReturnSetInfo* prepare_materialized_result(FunctionCallInfo fcinfo) {
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    if (rsinfo == nullptr || !IsA(rsinfo, ReturnSetInfo) ||
        (rsinfo->allowedModes & SFRM_Materialize) == 0)
        throw mq::Error(mq::sqlstate::kFeatureNotSupported,
                        "set-valued function called in context that cannot accept a set");
    if (rsinfo->expectedDesc == nullptr)
        throw mq::Error(mq::sqlstate::kSyntaxError, "race_query needs a column definition list", {},
                        "Write it as dblink's: ... FROM multiquery.race_query(...) AS t(id int, "
                        "title text).");
    mq::pg::call([&] {
        MemoryContext caller = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
        rsinfo->setDesc = CreateTupleDescCopy(rsinfo->expectedDesc);
        rsinfo->setResult =
            tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0, false,
                                  work_mem);
        MemoryContextSwitchTo(caller);
    });
    rsinfo->returnMode = SFRM_Materialize;
    return rsinfo;
}

}  // namespace

MQ_FUNCTION(multiquery_race_query) {
    mq::race::check_not_nested("race_query was called");
    mq::race::RaceRequest request = read_request(fcinfo);
    std::vector<mq::race::TargetSpec> targets = resolve_targets(fcinfo);
    // A connection holding a raced table's snapshot is left alone.
    mq::race::route_around_snapshots(&targets);
    ReturnSetInfo* rsinfo = prepare_materialized_result(fcinfo);
    mq::race::ResultSink sink(rsinfo->setResult, rsinfo->setDesc);
    // Outlives the race: its connections stay pinned until the race is over.
    mq::race::CacheScope cache_scope(targets);
    mq::race::Race race(targets, request, &sink);
    race.run();
    return (Datum)0;
}

namespace mq::race {

void init() {
    pg::call([] {
        define_settings();
        define_nesting_setting();
    });
}

}  // namespace mq::race
