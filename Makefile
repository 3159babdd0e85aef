# multiquery: the one build of the extension (PGXS).
#   make && make install     build and install into the server found by PG_CONFIG
#   make test                everything: unit tests, pg_regress, TAP (installs what is missing)
#   make demo / make stop    start / stop the local primary + standby + Redis with the extension
#   make bench               the benchmarks (not part of the tests)
#   make fuzz                a long differential fuzzing run of the raced tables
#                            (FUZZ_ARGS='--queries N --seconds T --seed S --timeout-ms M')
# CMakeLists.txt builds only the PostgreSQL-free core and its unit tests.

EXTENSION = multiquery
EXTVERSION = 0.6
MODULE_big = multiquery

# PGXS sets srcdir only after this file's variables are read; VPATH builds
# (the test runner uses one) need the source tree for the wildcards below.
MQ_SRC := $(if $(VPATH),$(VPATH),.)
mq_relative = $(patsubst $(MQ_SRC)/%,%,$(1))

# Each concern lives in its own folder under src/; the module is these files,
# named one by one so that nothing lands in the library by being in a folder.
# CMakeLists.txt lists the same src/core/ files for the unit tests.
OBJS = \
	src/module.o \
	src/version.o \
	src/removed_functions.o \
	src/core/answer_latency.o \
	src/core/backoff.o \
	src/core/cache_trim.o \
	src/core/comma_list.o \
	src/core/conninfo.o \
	src/core/drain_state.o \
	src/core/freshness.o \
	src/core/iso_timestamp.o \
	src/core/json_lexer.o \
	src/core/json_row_values.o \
	src/core/json_text.o \
	src/core/jsonb_image.o \
	src/core/latency_histogram.o \
	src/core/minute_ring.o \
	src/core/prepared_statements.o \
	src/core/queue_backoff.o \
	src/core/queue_batch.o \
	src/core/queue_copy.o \
	src/core/queue_copy_binary.o \
	src/core/queue_entry.o \
	src/core/queue_json.o \
	src/core/queue_stream_id.o \
	src/core/queue_streams.o \
	src/core/queue_throttle.o \
	src/core/race_failure.o \
	src/core/redis_address.o \
	src/core/repeat_filter.o \
	src/core/resp.o \
	src/core/secret_file.o \
	src/core/sql_quote.o \
	src/core/sqlstate.o \
	src/core/table_list.o \
	src/pg/guard.o \
	src/pg/text_array.o \
	src/race/cancel.o \
	src/race/cancel_key.o \
	src/race/connection.o \
	src/race/connection_functions.o \
	src/race/engine.o \
	src/race/engine_hedge.o \
	src/race/engine_pipeline.o \
	src/race/engine_probe.o \
	src/race/engine_wait.o \
	src/race/late_cancel.o \
	src/race/libpq_options.o \
	src/race/nesting.o \
	src/race/race_query.o \
	src/race/result_sink.o \
	src/race/settings.o \
	src/race/stats_shmem.o \
	src/race/stats_views.o \
	src/race/target.o \
	src/queue/apply.o \
	src/queue/copy_load.o \
	src/queue/dead_letter.o \
	src/queue/drain.o \
	src/queue/drain_rewind.o \
	src/queue/enqueue.o \
	src/queue/init.o \
	src/queue/progress.o \
	src/queue/redis.o \
	src/queue/redis_master.o \
	src/queue/redis_wait.o \
	src/queue/row_group.o \
	src/queue/settings.o \
	src/queue/spi_run.o \
	src/queue/status.o \
	src/queue/target.o \
	src/queue/worker.o \
	src/fdw/analyze.o \
	src/fdw/deparse.o \
	src/fdw/deparse_expr.o \
	src/fdw/estimate.o \
	src/fdw/explain.o \
	src/fdw/grouping.o \
	src/fdw/handler.o \
	src/fdw/import_schema.o \
	src/fdw/join.o \
	src/fdw/paths.o \
	src/fdw/plan.o \
	src/fdw/race_groups.o \
	src/fdw/race_read.o \
	src/fdw/scan.o \
	src/fdw/shippable.o \
	src/fdw/snapshot.o \
	src/fdw/transmission.o \
	src/fdw/upper.o \
	src/fdw/validator.o \
	src/fdw/write_refusal.o \
	src/move/apply.o \
	src/move/compare.o \
	src/move/local.o \
	src/move/pacing.o \
	src/move/plan.o \
	src/move/progress.o \
	src/move/remote.o \
	src/move/sql.o \
	src/move/table_diff.o \
	src/move/table_sync.o

# The install script is assembled from one part per concern (extension/NN_*.sql),
# so that each concern keeps its SQL next to the others without one huge file.
# Earlier versions' install scripts are frozen copies (extension/multiquery--A.sql,
# made by this same rule when A was current) and upgrade scripts go from one
# version to the next (extension/multiquery--A--B.sql): both are installed as is.
SQL_PARTS = $(sort $(wildcard $(MQ_SRC)/extension/[0-9][0-9]_*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
DATA = $(call mq_relative,$(wildcard $(MQ_SRC)/extension/$(EXTENSION)--*.sql))

REGRESS = $(sort $(patsubst $(MQ_SRC)/sql/%.sql,%,$(wildcard $(MQ_SRC)/sql/*.sql)))
# multiquery_test (test/extension/) holds the tests' hooks into the library;
# test/run_all.sh installs it, the extension itself ships no test functions.
REGRESS_OPTS = --load-extension=$(EXTENSION) --load-extension=$(EXTENSION)_test

TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl
override PROVE_FLAGS += -I test/perl

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src -I$(shell $(PG_CONFIG) --includedir) -DMQ_VERSION='"$(EXTVERSION)"'
# -MMD -MP: each object's header dependencies, read back below, so that a
# changed header (a struct's layout) rebuilds every object that includes it.
PG_CXXFLAGS = -std=c++17 -fPIC -fvisibility-inlines-hidden -Wno-register -Wno-missing-field-initializers -MMD -MP $(MQ_CXXFLAGS)
SHLIB_LINK = -lpq -lhiredis -lstdc++

# No LLVM bitcode for JIT inlining: it needs clang for C++ and buys nothing here.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else ifeq ($(filter test demo stop unit bench fuzz,$(MAKECMDGOALS)),)
# test and demo install the server headers themselves, so only they may run without.
$(error PGXS not found through PG_CONFIG=$(PG_CONFIG): install postgresql-server-dev-15, or run 'make test' or 'make demo' as root, which install it)
endif

-include $(OBJS:.o=.d)
EXTRA_CLEAN += $(OBJS:.o=.d)

# A VPATH build (pg_buildext builds each version in build-<version>) has no
# object folders yet; as rule targets make would find them through VPATH.
ifneq ($(VPATH),)
$(shell mkdir -p $(sort $(dir $(OBJS))))
endif

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

# MQ_VERSION comes from EXTVERSION above: a version bump must rebuild it.
src/version.o: $(firstword $(MAKEFILE_LIST))

.PHONY: test demo stop unit bench fuzz
test:
	bash $(srcdir)/test/run_all.sh
unit:
	bash $(srcdir)/test/run_unit.sh
demo:
	bash $(srcdir)/test/demo.sh
stop:
	bash $(srcdir)/test/cluster.sh stop
bench:
	bash $(srcdir)/bench/run.sh
fuzz:
	bash $(srcdir)/test/fuzz/run.sh $(FUZZ_ARGS)
