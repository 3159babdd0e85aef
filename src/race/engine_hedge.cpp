// Hedged start: the first target alone, the others once the hedge delay is
// over or every target sent so far failed. Part of Race (engine.hpp).
#include <algorithm>
#include <limits>

#include "race/engine.hpp"
#include "race/settings.hpp"
#include "race/stats.hpp"

namespace mq::race {

int Race::resolve_hedge_delay(const Runner& first) const {
    if (request_.hedge_delay_ms != kHedgeAuto)
        return request_.hedge_delay_ms;
    // 'auto' waits as long as the first target takes 19 times out of 20;
    // without a history it has nothing to wait for: all at once.
    int64_t p95_us = latency_quantile_us(first.spec->name.c_str(), 0.95);
    if (p95_us < 0)
        return 0;
    return static_cast<int>(std::min<int64_t>(std::max<int64_t>(1, (p95_us + 999) / 1000),
                                              std::numeric_limits<int>::max()));
}

void Race::maybe_hedge() {
    if (held_.empty())
        return;
    bool any_active = std::any_of(runners_.begin(), runners_.end(),
                                  [&](const Runner& r) { return active(r); });
    // An answer already streaming is an answer: no hedge while it lasts.
    bool due = !any_active || (leader_ == nullptr && now_ms() >= hedge_at_ms_);
    if (!due)
        return;
    std::vector<Runner*> late;
    late.swap(held_);
    for (Runner* runner : late) {
        record_hedge(runner->spec->name.c_str());
        enter(runner);
    }
}

}  // namespace mq::race
