// The race's GUCs; see settings.hpp. All PGC_USERSET, so that they can be set
// per session, per role and per database.
#include "race/settings.hpp"

#include <climits>

#include "pg/postgres.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace mq::race {

int race_timeout_ms = 10000;
int connect_timeout_ms = 2000;
int cancel_timeout_ms = 1000;
int target_backoff_ms = 1000;
int target_backoff_max_ms = 60000;

void define_settings() {
    DefineCustomIntVariable(
        "multiquery.race_timeout", "How long race_query waits for a target to answer.",
        "0 means no limit beyond statement_timeout. The timeout_ms argument overrides it.",
        &race_timeout_ms, 10000, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "multiquery.connect_timeout", "How long race_query lets one target take to connect.",
        "A target that has not finished connecting by then fails and is backed off.",
        &connect_timeout_ms, 2000, 1, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
        nullptr);
    DefineCustomIntVariable(
        "multiquery.cancel_timeout",
        "How long a cancelled target has to give its connection back.",
        "A target whose cancelled query has not ended by then loses its connection and is "
        "backed off.",
        &cancel_timeout_ms, 1000, 1, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "multiquery.target_backoff", "How long race_query skips a target after it failed.",
        "Doubles with each further failure up to multiquery.target_backoff_max; 0 disables.",
        &target_backoff_ms, 1000, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr, nullptr,
        nullptr);
    DefineCustomIntVariable(
        "multiquery.target_backoff_max", "The longest time race_query skips a failed target.",
        nullptr, &target_backoff_max_ms, 60000, 0, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr,
        nullptr, nullptr);
}

}  // namespace mq::race
