// What the module's entry point (_PG_init) wires together: each concern
// registers its own GUCs, shared memory and workers.
#pragma once

namespace mq {

// True when the library is loading from shared_preload_libraries, the only
// time shared memory and background workers can be requested.
bool loading_at_postmaster_start();

}  // namespace mq
