// Wires the write queue into the module: GUCs, shared memory, workers.
#pragma once

namespace mq::queue {

// Called from _PG_init in every process that loads the library.
void init();

}  // namespace mq::queue
