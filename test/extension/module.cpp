// The test module's entry point. Its functions call into multiquery's library
// (linked against it, so it is loaded first): load it the way PostgreSQL
// does, so that its _PG_init has run, as it has for any multiquery function.
#include "pg/guard.hpp"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);
}

void _PG_init(void) {
    mq::pg::run_guarded([] { mq::pg::call([] { load_file("$libdir/multiquery", false); }); });
}
