// The race's GUCs, read by the engine at the start of each race.
#pragma once

namespace mq::race {

// multiquery.race_timeout: how long a race waits for an answer (ms, 0 = no
// limit beyond statement_timeout); race_query's timeout_ms overrides it.
extern int race_timeout_ms;
// multiquery.connect_timeout: how long one target may take to connect (ms).
extern int connect_timeout_ms;
// multiquery.cancel_timeout: how long a cancelled target has to give its
// connection back before it is closed and backed off (ms).
extern int cancel_timeout_ms;
// multiquery.target_backoff / target_backoff_max: how long a failed target is
// skipped after its first failure, doubling up to the maximum (ms; 0 = never).
extern int target_backoff_ms;
extern int target_backoff_max_ms;

// Registers the GUCs above.
void define_settings();

}  // namespace mq::race
