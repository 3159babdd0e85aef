// The module's entry point: PostgreSQL calls _PG_init once per process that loads it.
#include "module.hpp"

#include "fdw/race_groups.hpp"
#include "move/progress.hpp"
#include "pg/guard.hpp"
#include "queue/init.hpp"
#include "race/race.hpp"
#include "race/stats.hpp"

extern "C" {
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);
}

namespace mq {

bool loading_at_postmaster_start() {
    return process_shared_preload_libraries_in_progress;
}

}  // namespace mq

void _PG_init(void) {
    mq::pg::run_guarded([] {
        // Every concern defines its GUCs before the prefix is reserved:
        // reserving first would discard values set before the library loaded.
        mq::race::init();
        mq::race::stats_init();
        mq::queue::init();
        mq::fdw::install_race_group_checks();
        mq::move::progress_init();
        mq::pg::call([] { MarkGUCPrefixReserved("multiquery"); });
    });
}
