// The drain background workers (multiquery_drain_main runs each).
#pragma once

namespace mq::queue {

// Registers multiquery.drain_workers static workers; only from
// shared_preload_libraries, in _PG_init.
void register_workers();

}  // namespace mq::queue
