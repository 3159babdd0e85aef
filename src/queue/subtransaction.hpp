// Running a piece of C++ work in a PostgreSQL subtransaction, so that a
// PostgreSQL error inside it can be survived: the subtransaction is rolled
// back and the error handed to the caller, with the outer transaction intact.
#pragma once

#include "pg/guard.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/resowner.h"
}

namespace mq::queue {

// Runs body in a subtransaction. Returns nullptr when it committed, or the
// PostgreSQL error (allocated in the caller's memory context) after rolling
// it back. A C++ exception from body rolls the subtransaction back too and
// then propagates.
template <typename Body>
ErrorData* in_subtransaction(Body&& body) {
    MemoryContext context = CurrentMemoryContext;
    ResourceOwner owner = CurrentResourceOwner;
    pg::call([] { BeginInternalSubTransaction(nullptr); });
    MemoryContextSwitchTo(context);
    auto roll_back = [&] {
        MemoryContextSwitchTo(context);
        pg::call([] { RollbackAndReleaseCurrentSubTransaction(); });
        MemoryContextSwitchTo(context);
        CurrentResourceOwner = owner;
    };
    try {
        body();
    } catch (const pg::PgException& e) {
        roll_back();
        return e.error();
    } catch (...) {
        roll_back();
        throw;
    }
    pg::call([] { ReleaseCurrentSubTransaction(); });
    MemoryContextSwitchTo(context);
    CurrentResourceOwner = owner;
    return nullptr;
}

}  // namespace mq::queue
