#!/usr/bin/env bash
# Joins and aggregates sent to the remote side: a raced foreign table against
# postgres_fdw, both reading the same single standby, side by side in one run
# (interleaved rounds) so that the ratios compare like with like on a shared
# machine. One client, pgbench -M extended and -M prepared. The reads:
#   agg   SELECT kind, count(*), avg(amount) FROM events GROUP BY kind
#         (events: EVENTS rows, 3 kinds)
#   join  the newest 1% of events with their users (users: USERS rows),
#         postgres_fdw with use_remote_estimate on
#   pk    a user read by its primary key (postgres_fdw without remote
#         estimates, its better setting there), also through race_query
#         over the same single standby
# For each it reports the mean and median latency, the ratio raced /
# postgres_fdw (and raced / race_query for pk), and the rows the raced scan
# received (one per group for agg). Writes
# bench/results/<timestamp>-pushdown/.
#   bash bench/pushdown.sh [--no-build]
#   EVENTS=100000 USERS=10000 SECONDS_PER_RUN=5 ROUNDS=2 bash bench/pushdown.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

BUILD=1
[[ ${1:-} == --no-build ]] && BUILD=0
EVENTS=${EVENTS:-1000000} USERS=${USERS:-100000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10} ROUNDS=${ROUNDS:-3}
RUN_DIR="$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)-pushdown"
mkdir -p "$RUN_DIR/raw"
CLUSTER_STARTED=0
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if (( CLUSTER_STARTED )); then bash "$MQ_ROOT/test/cluster.sh" stop >/dev/null 2>&1 || true; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if (( BUILD )); then
    mq_build_and_install >"$RUN_DIR/build.log" 2>&1 || { tail -n 30 "$RUN_DIR/build.log" >&2; die "build failed"; }
fi
bash "$MQ_ROOT/test/cluster.sh" stop >/dev/null 2>&1 || true
bash "$MQ_ROOT/test/cluster.sh" start >"$RUN_DIR/cluster.log" 2>&1 \
    || { cat "$RUN_DIR/cluster.log" >&2; die "the cluster did not start"; }
CLUSTER_STARTED=1

log "loading $EVENTS events and $USERS users"
PGDATABASE_BENCH=postgres primary -c "CREATE DATABASE $BENCH_DB"
primary -v events="$EVENTS" -v users="$USERS" -v standby_port="$MQ_STANDBY_PORT" -v user="$DB_USER" <<'SQL'
CREATE TABLE users (id int PRIMARY KEY, name text, country text);
INSERT INTO users SELECT g, 'user ' || g, (ARRAY['fr', 'de', 'us', 'jp'])[1 + g % 4]
FROM generate_series(1, :users) g;
CREATE TABLE events (id int PRIMARY KEY, user_id int NOT NULL, kind text NOT NULL,
    amount numeric NOT NULL, at timestamptz NOT NULL);
INSERT INTO events SELECT g, 1 + (g::int8 * 7919) % :users, (ARRAY['click', 'view', 'buy'])[1 + g % 3],
    round((g % 1000) / 7.0, 2), timestamptz '2024-01-01 00:00+00' + g * interval '1 second'
FROM generate_series(1, :events) g;
CREATE INDEX ON events (at);
ANALYZE users, events;

CREATE EXTENSION postgres_fdw;
CREATE SERVER standby_fdw FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '127.0.0.1', port :'standby_port', dbname 'bench', use_remote_estimate 'true');
CREATE USER MAPPING FOR CURRENT_USER SERVER standby_fdw OPTIONS (user :'user');
CREATE SCHEMA fdw;
IMPORT FOREIGN SCHEMA public LIMIT TO (users, events) FROM SERVER standby_fdw INTO fdw;
-- For the key read, postgres_fdw's better setting is without remote
-- estimates (they cost it a remote EXPLAIN per planning).
CREATE SERVER standby_fdw_plain FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '127.0.0.1', port :'standby_port', dbname 'bench');
CREATE USER MAPPING FOR CURRENT_USER SERVER standby_fdw_plain OPTIONS (user :'user');
CREATE SCHEMA fdw_plain;
IMPORT FOREIGN SCHEMA public LIMIT TO (users) FROM SERVER standby_fdw_plain INTO fdw_plain;

CREATE EXTENSION multiquery;
CREATE SERVER standby_mq FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'standby_port', dbname 'bench');
CREATE USER MAPPING FOR CURRENT_USER SERVER standby_mq OPTIONS (user :'user');
CREATE SCHEMA raced;
IMPORT FOREIGN SCHEMA public LIMIT TO (users, events) FROM SERVER standby_mq INTO raced;
SQL
primary -c "CHECKPOINT"
wait_for 300 "the standby to replay the data" standby_caught_up || die "the standby did not catch up"
primary -c "ANALYZE fdw.users, fdw.events, fdw_plain.users, raced.users, raced.events"

