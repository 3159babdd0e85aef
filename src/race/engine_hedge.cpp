// Hedged start: the first target alone, the others once the hedge delay is
// over or every target sent so far failed. Part of Race (engine.hpp).
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "race/engine.hpp"
#include "race/settings.hpp"
#include "race/stats.hpp"

namespace mq::race {
namespace {

// 'auto''s delay for a target, as this backend last read it. Reading it
// takes the shared statistics' lock, which every race takes to record its
// outcome, and copies a histogram: at 8 clients on 2 CPUs, reading it for
// every call cost a tenth of the calls a second. A p95 over a target's whole
// history moves slowly, so each backend reads it again only after
// kAutoDelayRefreshMs, for at most kAutoDelayTargets targets. No history is
// not kept: the first recorded races count at once.
struct AutoDelay {
    std::string target;
    int delay_ms;
    int64_t read_at_ms;
};
constexpr int64_t kAutoDelayRefreshMs = 500;
constexpr size_t kAutoDelayTargets = 16;
std::vector<AutoDelay> auto_delays;

// 'auto' waits as long as the first target takes 19 times out of 20;
// without a history it has nothing to wait for: all at once.
int read_auto_delay(const std::string& target) {
    int64_t p95_us = latency_quantile_us(target.c_str(), 0.95);
    if (p95_us < 0)
        return 0;
    return static_cast<int>(std::min<int64_t>(std::max<int64_t>(1, (p95_us + 999) / 1000),
                                              std::numeric_limits<int>::max()));
}

}  // namespace

int Race::resolve_hedge_delay(const Runner& first) const {
    if (request_.hedge_delay_ms != kHedgeAuto)
        return request_.hedge_delay_ms;
    const std::string& target = first.spec->name;
    int64_t now = now_ms();
    auto known = std::find_if(auto_delays.begin(), auto_delays.end(),
                              [&](const AutoDelay& d) { return d.target == target; });
    if (known != auto_delays.end() && now - known->read_at_ms < kAutoDelayRefreshMs)
        return known->delay_ms;
    int delay_ms = read_auto_delay(target);
    if (delay_ms == 0) {
        if (known != auto_delays.end())
            auto_delays.erase(known);
        return 0;
    }
    if (known == auto_delays.end()) {
        if (auto_delays.size() < kAutoDelayTargets) {
            auto_delays.push_back({target, delay_ms, now});
            return delay_ms;
        }
        known = std::min_element(
            auto_delays.begin(), auto_delays.end(),
            [](const AutoDelay& a, const AutoDelay& b) { return a.read_at_ms < b.read_at_ms; });
        known->target = target;
    }
    known->delay_ms = delay_ms;
    known->read_at_ms = now;
    return delay_ms;
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
