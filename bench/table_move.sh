#!/usr/bin/env bash
# The table move benchmark: table_diff and table_sync against the full copy
# they replace, in one run, on a primary and a streaming standby of their own.
#   bash bench/table_move.sh [ROWS]        (as root; ROWS defaults to 1000000)
# Prints the figures and writes them to bench/results/<timestamp>-table-move/.
# Environment: PG_CONFIG (the server to use), BENCH_PORT (primary; the
# standby takes the next port; default 55613), BENCH_DIR_OUT (work directory).
#
# The source table lives in database olddb, read through a postgres_fdw
# server over TCP; the target in database app. Measured, in this order:
#   copy        INSERT INTO <empty copy> SELECT * FROM <foreign table>: the reference,
#               timed first and last (the ratios are to the mean of the two)
#   sync        CALL table_sync from an empty target, no limits
#   diff        table_diff with 0.1% of the rows differing (missing, extra, changed),
#               and the source rows it fetched
#   lag         with drain_replica_lag_limit set and the standby's replay paused,
#               rows the sync writes before replay resumes
#   reads p99   racing reads (primary + standby) idle, then during a sync throttled
#               to half the unthrottled rate
#   equal       table_diff rows and EXCEPT both ways afterwards
set -euo pipefail

ROWS=${1:-1000000}
PG_CONFIG=${PG_CONFIG:-pg_config}
BIN=$("$PG_CONFIG" --bindir)
PORT=${BENCH_PORT:-55613}
STANDBY_PORT=$((PORT + 1))
OUT=${BENCH_DIR_OUT:-/tmp/multiquery-table-move-bench}
RUN_DIR="$(cd "$(dirname "$0")" && pwd)/results/$(date +%Y%m%d-%H%M%S)-table-move"
RUN_USER=${MQ_RUN_USER:-postgres}

as_user() { if [ "$(id -u)" = 0 ]; then runuser -u "$RUN_USER" -- "$@"; else "$@"; fi; }
psql_at() { local port=$1 db=$2; shift 2; as_user "$BIN/psql" -X -q -At -h 127.0.0.1 -p "$port" -d "$db" -v ON_ERROR_STOP=1 "$@"; }
# Seconds a statement takes, as psql's \timing reports it.
timed() {
    local db=$1 sql=$2
    psql_at "$PORT" "$db" -c '\timing on' -c "$sql" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1 |
        awk '{printf "%.2f", $1 / 1000}'
}

cleanup() {
    as_user "$BIN/pg_ctl" -D "$OUT/standby" -m immediate stop >/dev/null 2>&1 || true
    as_user "$BIN/pg_ctl" -D "$OUT/primary" -m immediate stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$OUT" && mkdir -p "$OUT" && chown "$RUN_USER" "$OUT"
as_user "$BIN/initdb" -D "$OUT/primary" -A trust >/dev/null
cat >>"$OUT/primary/postgresql.conf" <<EOF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$OUT'
shared_preload_libraries = 'multiquery'
shared_buffers = 256MB
max_wal_size = 4GB
EOF
echo "host replication all 127.0.0.1/32 trust" >>"$OUT/primary/pg_hba.conf"
as_user "$BIN/pg_ctl" -D "$OUT/primary" -l "$OUT/primary.log" -w start >/dev/null
as_user "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -D "$OUT/standby" -R -X stream >/dev/null
echo "port = $STANDBY_PORT" >>"$OUT/standby/postgresql.conf"
as_user "$BIN/pg_ctl" -D "$OUT/standby" -l "$OUT/standby.log" -w start >/dev/null

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
echo "machine: $(nproc) cores, load average at start: $LOAD_START"
psql_at "$PORT" postgres -c "CREATE DATABASE olddb" -c "CREATE DATABASE app"
psql_at "$PORT" olddb <<SQL
CREATE TABLE sessions (
    id bigint PRIMARY KEY, user_id int NOT NULL, token uuid NOT NULL,
    created_at timestamptz NOT NULL, last_seen timestamptz, ip inet,
    user_agent text, data jsonb);
INSERT INTO sessions
SELECT g, g % 50000, md5(g::text)::uuid, '2024-01-01'::timestamptz + g * interval '1 second',
       '2024-06-01'::timestamptz + (g % 86400) * interval '1 second',
       ('10.' || g % 256 || '.' || (g / 256) % 256 || '.1')::inet,
       'Mozilla/5.0 (X11; Linux x86_64) build ' || g % 1000,
       jsonb_build_object('theme', CASE WHEN g % 3 = 0 THEN 'dark' ELSE 'light' END, 'visits', g % 97)
  FROM generate_series(1, $ROWS) g;
VACUUM ANALYZE sessions;
SQL
psql_at "$PORT" app <<SQL
CREATE EXTENSION multiquery;
CREATE EXTENSION postgres_fdw;
CREATE SERVER old_srv FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '127.0.0.1', port '$PORT', dbname 'olddb', fetch_size '10000');
CREATE USER MAPPING FOR CURRENT_USER SERVER old_srv;
CREATE SCHEMA old_db;
IMPORT FOREIGN SCHEMA public LIMIT TO (sessions) FROM SERVER old_srv INTO old_db;
CREATE TABLE copy_ref (LIKE old_db.sessions, PRIMARY KEY (id));
CREATE TABLE sessions (LIKE old_db.sessions, PRIMARY KEY (id));
-- racing reads for the p99: a raced table over the primary and the standby
CREATE SERVER app_primary FOREIGN DATA WRAPPER multiquery OPTIONS (host '127.0.0.1', port '$PORT', dbname 'olddb');
CREATE SERVER app_standby FOREIGN DATA WRAPPER multiquery OPTIONS (host '127.0.0.1', port '$STANDBY_PORT', dbname 'olddb');
CREATE USER MAPPING FOR CURRENT_USER SERVER app_primary;
CREATE USER MAPPING FOR CURRENT_USER SERVER app_standby;
CREATE SERVER app_reads FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'app_primary, app_standby');
CREATE SCHEMA raced;
CREATE FOREIGN TABLE raced.sessions (id bigint, user_id int, last_seen timestamptz)
    SERVER app_reads OPTIONS (schema_name 'public', table_name 'sessions');
