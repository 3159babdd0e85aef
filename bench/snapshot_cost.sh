#!/usr/bin/env bash
# What one snapshot per statement costs a raced read: pgbench against a local
# primary + standby, a primary-key read of a raced table (one raced scan per
# statement) and a lookup of one raced table by another's row (two), with
# multiquery.race_snapshot = 'statement' (the default) and 'scan' (every
# scan its own race). The cluster comes from test/cluster.sh, with the
# multiquery library that PG_CONFIG's server has installed; run it once per
# build to compare builds. Prints one line per configuration: tps and mean
# latency. Run as root (the servers run as postgres).
#   bash bench/snapshot_cost.sh [seconds per run, default 15] [clients, default 1]
# MODES='default' runs with the server's defaults only (a build without the
# setting); ROUNDS (default 2) repeats every configuration.
set -euo pipefail
source "$(dirname "$0")/../test/lib.sh"
SECONDS_PER_RUN=${1:-15}
CLIENTS=${2:-1}
export MQ_PRIMARY_PORT=${MQ_PRIMARY_PORT:-55632} MQ_STANDBY_PORT=${MQ_STANDBY_PORT:-55633}
export MQ_REDIS_PORT=${MQ_REDIS_PORT:-55634}
export MQ_CLUSTER_DIR=${MQ_CLUSTER_DIR:-/tmp/multiquery-snapshot-bench}
bin=$("$PG_CONFIG" --bindir)
work=$(mktemp -d /tmp/multiquery-snapshot-bench-scripts.XXXXXX)
cleanup() { bash "$MQ_ROOT/test/cluster.sh" stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
bash "$MQ_ROOT/test/cluster.sh" start >/dev/null
psql_primary() { mq_as_run_user "$bin/psql" -X -q -h 127.0.0.1 -p "$MQ_PRIMARY_PORT" -U postgres -d postgres "$@"; }
psql_primary -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION IF NOT EXISTS multiquery;
CREATE TABLE bench_docs (id int PRIMARY KEY, title text);
INSERT INTO bench_docs SELECT g, 'title ' || g FROM generate_series(1, 100000) g;
CREATE TABLE bench_owners (doc int PRIMARY KEY, owner text);
INSERT INTO bench_owners SELECT g, 'owner ' || g FROM generate_series(1, 100000) g;
CREATE SERVER bench_primary FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port '$MQ_PRIMARY_PORT', dbname 'postgres');
CREATE SERVER bench_replica FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port '$MQ_STANDBY_PORT', dbname 'postgres');
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_primary;
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_replica;
CREATE SERVER bench_reads FOREIGN DATA WRAPPER multiquery
    OPTIONS (targets 'bench_primary, bench_replica');
CREATE SCHEMA bench_raced;
CREATE FOREIGN TABLE bench_raced.docs (id int, title text) SERVER bench_reads
    OPTIONS (schema_name 'public', table_name 'bench_docs');
CREATE FOREIGN TABLE bench_raced.owners (doc int, owner text) SERVER bench_reads
    OPTIONS (schema_name 'public', table_name 'bench_owners');
SQL
until [ "$(psql_primary -tA -c "SELECT count(*) FROM pg_stat_replication WHERE replay_lsn >= pg_current_wal_lsn()")" = 1 ]; do sleep 0.2; done
cat >"$work/pk.sql" <<'SQL'
\set id random(1, 100000)
SELECT title FROM bench_raced.docs WHERE id = :id;
SQL
cat >"$work/join.sql" <<'SQL'
\set id random(1, 100000)
SELECT d.title, o.owner FROM bench_raced.docs d,
 LATERAL (SELECT owner FROM bench_raced.owners o WHERE o.doc = d.id OFFSET 0) o
 WHERE d.id = :id;
SQL
chmod -R a+rX "$work"
# CPU ticks spent by both servers' processes so far, the ones that exited
# included (a postmaster's cutime and cstime count its reaped children): on a
# shared machine the CPU a call costs is steadier than its latency.
server_ticks() {
    local total=0 dir pm pid fields
    for dir in "$MQ_CLUSTER_DIR/primary" "$MQ_CLUSTER_DIR/standby"; do
        pm=$(head -1 "$dir/postmaster.pid")
        for pid in "$pm" $(pgrep -P "$pm"); do
            fields=($(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null)) || continue
            (( ${#fields[@]} > 14 )) || continue
            total=$(( total + fields[11] + fields[12] ))
            [ "$pid" = "$pm" ] && total=$(( total + fields[13] + fields[14] ))
        done
    done
    echo "$total"
}
TICK=$(getconf CLK_TCK)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "${ROUNDS:-2}"); do
    for script in pk join; do
        modes=(${MODES:-statement scan})
        # Every other round in the other order: the machine's load drifts.
        (( round % 2 )) || modes=($(printf '%s\n' "${modes[@]}" | tac))
        for mode in "${modes[@]}"; do
            options=""
            [ "$mode" = default ] || options="-c multiquery.race_snapshot=$mode"
            before=$(server_ticks)
            out=$(mq_as_run_user env PGOPTIONS="$options" "$bin/pgbench" -n \
                -h 127.0.0.1 -p "$MQ_PRIMARY_PORT" -U postgres -c "$CLIENTS" -T "$SECONDS_PER_RUN" \
                -f "$work/$script.sql" postgres 2>&1) || { echo "$out"; exit 1; }
            sleep 0.5  # the backends' exits reaped
            ticks=$(( $(server_ticks) - before ))
            tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
            lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
            done_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
            cpu_us=$(( ticks * 1000000 / TICK / (done_tx > 0 ? done_tx : 1) ))
            echo "round $round  $script  race_snapshot=$mode  clients=$CLIENTS  tps=$tps  latency_ms=$lat  server_cpu_us_per_tx=$cpu_us"
        done
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
