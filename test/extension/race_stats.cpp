// Race statistics without remote servers: the tests report outcomes as the
// race engine would, into multiquery's own shared memory, and read back what
// the engine would see.
#include <string>

#include "core/error.hpp"
#include "pg/guard.hpp"
#include "race/stats.hpp"

extern "C" {
#include "utils/builtins.h"
}

// multiquery_test.record_race(target, outcome, latency_ms, error): reports one
// outcome as the race engine would.
MQ_FUNCTION(multiquery_test_record_race) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        throw mq::Error(mq::sqlstate::kNullValueNotAllowed,
                        "target and outcome must not be null");  // null_value_not_allowed
    char* target = mq::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    char* outcome_text = mq::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(1)); });
    double latency_ms = PG_ARGISNULL(2) ? 0.0 : PG_GETARG_FLOAT8(2);
    char* error = PG_ARGISNULL(3) ? nullptr
                                  : mq::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(3)); });
    if (!(latency_ms >= 0.0 && latency_ms <= 1e12))
        throw mq::Error(mq::sqlstate::kInvalidParameterValue,
                        "latency_ms must be between 0 and 1e12");
    auto latency_us = static_cast<int64_t>(latency_ms * 1000.0);

    std::string outcome(outcome_text);
    if (outcome == "win")
        mq::race::record_outcome(target, mq::race::Outcome::kWin, latency_us, error);
    else if (outcome == "cancel")
        mq::race::record_outcome(target, mq::race::Outcome::kCancelled, latency_us, error);
    else if (outcome == "error")
        mq::race::record_outcome(target, mq::race::Outcome::kError, latency_us, error);
    else if (outcome == "hedge")
        mq::race::record_hedge(target);
    else
        throw mq::Error(mq::sqlstate::kInvalidParameterValue,
                        "unknown race outcome \"" + outcome + "\"", {},
                        "Use one of win, cancel, error, hedge.");
    PG_RETURN_VOID();
}

// multiquery_test.latency_quantile(target, p): what the race engine's
// latency_quantile_us() answers, in microseconds; NULL for its -1.
MQ_FUNCTION(multiquery_test_latency_quantile) {
    char* target = mq::pg::call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(0)); });
    int64_t quantile_us = mq::race::latency_quantile_us(target, PG_GETARG_FLOAT8(1));
    if (quantile_us < 0)
        PG_RETURN_NULL();
    PG_RETURN_INT64(quantile_us);
}
