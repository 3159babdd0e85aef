#!/usr/bin/env bash
# Every test: unit tests of the core, then pg_regress against the local
# primary + standby + Redis cluster, then the TAP tests (multi-node and faults).
# Installs missing Debian packages when run as root. Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Ports of their own, so the suite runs beside a demo cluster or a developer's.
export MQ_PRIMARY_PORT=${MQ_TEST_PRIMARY_PORT:-55442}
export MQ_STANDBY_PORT=${MQ_TEST_STANDBY_PORT:-55443}
export MQ_REDIS_PORT=${MQ_TEST_REDIS_PORT:-56389}

mq_step "checking Debian packages"
bash "$MQ_ROOT/test/deps.sh"

mq_step "building and installing the extension"
mq_build_and_install
mq_install_test_extension

mq_step "unit tests (core, GoogleTest)"
logs=$(mktemp -d /tmp/multiquery-logs.XXXXXX)
if [ "${MQ_SKIP_UNIT:-0}" = 1 ]; then echo "skipped (MQ_SKIP_UNIT=1)" | tee "$logs/unit"; else
    bash "$MQ_ROOT/test/run_unit.sh" | tee "$logs/unit"
fi

# The servers cannot run as root, and pg_regress and prove write next to the
# tests: run them from a copy of the tree that the server user owns.
work=$(mktemp -d /tmp/multiquery-test.XXXXXX)
export MQ_CLUSTER_DIR=$work/cluster
cleanup() {
    bash "$MQ_ROOT/test/cluster.sh" stop >/dev/null 2>&1 || true
    [ "${MQ_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
tar -C "$MQ_ROOT" --exclude=./build --exclude=./.git --exclude='./tmp_check' --exclude=./results \
    -cf - . | { mkdir -p "$work/tree" && tar -C "$work/tree" -xf -; }
mq_is_root && chown -R "$MQ_RUN_USER" "$work"

mq_step "starting the test cluster (primary :$MQ_PRIMARY_PORT, standby :$MQ_STANDBY_PORT, redis :$MQ_REDIS_PORT)"
bash "$MQ_ROOT/test/cluster.sh" start

mq_step "cluster script checks"
bash "$MQ_ROOT/test/cluster_test.sh" | tee "$logs/cluster"

mq_step "pg_regress and TAP tests"
# While developing, MQ_TAP_TESTS (a glob such as 'test/t/2*.pl') and
# MQ_REGRESS (names of sql/ files, possibly empty) run only those.
selection=()
[ -n "${MQ_TAP_TESTS:-}" ] && selection+=("PROVE_TESTS=$MQ_TAP_TESTS")
[ -n "${MQ_REGRESS+set}" ] && selection+=("REGRESS=$MQ_REGRESS")
status=0
mq_as_run_user make -C "$work/tree" installcheck PG_CONFIG="$PG_CONFIG" "${selection[@]}" \
    PGHOST=127.0.0.1 PGPORT="$MQ_PRIMARY_PORT" PGUSER="$(mq_server_user)" 2>&1 |
    tee "$logs/installcheck" || status=$?
if [ "$status" -ne 0 ]; then
    [ -f "$work/tree/regression.diffs" ] && cat "$work/tree/regression.diffs"
    # prove's summary names the failed scripts; show the end of each one's log.
    for name in $(sed -n 's|^test/t/\([^ ]*\)\.pl .*(Wstat.*|\1|p' "$logs/installcheck"); do
        log=$work/tree/tmp_check/log/regress_log_$name
        [ -f "$log" ] && { echo "--- $log"; tail -n 80 "$log"; }
    done
    mq_die "pg_regress or TAP tests failed"
fi
mq_step "stopping the test cluster"
bash "$MQ_ROOT/test/cluster.sh" stop
! pgrep -f -- "$MQ_CLUSTER_DIR" >/dev/null || mq_die "processes of the test cluster outlived cluster.sh stop"
echo "ok - no process of the test cluster is left"

if [ "${MQ_SKIP_PACKAGE:-0}" = 1 ]; then
    echo "package checks: 0 passed, 0 failed (skipped: MQ_SKIP_PACKAGE=1)" | tee "$logs/package"
else
    mq_step "the Debian package: build, install, CREATE EXTENSION"
    bash "$MQ_ROOT/test/package_test.sh" | tee "$logs/package"
fi

# One closing line for the whole suite, counted from each runner's own summary.
unit=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$logs/unit")
regress=$(sed -n 's/.*All \([0-9]*\) tests passed.*/\1/p' "$logs/installcheck")
tap=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$logs/installcheck")
cluster=$(sed -n 's/^cluster checks: \([0-9]*\) passed.*/\1/p' "$logs/cluster")
package=$(sed -n 's/^package checks: \([0-9]*\) passed.*/\1/p' "$logs/package")
mq_step "unit ${unit:-0}, cluster ${cluster:-0}, pg_regress ${regress:-0}, TAP ${tap:-0}, package ${package:-0}"
echo "tests: $(( ${unit:-0} + ${cluster:-0} + ${regress:-0} + ${tap:-0} + ${package:-0} )) passed, 0 failed"
