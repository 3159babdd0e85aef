#!/usr/bin/env bash
# The multiquery benchmark (issue 6), everything in one run on a local
# primary + standby + Redis: read latency of race_query against direct libpq,
# dblink, postgres_fdw and pgpool-II in five scenarios, the share of race wins
# over a scenario switch, and the write-queue drain against COPY and a naive
# daemon. Writes bench/results/<timestamp>/ and prints a markdown table.
#   bash bench/run.sh [--quick] [--no-drain] [--no-reads] [--drain-only] [--keep-cluster]
# --drain-only: for iterating on the drain worker; no reads, and of the drain
# only COPY, the worker from a backlog and with poison, then COPY again (the
# machine is shared and noisy: the ratios are to the mean of both COPYs).
# DRAIN_ROWS_OVERRIDE=N in the environment sets the number of events.
# DRAIN_ROUNDS=N (with --drain-only) adds N rounds of COPY, backlog and poison,
# each ratio taken within its round, and their median (issue 12).
# Run as root (it installs Debian packages; the servers run as postgres).
# Bounded: every load, fault and client has a time cap, and the trap below
# undoes every fault and stops every process it started, on any exit.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
for part in setup pgpool scenarios reads wins cpu drain; do source "$BENCH_DIR/lib/$part.sh"; done

QUICK=0 DO_READS=1 DO_DRAIN=1 KEEP=0 DRAIN_ONLY=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        --no-drain) DO_DRAIN=0 ;;
        --no-reads) DO_READS=0 ;;
        --drain-only) DRAIN_ONLY=1 DO_READS=0 ;;
        --keep-cluster) KEEP=1 ;;
        *) die "usage: bash bench/run.sh [--quick] [--no-drain] [--no-reads] [--drain-only] [--keep-cluster]" ;;
    esac
done
mq_is_root || die "run me as root: I install Debian packages and run the servers and pgpool as $MQ_RUN_USER"

# Sizes: the full run makes >= 10k calls per configuration and drains 1M rows.
if (( QUICK )); then
    DOC_ROWS=20000 CALLS=600 LOAD_SCALE=2 DRAIN_ROWS=50000 NAIVE_CAP_S=10 DRAIN_CAP_S=120 DRAIN_THROTTLE=2000 WINS_S=15 RUN_CAP_S=30 SETTLE_S=4
else
    DOC_ROWS=100000 CALLS=10000 LOAD_SCALE=10 DRAIN_ROWS=1000000 NAIVE_CAP_S=60 DRAIN_CAP_S=600 DRAIN_THROTTLE=20000 WINS_S=60 RUN_CAP_S=120 SETTLE_S=4
fi
DRAIN_ROWS=${DRAIN_ROWS_OVERRIDE:-$DRAIN_ROWS}
LOAD_CAP_S=$((RUN_CAP_S * 20))
CLIENTS=(1 8)

RUN_DIR="$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)$( ((QUICK)) && echo -quick || true)"
mkdir -p "$RUN_DIR"
CLUSTER_STARTED=0 INCOMPLETE=()

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    log "cleaning up"
    cleanup_scenarios || true
    stop_drain_processes || true
    stop_pgpool || true
    if (( CLUSTER_STARTED && ! KEEP )); then bash "$MQ_ROOT/test/cluster.sh" stop >/dev/null 2>&1 || true; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# record_environment: machine, versions and settings, for results and BENCHMARKS.md.
record_environment() {
    {
        echo "## Machine, versions, settings"
        echo
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, kernel $(uname -r)"
        echo "- PostgreSQL: $(postgres --version | sed 's/postgres (PostgreSQL) //') (primary + pg_basebackup streaming standby, same machine, loopback TCP)"
        echo "- pgpool-II: $(pgpool --version 2>&1 | head -n 1)"
        echo "- Redis: $(redis-server --version | awk '{print $3}' | sed 's/v=//')"
        echo "- multiquery: $(val "$MQ_PRIMARY_PORT" "select multiquery.version()") (git $(git -C "$MQ_ROOT" rev-parse --short HEAD)$(git -C "$MQ_ROOT" diff --quiet || echo ', modified'))"
        echo "- data: docs $DOC_ROWS rows; pgbench scale $LOAD_SCALE for the load; calls per configuration $CALLS; deadline per call ${CALL_DEADLINE_MS} ms"
        echo "- server settings: $(val "$MQ_PRIMARY_PORT" "select string_agg(name || '=' || current_setting(name), ', ' order by name)
              from pg_settings where name in ('shared_buffers', 'max_connections', 'fsync', 'synchronous_commit',
              'max_standby_streaming_delay', 'hot_standby_feedback', 'work_mem', 'jit') or name like 'multiquery.%'")"
        echo "- mode: $( ((QUICK)) && echo 'quick (development only, too few calls for honest tails)' || echo full)"
    } >"$RUN_DIR/environment.md"
}

# run_reads: every scenario, query, client count and method.
run_reads() {
    local scenario query clients method
    for scenario in "${SCENARIOS[@]}"; do
        log "scenario $scenario"
        start_pgpool
        if ! apply_scenario "$scenario"; then
            log "could not enter scenario $scenario; skipping it"
            clear_scenario "$scenario" || die "could not bring the cluster back after $scenario"
            continue
        fi
        for query in "${QUERIES[@]}"; do
            for clients in "${CLIENTS[@]}"; do
                for method in "${METHODS[@]}"; do
                    run_read "$method" "$query" "$clients" "$scenario"
                done
            done
        done
        clear_scenario "$scenario" || die "could not bring the cluster back after $scenario"
        stop_pgpool
    done
}

log "results go to $RUN_DIR"
install_deps
log "building and installing the extension into $("$PG_CONFIG" --pkglibdir)"
mq_build_and_install >"$RUN_DIR/build.log" 2>&1 || { tail -n 30 "$RUN_DIR/build.log" >&2; die "build failed"; }
log "starting the cluster (primary :$MQ_PRIMARY_PORT, standby :$MQ_STANDBY_PORT, redis :$MQ_REDIS_PORT)"
start_cluster
log "loading data"
load_data "$DOC_ROWS"
write_pgpool_conf
record_environment

if (( DO_READS )); then
    run_reads
    run_wins_switch || true
fi
(( DO_DRAIN )) && run_drain

log "summarizing"
cp "$PGPOOL_DIR/pgpool.conf" "$RUN_DIR/pgpool.conf" 2>/dev/null || true
"$PY" "$BENCH_DIR/summarize.py" "$RUN_DIR" >/dev/null
bash "$BENCH_DIR/plot.sh" "$RUN_DIR" || log "plotting failed (see above); the tables are complete"
cat "$RUN_DIR/environment.md"; echo; cat "$RUN_DIR/results.md"
race_available || INCOMPLETE+=("$RACE_MISSING")
raced_tables_available || INCOMPLETE+=("$RACED_TABLES_MISSING")
(( DO_DRAIN )) && ! drain_available && INCOMPLETE+=("$DRAIN_MISSING")
if (( ${#INCOMPLETE[@]} )); then
    printf '\nbench: incomplete: %s\n' "${INCOMPLETE[@]}" >&2
    log "results in $RUN_DIR"
    exit 3
fi
log "results in $RUN_DIR"
