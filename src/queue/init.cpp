// The write queue's part of _PG_init; see init.hpp.
#include "queue/init.hpp"

#include "module.hpp"
#include "pg/guard.hpp"
#include "queue/settings.hpp"
#include "queue/status.hpp"
#include "queue/worker.hpp"

namespace mq::queue {

void init() {
    pg::call([] { define_settings(); });
    // Shared memory and workers can only be requested at postmaster start;
    // loaded later (LOAD, or a first call without preloading), the queue's
    // SQL functions still work and drain_status is simply empty.
    if (!loading_at_postmaster_start())
        return;
    status::init();
    register_workers();
}

}  // namespace mq::queue
