#!/usr/bin/env bash
# Racing from the application's replica, with the primary saturated by batch
# work. A primary and two streaming standbys; the primary, its postmaster's
# every process and the load (pgbench with 4 write clients, and a CPU-bound
# query repeated) on CPU 0; both standbys and the measuring client on CPU 1.
# Primary-key lookups, 1 client, no hedging, side by side in interleaved
# rounds, healthy and then under the load:
#   race on standby   race_query called on standby 1 over {primary, standby 1, standby 2}
#   race on primary   the same race called on the primary
#   dblink standby    dblink from standby 1 to itself (one persistent connection)
#   direct standby    the lookup sent straight to standby 1 by the client
#   race on standby, 2 targets   the race on standby 1 over {primary, standby 1}
#                     (a diagnosis: standby 2 shares CPU 1 here)
# and, healthy, the two races on a second cluster built the same way with
# the previous release (PREV_PG_CONFIG: a PostgreSQL with it installed), so
# that the healthy race of this build is compared with the previous one's
# in the same run. Prints the tables; writes bench/results/<ts>-standby-race/.
#   bash bench/standby_race.sh [--no-build]                    (as root)
#   PREV_PG_CONFIG=/path/to/pg_config CALLS=3000 ROUNDS=5 PORT_BASE=55862 bash bench/standby_race.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

BUILD=1
[[ ${1:-} == --no-build ]] && BUILD=0
mq_is_root || die "run as root: the servers run as $MQ_RUN_USER and are pinned to CPUs"
(( $(nproc) >= 2 )) || die "needs 2 CPUs (the primary and its load on one, the standbys on the other)"
CALLS=${CALLS:-3000} ROUNDS=${ROUNDS:-5} DOC_ROWS=${DOC_ROWS:-20000} LOAD_SCALE=${LOAD_SCALE:-1}
PORT_BASE=${PORT_BASE:-55862}
PREV_PG_CONFIG=${PREV_PG_CONFIG:-}
RUN_DIR="$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)-standby-race"
WORK=${STANDBY_BENCH_DIR:-/tmp/bench-standby-race}
mkdir -p "$RUN_DIR/raw"
TARGETS='{bench_primary,bench_standby1,bench_standby2}'
as_pg() { runuser -u "$MQ_RUN_USER" -- "$@"; }

