// The race engine's entry points for the module: what _PG_init wires up.
#pragma once

namespace mq::race {

// Defines the race GUCs (multiquery.race_timeout, ...). Called from _PG_init
// before the multiquery prefix is reserved.
void init();

}  // namespace mq::race
