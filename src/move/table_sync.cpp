// CALL multiquery.table_sync(target, source, max_rows_per_sec, deletes):
// makes the target equal to the source, a chunk of key ranges per
// transaction, as the caller.
#include <string>

#include "core/error.hpp"
#include "move/apply.hpp"
#include "move/compare.hpp"
#include "move/pacing.hpp"
#include "move/plan.hpp"
#include "move/progress.hpp"
#include "move/remote.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "executor/spi.h"
#include "nodes/parsenodes.h"
}

namespace {

// Passes over the whole table: a write that lost a race with the
// application's own is retried by the next pass.
constexpr int kMaxPasses = 3;

class Sync {
public:
    Sync(const mq::move::MovePlan& plan, int64_t max_rows_per_sec, bool deletes)
        : plan_(plan),
          progress_(plan.target_name, plan.source_name),
          pacer_(max_rows_per_sec, &progress_),
          writer_(plan, deletes) {}

    void run(Oid source) {
        progress_.set_phase("connecting");
        remote_.connect(source);
        for (int pass = 1; pass <= kMaxPasses; ++pass) {
            counts_.pass = pass;
            int64_t skipped_before = counts_.rows_skipped;
            if (!run_pass()) break;
            if (counts_.rows_skipped == skipped_before) break;
        }
        progress_.set_phase("setting sequences");
        writer_.set_sequences();
        commit();
        report();
    }

private:
    // One pass over the table; false when it found nothing to do.
    bool run_pass() {
        progress_.set_phase("comparing");
        mq::move::Comparison comparison(plan_, &remote_);
        comparison.cut_ranges();
        std::vector<size_t> differing = comparison.differing_ranges();
        std::vector<std::vector<size_t>> chunks = comparison.chunks(differing, pacer_.chunk_rows());
        counts_.chunks_total += static_cast<int64_t>(chunks.size());
        progress_.set_counts(counts_);
        // The ranges are cut and hashed: let go of that snapshot.
        commit();
        for (size_t i = 0; i < chunks.size(); ++i) {
            pacer_.wait_for_turn();
            int64_t fetched_before = comparison.rows_fetched();
            std::vector<mq::move::Difference> differences = comparison.compare(chunks[i]);
            if (i + 1 < chunks.size()) comparison.prefetch(chunks[i + 1]);
            mq::move::Applied applied = writer_.apply(differences);
            commit();
            counts_.chunks_done += 1;
            counts_.rows_fetched += comparison.rows_fetched() - fetched_before;
            counts_.rows_inserted += applied.inserted;
            counts_.rows_updated += applied.updated;
            counts_.rows_deleted += applied.deleted;
            counts_.rows_skipped += applied.skipped;
            progress_.set_counts(counts_);
            pacer_.charge(applied.inserted + applied.updated + applied.deleted);
        }
        return !chunks.empty();
    }

    static void commit() {
        mq::pg::call([] { SPI_commit(); });
    }

    void report() const {
        std::string summary = "table_sync: " + std::to_string(counts_.rows_inserted) +
                              " rows inserted, " + std::to_string(counts_.rows_updated) +
                              " updated, " + std::to_string(counts_.rows_deleted) + " deleted, " +
                              std::to_string(counts_.rows_skipped) +
                              " skipped (changed meanwhile); " +
                              std::to_string(counts_.rows_fetched) +
                              " source rows fetched; passes: " + std::to_string(counts_.pass);
        mq::pg::call([&] { elog(DEBUG1, "%s", summary.c_str()); });
    }

    const mq::move::MovePlan& plan_;
    mq::move::ProgressSlot progress_;
    mq::move::Pacer pacer_;
    mq::move::Writer writer_;
    mq::move::RemoteSource remote_;
    mq::move::SyncCounts counts_;
};

// A sync commits per chunk: it cannot run where CALL may not commit.
void check_may_commit(FunctionCallInfo fcinfo) {
    bool atomic = fcinfo->context == nullptr || !IsA(fcinfo->context, CallContext) ||
                  castNode(CallContext, fcinfo->context)->atomic;
    if (atomic)
        throw mq::Error(mq::sqlstate::kActiveSqlTransaction,
                        "multiquery.table_sync cannot run inside a transaction block",
                        "It commits once per chunk of rows, which a transaction block or an "
                        "atomic context (a function, a procedure called from one) forbids.",
                        "CALL it on its own, outside BEGIN ... COMMIT.");
}

}  // namespace

MQ_FUNCTION(multiquery_table_sync) {
    check_may_commit(fcinfo);
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
        throw mq::Error(mq::sqlstate::kNullValueNotAllowed,
                        "the arguments of multiquery.table_sync must not be null");
    Oid target = PG_GETARG_OID(0);
    Oid source = PG_GETARG_OID(1);
    int32 max_rows_per_sec = PG_GETARG_INT32(2);
    bool deletes = PG_GETARG_BOOL(3);
    if (max_rows_per_sec < 0)
        throw mq::Error(mq::sqlstate::kInvalidParameterValue,
                        "max_rows_per_sec must not be negative", {}, "0 means no limit.");
    mq::pg::call([] {
        if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    });
    {
        mq::move::MovePlan plan = mq::move::describe(
            target, source,
            deletes ? mq::move::Access::kSync : mq::move::Access::kSyncWithoutDeletes);
        Sync sync(plan, max_rows_per_sec, deletes);
        sync.run(source);
    }
    mq::pg::call([] { SPI_finish(); });
    return Datum(0);
}
