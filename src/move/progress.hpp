// multiquery.table_sync_progress: one row per running table_sync, in
// shared memory (only when the library is preloaded; otherwise a sync runs
// unreported).
#pragma once

#include <cstdint>
#include <string>

namespace mq::move {

// Installs the shared memory hooks; from _PG_init.
void progress_init();

struct SyncCounts {
    int pass = 0;
    int64_t chunks_total = 0;
    int64_t chunks_done = 0;
    int64_t rows_fetched = 0;
    int64_t rows_inserted = 0;
    int64_t rows_updated = 0;
    int64_t rows_deleted = 0;
    int64_t rows_skipped = 0;
};

// This backend's row for the duration of one sync.
class ProgressSlot {
public:
    ProgressSlot(const std::string& target, const std::string& source);
    ProgressSlot(const ProgressSlot&) = delete;
    ProgressSlot& operator=(const ProgressSlot&) = delete;
    ~ProgressSlot();

    void set_phase(const char* phase);
    void set_counts(const SyncCounts& counts);

private:
    int slot_ = -1;
};

}  // namespace mq::move