# Every cluster and load process this script started, stopped on any exit.
LOAD_GROUPS=()
cleanup() {
    local rc=$? pgid dir
    trap - EXIT INT TERM
    for pgid in "${LOAD_GROUPS[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null || true; done
    for dir in "$WORK"/*/standby2 "$WORK"/*/standby1 "$WORK"/*/primary; do
        [[ -f "$dir/postmaster.pid" ]] && as_pg "$(bindir_of "$dir")/pg_ctl" stop -D "$dir" -m immediate >/dev/null 2>&1 || true
    done
    exit "$rc"
}
# The pg_ctl of the installation a data directory was made with.
bindir_of() { cat "$1/../bindir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# node_port CLUSTER NODE: CLUSTER 0 (this build) or 1 (previous), NODE 0-2.
node_port() { echo $((PORT_BASE + 3 * $1 + $2)); }

# make_cluster DIR PG_CONFIG PORT0: a primary with the bench database, the
# read methods' objects and the race targets, and two standbys of it.
make_cluster() {
    local dir=$1 pgc=$2 port=$3 bindir i
    bindir=$("$pgc" --bindir)
    rm -rf "$dir"; mkdir -p "$dir"; echo "$bindir" >"$dir/bindir"; chown -R "$MQ_RUN_USER:" "$dir"
    as_pg "$bindir/initdb" -D "$dir/primary" -U "$DB_USER" -A trust --no-sync >"$dir/initdb.log"
    cat >>"$dir/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_preload_libraries = 'multiquery'
max_connections = 200
shared_buffers = 256MB
wal_level = replica
max_wal_senders = 10
hot_standby_feedback = on
fsync = off
CONF
    echo "host replication all 127.0.0.1/32 trust" >>"$dir/primary/pg_hba.conf"
    as_pg "$bindir/pg_ctl" start -D "$dir/primary" -l "$dir/primary.log" -w >/dev/null
    PGDATABASE_BENCH=postgres psql_at "$port" -c "CREATE DATABASE $BENCH_DB"
    psql_at "$port" -v rows="$DOC_ROWS" -f "$BENCH_DIR/sql/schema.sql"
    # dblink's conninfo is standby 1's: called on standby 1, it reads itself.
    psql_at "$port" -v standby_port="$((port + 1))" -v fdw_options="-c statement_timeout=$CALL_DEADLINE_MS" \
        -v standby_conninfo="host=127.0.0.1 port=$((port + 1)) dbname=$BENCH_DB user=$DB_USER connect_timeout=2 options=-cstatement_timeout=$CALL_DEADLINE_MS" \
        -f "$BENCH_DIR/sql/methods.sql"
    psql_at "$port" -c "CREATE EXTENSION multiquery"
    for i in 0 1 2; do
        local name=bench_standby$i
        (( i == 0 )) && name=bench_primary
        psql_at "$port" -c "CREATE SERVER $name FOREIGN DATA WRAPPER multiquery
                OPTIONS (host '127.0.0.1', port '$((port + i))', dbname '$BENCH_DB')" \
            -c "CREATE USER MAPPING FOR CURRENT_USER SERVER $name"
    done
    pgbench -i -q -s "$LOAD_SCALE" -h 127.0.0.1 -p "$port" -U "$DB_USER" "$BENCH_DB" >"$dir/pgbench-init.log" 2>&1
    psql_at "$port" -c CHECKPOINT
    for i in 1 2; do
        as_pg "$bindir/pg_basebackup" -h 127.0.0.1 -p "$port" -U "$DB_USER" -D "$dir/standby$i" \
            -R -X stream -C -S "standby$i" -c fast --no-sync >"$dir/basebackup$i.log" 2>&1
        echo "port = $((port + i))" >>"$dir/standby$i/postgresql.conf"
        as_pg "$bindir/pg_ctl" start -D "$dir/standby$i" -l "$dir/standby$i.log" -w >/dev/null
    done
    for i in 1 2; do
        wait_for 120 "standby $i to catch up" caught_up "$port" $((port + i)) || die "standby $i did not catch up"
        psql_at $((port + i)) -c "SELECT count(*) FROM docs" >/dev/null   # a warm cache, as the primary's
    done
}
caught_up() {
    local lsn
    lsn=$(val "$1" "SELECT pg_current_wal_lsn()") || return 1
    [[ $(val "$2" "SELECT pg_last_wal_replay_lsn() >= '$lsn'") == t ]]
}

# pin DIR NODE CPU: a server's postmaster and every process it has started
# (and will start: children inherit it) kept on CPU.
pin() {
    local pm pid
    pm=$(head -n 1 "$1/$2/postmaster.pid")
    for pid in "$pm" $(pgrep -P "$pm"); do taskset -a -p -c "$3" "$pid" >/dev/null; done
}
pin_cluster() {
    pin "$1" primary 0; pin "$1" standby1 1; pin "$1" standby2 1
}

# The batch work: pgbench writing with 4 clients and a CPU-bound query, both
# on CPU 0 with the primary, until stopped.
start_load() {
    local port=$1 cpu="SELECT count(*) FROM generate_series(1, 5000000) g WHERE md5(g::text) < '8'"
    setsid taskset -c 0 pgbench -n -c 4 -j 1 -T 3600 -h 127.0.0.1 -p "$port" -U "$DB_USER" "$BENCH_DB" \
        >"$RUN_DIR/load-pgbench.log" 2>&1 </dev/null &
    LOAD_GROUPS+=($!)
    setsid taskset -c 0 bash -c 'while :; do psql -X -q -h 127.0.0.1 -p "$1" -U "$2" -d "$3" -c "$4" >/dev/null || sleep 1; done' \
        _ "$port" "$DB_USER" "$BENCH_DB" "$cpu" >"$RUN_DIR/load-query.log" 2>&1 </dev/null &
    LOAD_GROUPS+=($!)
    sleep 3     # the load ramps up
}
stop_load() {
    local pgid
    for pgid in "${LOAD_GROUPS[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null || true; done
    LOAD_GROUPS=()
    val "$1" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
        WHERE application_name IN ('pgbench', 'psql') AND pid <> pg_backend_pid()" >/dev/null || true
}

cat >"$RUN_DIR/race_pk.sql" <<SQL
\\set id random(1, :rows)
SELECT * FROM multiquery.race_query('$TARGETS',
    'SELECT id, title, body FROM docs WHERE id = \$1', ARRAY[:id::text], :deadline)
    AS t(id int, title text, body text);
SQL

# The same race without standby 2: on this host standby 2 shares CPU 1 with
# standby 1 and the racing backend, which separate machines would not.
sed 's/,bench_standby2//' "$RUN_DIR/race_pk.sql" >"$RUN_DIR/race2_pk.sql"

# measure NAME STATE ROUND PORT SCRIPT: CALLS lookups from one client on CPU
# 1; each call's latency, and for a race the wins per target it recorded.
measure() {
    local name=$1 state=$2 round=$3 port=$4 script=$5
    local out="$RUN_DIR/raw/${name// /_}_${state}_r$round"
    mkdir -p "$out"
    printf '%s\n%s\n%s\n' "$name" "$state" "$round" >"$out/meta"
    [[ $name == race* ]] && val "$port" "SELECT multiquery.race_stats_reset()" >/dev/null
    PGOPTIONS="-c statement_timeout=$CALL_DEADLINE_MS" taskset -c 1 pgbench -n -M extended -c 1 -j 1 -t "$CALLS" \
        -h 127.0.0.1 -p "$port" -U "$DB_USER" -D rows="$DOC_ROWS" -D deadline="$CALL_DEADLINE_MS" \
        -f "$script" -l --log-prefix="$out/txn" "$BENCH_DB" >"$out/pgbench.out" 2>&1 || true
    if [[ $name == race* ]]; then
        val "$port" "SELECT target, wins FROM multiquery.race_stats ORDER BY target" >"$out/wins"
    fi
    log "$name, $state, round $round: $(grep -E '^(tps|latency average)' "$out/pgbench.out" | head -n 2 | tr '\n' ' ')"
}

# methods STATE ROUND: this build's methods, in an order that turns
# with the round so that none always runs first after a switch.
methods() {
    local state=$1 round=$2 i
    local -a all=(race_standby race_primary dblink direct race_standby_two)
    for i in 0 1 2 3 4; do
        case ${all[$(( (i + round) % 5 ))]} in
            race_standby) measure "race on standby" "$state" "$round" "$(node_port 0 1)" "$RUN_DIR/race_pk.sql" ;;
            race_standby_two) measure "race on standby, 2 targets" "$state" "$round" "$(node_port 0 1)" "$RUN_DIR/race2_pk.sql" ;;
            race_primary) measure "race on primary" "$state" "$round" "$(node_port 0 0)" "$RUN_DIR/race_pk.sql" ;;
            dblink) measure "dblink standby" "$state" "$round" "$(node_port 0 1)" "$BENCH_DIR/sql/dblink_pk.sql" ;;
            direct) measure "direct standby" "$state" "$round" "$(node_port 0 1)" "$BENCH_DIR/sql/plain_pk.sql" ;;
        esac
    done
}

if (( BUILD )); then
    log "building and installing this tree into $PG_CONFIG"
    mq_build_and_install >"$RUN_DIR/build.log" 2>&1 || { tail -n 30 "$RUN_DIR/build.log" >&2; die "build failed"; }
fi
log "starting the clusters under $WORK"
make_cluster "$WORK/this" "$PG_CONFIG" "$(node_port 0 0)"
pin_cluster "$WORK/this"
if [[ -n $PREV_PG_CONFIG ]]; then
    make_cluster "$WORK/prev" "$PREV_PG_CONFIG" "$(node_port 1 0)"
    pin_cluster "$WORK/prev"
fi
{
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM"
    echo "- PostgreSQL $(postgres --version | sed 's/postgres (PostgreSQL) //'): a primary and two streaming standbys over loopback TCP, fsync off"
    echo "- CPU 0: the primary and the load (pgbench -c 4 writes, scale $LOAD_SCALE; a CPU-bound query repeated); CPU 1: both standbys and the measuring pgbench"
    echo "- multiquery: git $(git -C "$MQ_ROOT" rev-parse --short HEAD)$(git -C "$MQ_ROOT" diff --quiet || echo ', modified')"
    echo "- previous release: ${PREV_PG_CONFIG:-not measured} $( [[ -n $PREV_PG_CONFIG ]] && val "$(node_port 1 0)" 'SELECT multiquery.version()')"
    echo "- docs $DOC_ROWS rows; $ROUNDS interleaved rounds of $CALLS calls per method; 1 client, pgbench -M extended; no hedging"
} >"$RUN_DIR/environment.md"

for round in $(seq 1 "$ROUNDS"); do
    methods healthy "$round"
    if [[ -n $PREV_PG_CONFIG ]]; then
        if (( round % 2 )); then order=(prev this); else order=(this prev); fi
        for build in "${order[@]}"; do
            c=0; [[ $build == prev ]] && c=1
            measure "race on standby, $build" healthy "$round" "$(node_port $c 1)" "$RUN_DIR/race_pk.sql"
            measure "race on primary, $build" healthy "$round" "$(node_port $c 0)" "$RUN_DIR/race_pk.sql"
        done
    fi
done
if [[ -n $PREV_PG_CONFIG ]]; then
    for node in standby2 standby1 primary; do as_pg "$(bindir_of "$WORK/prev/$node")/pg_ctl" stop -D "$WORK/prev/$node" -m fast >/dev/null; done
fi
start_load "$(node_port 0 0)"
for round in $(seq 1 "$ROUNDS"); do
    methods loaded "$round"
done
stop_load "$(node_port 0 0)"
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RUN_DIR/environment.md"
tail -n 3 "$RUN_DIR/load-pgbench.log" | sed 's/^/  load pgbench: /' >>"$RUN_DIR/environment.md" || true

"$PY" "$BENCH_DIR/standby_race.py" "$RUN_DIR" >"$RUN_DIR/results.md"
cat "$RUN_DIR/environment.md"; echo; cat "$RUN_DIR/results.md"
