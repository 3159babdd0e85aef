// Placeholder until shared-memory race statistics land: records nothing.
#include "race/stats.hpp"

namespace mq::race {

void record_outcome(const char*, Outcome, int64_t, const char*) {}
void record_hedge(const char*) {}
int64_t latency_quantile_us(const char*, double) { return -1; }
void stats_init() {}

}  // namespace mq::race