SQL

copy1_s=$(timed app "INSERT INTO copy_ref SELECT * FROM old_db.sessions")
sync_s=$(timed app "CALL multiquery.table_sync('sessions', 'old_db.sessions')")

# 0.1% differ: a third changed, a third missing, a third extra.
made=$(psql_at "$PORT" app -c "SELECT count(*) FROM generate_series(1, $ROWS) g WHERE g % 3000 IN (1, 2, 3)")
psql_at "$PORT" app -c "
    UPDATE sessions SET last_seen = last_seen + interval '1 second' WHERE id % 3000 = 1;
    DELETE FROM sessions WHERE id % 3000 = 2;
    INSERT INTO sessions SELECT id + $ROWS * 10, user_id, token, created_at, last_seen, ip, user_agent, data
      FROM sessions WHERE id % 3000 = 3;"
diff_log=$(psql_at "$PORT" app -c "SET client_min_messages = debug1" -c '\timing on' \
    -c "SELECT count(*) FROM multiquery.table_diff('sessions', 'old_db.sessions')" 2>&1)
diff_s=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$diff_log" | tail -1 | awk '{printf "%.2f", $1 / 1000}')
diff_found=$(grep -E '^[0-9]+$' <<<"$diff_log" | tail -1)
diff_fetched=$(sed -n 's/.*table_diff fetched \([0-9]*\) source rows in \([0-9]*\) of \([0-9]*\) ranges.*/\1 \2 \3/p' <<<"$diff_log")
read -r fetched ranges_fetched ranges_total <<<"$diff_fetched"
psql_at "$PORT" app -c "CALL multiquery.table_sync('sessions', 'old_db.sessions')"

# Replica lag pacing: replay paused, lag over the limit, a sync from empty.
psql_at "$PORT" app -c "ALTER SYSTEM SET multiquery.drain_replica_lag_limit = '1MB'" -c "SELECT pg_reload_conf()" >/dev/null
psql_at "$PORT" app -c "TRUNCATE sessions"
psql_at "$STANDBY_PORT" postgres -c "SELECT pg_wal_replay_pause()" >/dev/null
psql_at "$PORT" olddb -c "CREATE TABLE ballast AS SELECT repeat('x', 1000) FROM generate_series(1, 5000)"
psql_at "$PORT" app -c "CALL multiquery.table_sync('sessions', 'old_db.sessions')" >/dev/null &
sync_pid=$!
sleep 10
rows_while_paused=$(psql_at "$PORT" app -c "SELECT count(*) FROM sessions")
phase_while_paused=$(psql_at "$PORT" app -c "SELECT phase FROM multiquery.table_sync_progress")
psql_at "$STANDBY_PORT" postgres -c "SELECT pg_wal_replay_resume()" >/dev/null
wait "$sync_pid"
rows_after_resume=$(psql_at "$PORT" app -c "SELECT count(*) FROM sessions")
psql_at "$PORT" app -c "ALTER SYSTEM RESET multiquery.drain_replica_lag_limit" -c "SELECT pg_reload_conf()" >/dev/null