# The newest 1% of events.
CUTOFF=$(val "$MQ_PRIMARY_PORT" "SELECT at FROM events ORDER BY at DESC OFFSET $((EVENTS / 100)) LIMIT 1")
agg_sql() { echo "SELECT kind, count(*), avg(amount) FROM $1.events GROUP BY kind;"; }
join_sql() {
    echo "SELECT e.id, e.at, e.amount, u.name FROM $1.events e JOIN $1.users u ON u.id = e.user_id WHERE e.at > '$CUTOFF';"
}
pk_sql() { printf '%s\n' "\\set id random(1, $USERS)" "SELECT id, name, country FROM $1.users WHERE id = :id;"; }
{
    printf '%s\n' "\\set id random(1, $USERS)"
    echo "SELECT * FROM multiquery.race_query('{standby_mq}', 'SELECT id, name, country FROM public.users WHERE id = \$1',"
    echo "    ARRAY[:id::text]) AS t(id int, name text, country text);"
} >"$RUN_DIR/pk_race.sql"
for schema in fdw raced; do
    agg_sql "$schema" >"$RUN_DIR/agg_$schema.sql"
    join_sql "$schema" >"$RUN_DIR/join_$schema.sql"
    pk_sql "$([[ $schema == fdw ]] && echo fdw_plain || echo "$schema")" >"$RUN_DIR/pk_$schema.sql"
    for read in agg join; do
        primary -c "EXPLAIN (VERBOSE, COSTS OFF) $(cat "$RUN_DIR/${read}_$schema.sql")" >"$RUN_DIR/plan_${read}_$schema.txt"
        # Warm both sides' caches and connections.
        primary -f "$RUN_DIR/${read}_$schema.sql" >/dev/null
    done
done
for read in agg join; do
    primary -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) $(cat "$RUN_DIR/${read}_raced.sql")" \
        >"$RUN_DIR/analyze_${read}_raced.txt"
done

# One pgbench run, every transaction's latency logged: its mean latency in ms.
run_one() {
    local file=$1 mode=$2 out=$3
    (cd "$RUN_DIR/raw" && pgbench -n -c 1 -j 1 -T "$SECONDS_PER_RUN" -M "$mode" -f "$file" \
        -l --log-prefix="$(basename "$out" .txt)" \
        -h 127.0.0.1 -p "$MQ_PRIMARY_PORT" -U "$DB_USER" "$BENCH_DB") >"$out" 2>&1 || { cat "$out" >&2; die "pgbench failed"; }
    awk '/latency average/ { print $4 }' "$out"
}
# Mean and median (ms) over every transaction of every round of one configuration.
latency_of() {
    local read=$1 mode=$2 schema=$3
    cat "$RUN_DIR/raw/$read-$schema-$mode-"*.[0-9]* | awk '{ print $3 / 1000 }' | sort -n |
        awk '{ v[NR] = $1; t += $1 } END { printf "%.3f %.3f", t / NR, v[int((NR + 1) / 2)] }'
}
schemas_of() { if [[ $1 == pk ]]; then echo fdw raced race; else echo fdw raced; fi; }
chmod -R a+rX "$RUN_DIR"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$ROUNDS"); do
    for mode in extended prepared; do
        for read in pk agg join; do
            for schema in $(schemas_of "$read"); do
                ms=$(run_one "$RUN_DIR/${read}_$schema.sql" "$mode" "$RUN_DIR/raw/$read-$schema-$mode-$round.txt")
                log "round $round: $read $mode $schema $ms ms"
            done
        done
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "# Pushdown: raced table vs postgres_fdw, one standby, one client"
    echo
    echo "events $EVENTS rows, users $USERS rows; $ROUNDS rounds of ${SECONDS_PER_RUN}s per configuration;"
    echo "$(nproc) CPUs; load average before $LOAD_BEFORE, after $LOAD_AFTER"
    echo
    echo "Latency in ms, mean / median over every transaction of every round. Goals: pk median"
    echo "<= 1.0x postgres_fdw's and <= 1.1x race_query's; agg and join <= 1.1x postgres_fdw's."
    echo
    echo "| read | pgbench -M | postgres_fdw | raced table | race_query | raced / postgres_fdw | raced / race_query | goal |"
    echo "|---|---|---|---|---|---|---|---|"
    for read in pk agg join; do
        for mode in extended prepared; do
            read -r fdw_mean fdw_p50 <<<"$(latency_of "$read" "$mode" fdw)"
            read -r raced_mean raced_p50 <<<"$(latency_of "$read" "$mode" raced)"
            if [[ $read == pk ]]; then
                read -r race_mean race_p50 <<<"$(latency_of "$read" "$mode" race)"
                r_fdw=$(awk -v a="$raced_p50" -v b="$fdw_p50" 'BEGIN { printf "%.2f", a / b }')
                r_race=$(awk -v a="$raced_p50" -v b="$race_p50" 'BEGIN { printf "%.2f", a / b }')
                goal=$(awk -v f="$r_fdw" -v r="$r_race" 'BEGIN { print (f <= 1.0 && r <= 1.1 ? "met" : "**missed**") }')
                echo "| pk | $mode | $fdw_mean / $fdw_p50 | $raced_mean / $raced_p50 | $race_mean / $race_p50 | ${r_fdw}x (median) | ${r_race}x (median) | $goal |"
            else
                r_fdw=$(awk -v a="$raced_mean" -v b="$fdw_mean" 'BEGIN { printf "%.2f", a / b }')
                goal=$(awk -v r="$r_fdw" 'BEGIN { print (r <= 1.1 ? "met" : "**missed**") }')
                echo "| $read | $mode | $fdw_mean / $fdw_p50 | $raced_mean / $raced_p50 | | ${r_fdw}x (mean) | | $goal |"
            fi
        done
    done
    echo
    echo "Rows the raced scans received (EXPLAIN ANALYZE):"
    for read in agg join; do
        echo "- $read: $(grep -m1 -o 'Foreign Scan (actual rows=[0-9]*' "$RUN_DIR/analyze_${read}_raced.txt" | grep -o '[0-9]*$') rows"
    done
    echo
    for read in agg join; do
        for schema in fdw raced; do
            echo "$read, $schema:"
            sed 's/^/    /' "$RUN_DIR/plan_${read}_$schema.txt"
        done
    done
} | tee "$RUN_DIR/summary.md"
