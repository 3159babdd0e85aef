#!/usr/bin/env bash
# Checks test/cluster.sh's promises on the running test cluster: a second
# start on the same ports fails fast with a clear message (and harms nothing),
# and status sees all three servers. run_all.sh calls it; it prints one line
# per check and "cluster checks: N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
check() {  # check DESCRIPTION COMMAND...: one line per check
    local what=$1; shift
    if "$@"; then echo "ok - $what"; passed=$((passed + 1)); else echo "not ok - $what"; failed=$((failed + 1)); fi
}

all_running() { bash "$here/cluster.sh" status >/dev/null; }

check "status reports primary, standby and redis running" all_running

output=$(MQ_CLUSTER_DIR="$MQ_CLUSTER_DIR.second" timeout 20 bash "$here/cluster.sh" start 2>&1)
rc=$?
check "a second start on the same ports fails" test "$rc" -ne 0 -a "$rc" -ne 124
check "and says the port is in use" grep -q "port $MQ_PRIMARY_PORT is already in use" <<<"$output"
check "and leaves no directory behind" test ! -e "$MQ_CLUSTER_DIR.second"
check "and the first cluster still runs" all_running

output=$(MQ_CLUSTER_DIR="$MQ_CLUSTER_DIR.elsewhere" bash "$here/cluster.sh" stop 2>&1)
rc=$?
check "a stop with another MQ_CLUSTER_DIR while the ports are busy fails" test "$rc" -ne 0
check "and says the ports are in use" grep -q "are in use" <<<"$output"
check "and the cluster still runs" all_running

echo "cluster checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
