// Raced foreign tables are for reads: INSERT, UPDATE, DELETE and TRUNCATE are
// refused with an error that says why, at plan time (so that EXPLAIN of a
// write is refused too), and the tables report themselves not updatable
// (information_schema.tables.is_insertable_into = NO).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "foreign/fdwapi.h"
}

namespace mq::fdw {

// Sets the routines that refuse writes.
void set_write_refusal_routines(FdwRoutine* routine);

}  // namespace mq::fdw
