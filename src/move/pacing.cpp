// Pacing a table sync; see pacing.hpp.
#include "move/pacing.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "move/local.hpp"
#include "pg/guard.hpp"
#include "queue/progress.hpp"
#include "queue/settings.hpp"

extern "C" {
#include "storage/latch.h"
#include "utils/wait_event.h"
}

namespace mq::move {
namespace {

constexpr int64_t kChunkRows = 10000;
constexpr int64_t kMinChunkRows = 100;
constexpr int64_t kLagCheckMs = 100;

}  // namespace

Pacer::Pacer(int64_t max_rows_per_sec, ProgressSlot* progress)
    : bucket_(max_rows_per_sec), rate_(max_rows_per_sec), progress_(progress) {}

int64_t Pacer::chunk_rows() const {
    if (rate_ <= 0) return kChunkRows;
    return std::clamp(rate_ / 10, kMinChunkRows, kChunkRows);
}

void Pacer::sleep_ms(int64_t ms) {
    pg::call([&] {
        WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, static_cast<long>(ms),
                  PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
    });
}

bool Pacer::standbys_behind() {
    int64_t limit = static_cast<int64_t>(queue::drain_replica_lag_limit_kb) * 1024;
    if (limit <= 0) return false;
    Rows rows = local_rows(queue::kReplicaLagQuery);
    return !rows.empty() && rows[0][0] && std::stoll(*rows[0][0]) > limit;
}

void Pacer::wait_for_turn() {
    pg::check_for_interrupts();
    if (standbys_behind()) {
        progress_->set_phase("waiting for standbys");
        while (standbys_behind()) sleep_ms(kLagCheckMs);
    }
    int64_t wait_us = bucket_.wait_us(now_us());
    if (wait_us > 0) {
        progress_->set_phase("throttled");
        while ((wait_us = bucket_.wait_us(now_us())) > 0)
            sleep_ms(std::max<int64_t>(1, wait_us / 1000));
    }
    progress_->set_phase("applying");
}

void Pacer::charge(int64_t rows) { bucket_.charge(rows, now_us()); }

}  // namespace mq::move
