#!/usr/bin/env bash
# The long differential runs (make fuzz):
#   test/fuzz/run.sh [--queries N] [--seconds T] [--seed S] [--timeout-ms M]
#                    [--jsonb-values V]
# runs test/t/430_raced_tables_fuzz.pl, which starts its own primary and
# standby, with N queries (default 5000; 0 skips it) for at most T seconds
# (default 1800) from seed S (default: from the clock, printed so that a run
# can be repeated), each query under statement_timeout M ms (default 1000);
# then test/t/219_queue_jsonb_image.pl with V generated JSON values (default
# 1,000,000; 0 skips it) from the same seed, each drained into a jsonb column
# and compared byte for byte with what jsonb_in stores. Like make test, it
# installs what is missing and builds and installs the extension first.
#
# As root, the servers run as MQ_RUN_USER (postgres) from a copy of the tree
# that user owns, as make test does. The copy is kept: its
# tmp_check/log/ holds regress_log_430_raced_tables_fuzz (the summary and
# every failure), fuzz_failures.sql (each failure's settings and queries,
# replayable with psql -f), fuzz_crash_N.sql (the whole session of each
# crash) and the servers' logs.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

usage() {
    echo "usage: $0 [--queries N] [--seconds T] [--seed S] [--timeout-ms M] [--jsonb-values V]" >&2
    exit 2
}

queries=5000 seconds=1800 seed=$(( $(date +%s) % 1000000 )) timeout_ms=1000 jsonb_values=1000000
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --queries) queries=$2 ;;
        --seconds) seconds=$2 ;;
        --seed) seed=$2 ;;
        --timeout-ms) timeout_ms=$2 ;;
        --jsonb-values) jsonb_values=$2 ;;
        *) usage ;;
    esac
    [[ "$2" =~ ^[0-9]+$ ]] || usage
    shift 2
done

bash "$MQ_ROOT/test/deps.sh"
mq_build_and_install
mq_install_test_extension
command -v sqlsmith >/dev/null || mq_die "sqlsmith is not installed: apt-get install sqlsmith"

work=$(mktemp -d /tmp/multiquery-fuzz.XXXXXX)
tar -C "$MQ_ROOT" --exclude=./build --exclude=./.git --exclude=./tmp_check --exclude=./results \
    -cf - . | tar -C "$work" -xf -
mq_is_root && chown -R "$MQ_RUN_USER" "$work"

# One prove run for both: each installcheck starts by removing tmp_check.
tests=()
if [ "$queries" -gt 0 ]; then
    mq_step "fuzzing raced tables: $queries queries, at most ${seconds}s, seed $seed"
    tests+=(test/t/430_raced_tables_fuzz.pl)
fi
if [ "$jsonb_values" -gt 0 ]; then
    mq_step "then the drain's jsonb images against jsonb_in: $jsonb_values values, seed $seed"
    tests+=(test/t/219_queue_jsonb_image.pl)
fi
[ ${#tests[@]} -gt 0 ] || mq_die "nothing to run: --queries and --jsonb-values are both 0"
status=0
mq_as_run_user env MQ_FUZZ_QUERIES="$queries" MQ_FUZZ_SECONDS="$seconds" MQ_FUZZ_SEED="$seed" \
    MQ_FUZZ_TIMEOUT_MS="$timeout_ms" MQ_JSONB_VALUES="$jsonb_values" MQ_SEED="$seed" \
    make -C "$work" -s installcheck PG_CONFIG="$PG_CONFIG" REGRESS= \
    PROVE_TESTS="${tests[*]}" || status=$?
echo "logs: $work/tmp_check/log/ (again: $0 --queries $queries --seconds $seconds --seed $seed --timeout-ms $timeout_ms --jsonb-values $jsonb_values)"
exit "$status"