# Racing reads' p99, idle and during a sync at half the unthrottled rate.
cat >"$OUT/read.sql" <<EOF
\set id random(1, $ROWS)
SELECT id, user_id, last_seen FROM raced.sessions WHERE id = :id;
EOF
chown "$RUN_USER" "$OUT/read.sql"
p99() {  # p99 latency in ms of a 20-second pgbench run of racing reads
    local tag=$1
    (cd "$OUT" && as_user "$BIN/pgbench" -n -h 127.0.0.1 -p "$PORT" -c 2 -T 20 -f read.sql -l --log-prefix="$tag" app >/dev/null 2>&1)
    cat "$OUT/$tag".* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int(NR * 0.99)] / 1000}'
}
idle_p99=$(p99 idle)
rate=$(awk -v r="$ROWS" -v s="$sync_s" 'BEGIN {printf "%d", r / s / 2}')
psql_at "$PORT" app -c "TRUNCATE sessions"
psql_at "$PORT" app -c "CALL multiquery.table_sync('sessions', 'old_db.sessions', max_rows_per_sec => $rate)" >/dev/null &
sync_pid=$!
sleep 2
busy_p99=$(p99 busy)
kill -INT "$sync_pid" 2>/dev/null || true
psql_at "$PORT" app -c "SELECT pg_cancel_backend(pid) FROM multiquery.table_sync_progress" >/dev/null || true
wait "$sync_pid" 2>/dev/null || true
psql_at "$PORT" app -c "CALL multiquery.table_sync('sessions', 'old_db.sessions')"

left=$(psql_at "$PORT" app -c "SELECT count(*) FROM multiquery.table_diff('sessions', 'old_db.sessions')")
except=$(psql_at "$PORT" app -c "SELECT (SELECT count(*) FROM (TABLE sessions EXCEPT TABLE old_db.sessions) a) || '/' ||
    (SELECT count(*) FROM (TABLE old_db.sessions EXCEPT TABLE sessions) b)")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# The reference again, the machine's drift since the first: the ratios are
# to the mean of the two.
copy2_s=$(timed app "TRUNCATE copy_ref; INSERT INTO copy_ref SELECT * FROM old_db.sessions")
copy_s=$(awk -v a="$copy1_s" -v b="$copy2_s" 'BEGIN {printf "%.2f", (a + b) / 2}')
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average at end: $LOAD_END"
mkdir -p "$RUN_DIR"
tee "$RUN_DIR/results.md" <<EOF
# Table move: $ROWS rows, $(date -u '+%Y-%m-%d %H:%M UTC')

$(nproc) CPUs; load average at start $LOAD_START, at end $LOAD_END; multiquery $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?')

| measure ($ROWS rows) | figure | goal |
| --- | --- | --- |
| full copy (INSERT ... SELECT from the foreign table), first and last | ${copy1_s} s, ${copy2_s} s (mean ${copy_s} s) | the reference |
| table_sync from empty, no limits | ${sync_s} s = $(ratio "$sync_s" "$copy_s")x the copy | <= 1.5x |
| table_diff, 0.1% differing ($diff_found found of $made made) | ${diff_s} s = $(ratio "$diff_s" "$copy_s")x the copy | <= 1.0x |
| rows table_diff fetched from the source | $fetched ($(awk -v f="$fetched" -v r="$ROWS" 'BEGIN {printf "%.1f", 100 * f / r}')%), $ranges_fetched of $ranges_total ranges | <= 5% |
| replay paused, lag limit 1MB: rows written in 10 s | $rows_while_paused (phase: $phase_while_paused); $rows_after_resume after resume | 0 until resumed |
| racing reads p99, idle / during a sync at $rate rows/s | $idle_p99 ms / $busy_p99 ms = $(ratio "$busy_p99" "$idle_p99")x | <= 1.5x |
| afterwards: table_diff rows, EXCEPT both ways | $left, $except | 0, 0/0 |
EOF
