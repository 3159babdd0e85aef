// The drain background worker's entry point and main loop.
//
// The loop is C-style on purpose: it owns the sigsetjmp that catches any
// ERROR of a turn (as BackgroundWriterMain does), so no C++ object with a
// destructor may live in its frame. The turn itself is guarded C++ (Drain),
// whose objects are all destroyed before its error is raised.
#include "queue/worker.hpp"

#include <csetjmp>

#include "pg/guard.hpp"
#include "queue/drain.hpp"
#include "queue/settings.hpp"

extern "C" {
#include "access/xact.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/ps_status.h"

PGDLLEXPORT void multiquery_drain_main(Datum arg);
}

namespace {

mq::queue::Drain* drain = nullptr;  // this process's drain; lives until exit

// One guarded turn; returns how long to sleep. An error longjmps out.
long guarded_turn() {
    long wait_ms = 1000;
    mq::pg::run_guarded([&] {
        if (drain == nullptr)
            drain = new mq::queue::Drain(DatumGetInt32(MyBgworkerEntry->bgw_main_arg));
        wait_ms = drain->run_once();
    });
    return wait_ms;
}

// The worker, and the stream it works on, as the CONTEXT line of every
// message of a turn (bgw_type reaches the log only through %b in
// log_line_prefix). Holds no C++ object: errcontext may raise an ERROR.
void drain_error_context(void* /*arg*/) {
    int worker = DatumGetInt32(MyBgworkerEntry->bgw_main_arg);
    const char* stream = drain != nullptr ? drain->working_stream() : nullptr;
    if (stream != nullptr)
        errcontext("multiquery drain worker %d, stream \"%s\"", worker, stream);
    else
        errcontext("multiquery drain worker %d", worker);
}

// Marks the worker stopped in drain_status when the process exits.
void on_exit(int /*code*/, Datum /*arg*/) {
    if (drain != nullptr)
        drain->stopped();
}

}  // namespace

void multiquery_drain_main(Datum arg) {
    sigjmp_buf local_sigjmp_buf;
    MemoryContext turn_context;
    ErrorContextCallback turn_error_context;
    long wait_ms;
    bool failed_last_turn = false;

    // SIGTERM: die() ends the process at the next CHECK_FOR_INTERRUPTS, even
    // inside a long INSERT, so shutdown is prompt.
    pqsignal(SIGTERM, die);
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnection(mq::queue::drain_database, nullptr, 0);
    pgstat_report_appname(MyBgworkerEntry->bgw_name);
    on_shmem_exit(on_exit, (Datum)0);

    turn_context = AllocSetContextCreate(TopMemoryContext, "multiquery drain turn",
                                         ALLOCSET_DEFAULT_SIZES);

    if (sigsetjmp(local_sigjmp_buf, 1) != 0) {
        ErrorData* edata;
        error_context_stack = NULL;
        HOLD_INTERRUPTS();
        MemoryContextSwitchTo(TopMemoryContext);
        edata = CopyErrorData();
        EmitErrorReport();
        AbortCurrentTransaction();
        MemoryContextSwitchTo(TopMemoryContext);
        FlushErrorState();
        if (drain != nullptr)
            drain->failed(unpack_sql_state(edata->sqlerrcode),
                          edata->message ? edata->message : "error");
        FreeErrorData(edata);
        MemoryContextReset(turn_context);
        RESUME_INTERRUPTS();
        failed_last_turn = true;
    }
    PG_exception_stack = &local_sigjmp_buf;

    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
        if (failed_last_turn) {
            // Never spin on an error: the failed stream has its own backoff,
            // and this pause keeps a persistent failure from flooding the log.
            failed_last_turn = false;
            (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100,
                            PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
            continue;
        }
        MemoryContextSwitchTo(turn_context);
        // An ERROR's report has its context by the time it longjmps out of
        // the turn; the handler above resets the stack.
        turn_error_context.callback = drain_error_context;
        turn_error_context.arg = nullptr;
        turn_error_context.previous = error_context_stack;
        error_context_stack = &turn_error_context;
        wait_ms = guarded_turn();
        error_context_stack = turn_error_context.previous;
        MemoryContextSwitchTo(TopMemoryContext);
        MemoryContextReset(turn_context);
        if (wait_ms > 0) {
            (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, wait_ms,
                            PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
        }
    }
}

namespace mq::queue {

void register_workers() {
    for (int i = 0; i < drain_workers; ++i) {
        BackgroundWorker worker = {};
        worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
        // Started only once the server accepts writes: on a standby the
        // worker does not exist until promotion, so it cannot write there.
        worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
        worker.bgw_restart_time = 5;
        snprintf(worker.bgw_library_name, BGW_MAXLEN, "multiquery");
        snprintf(worker.bgw_function_name, BGW_MAXLEN, "multiquery_drain_main");
        snprintf(worker.bgw_name, BGW_MAXLEN, "multiquery drain worker %d", i);
        snprintf(worker.bgw_type, BGW_MAXLEN, "multiquery drain");
        worker.bgw_main_arg = Int32GetDatum(i);
        pg::call([&] { RegisterBackgroundWorker(&worker); });
    }
}

}  // namespace mq::queue
