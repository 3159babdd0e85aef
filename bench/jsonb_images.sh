#!/usr/bin/env bash
# The drain's own jsonb images against the server's own jsonb input.
#
# The drain's binary COPY puts a jsonb value in place as the image it built
# (src/core/jsonb_image.cpp, src/queue/copy_load.cpp); the alternative is to
# send the JSON text after jsonb's version byte and let jsonb_recv (jsonb_in)
# build it, through a COPY that patches nothing. This builds the library both
# ways from this tree (B with MQ_JSONB_VIA_RECV), pushes one standing backlog
# of ENTRIES events (bench/events.py: id, user_id, kind, a jsonb object, ts)
# into Redis, and drains it whole into an empty events table ROUNDS times
# with each build, interleaved (A B, B A, A B, ...), on one primary. Each
# drain is timed from the reload that points the worker at the stream to
# the commit of its last entry. Prints each round and the median of B's
# time over A's within a round.
#
#   ROUNDS=5 ENTRIES=1000000 bash bench/jsonb_images.sh     (as root)
#
# It installs the library into the server PG_CONFIG names, and leaves the
# shipped build (A) installed.
set -euo pipefail
source "$(dirname "$0")/../test/lib.sh"

ROUNDS=${ROUNDS:-5}
ENTRIES=${ENTRIES:-1000000}
PORT=${MQ_BENCH_PORT:-55701}
REDIS_PORT=${MQ_BENCH_REDIS_PORT:-56701}

work=$(mktemp -d /tmp/multiquery-jsonb-bench.XXXXXX)
data=$work/data
bin=$("$PG_CONFIG" --bindir)
pkglibdir=$("$PG_CONFIG" --pkglibdir)
psql_() { "$bin/psql" -X -q -h 127.0.0.1 -p "$PORT" -U "$(mq_server_user)" -d postgres -At "$@"; }
cleanup() {
    mq_as_run_user "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    # The shipped build stays installed.
    [ -f "$work/a.so" ] && install -m 755 "$work/a.so" "$pkglibdir/multiquery.so"
    rm -rf "$work"
}
trap cleanup EXIT

mq_step "building the library twice: A as shipped, B with jsonb through jsonb_recv"
touch "$MQ_ROOT/src/queue/target.cpp"
make -C "$MQ_ROOT" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" MQ_CXXFLAGS=-DMQ_JSONB_VIA_RECV
cp "$MQ_ROOT/multiquery.so" "$work/b.so"
touch "$MQ_ROOT/src/queue/target.cpp"
make -C "$MQ_ROOT" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG"
make -C "$MQ_ROOT" -s install PG_CONFIG="$PG_CONFIG"
cp "$MQ_ROOT/multiquery.so" "$work/a.so"

mq_step "a primary on :$PORT and Redis on :$REDIS_PORT"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$work" >/dev/null
mq_is_root && chown -R "$MQ_RUN_USER" "$work"
mq_as_run_user "$bin/initdb" -D "$data" -E UTF8 --locale=C -A trust >/dev/null
cat >>"$data/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
shared_buffers = 512MB
max_wal_size = 4GB
shared_preload_libraries = 'multiquery'
multiquery.redis_port = $REDIS_PORT
multiquery.drain_database = 'postgres'
multiquery.drain_streams = ''
multiquery.drain_trim = off
CONF
start() { mq_as_run_user "$bin/pg_ctl" -D "$data" -l "$work/server.log" -w start >/dev/null; }
stop() { mq_as_run_user "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; }
start
psql_ -c "CREATE EXTENSION multiquery" -c "CREATE ROLE bench_queue" -c "
    CREATE TABLE events (id bigint PRIMARY KEY, user_id int NOT NULL, kind text NOT NULL,
                         properties jsonb NOT NULL, ts timestamptz NOT NULL,
                         inserted_at timestamptz NOT NULL DEFAULT clock_timestamp());
    ALTER TABLE events OWNER TO bench_queue;"

mq_step "a standing backlog of $ENTRIES entries"
python3 "$MQ_ROOT/bench/events.py" resp "$ENTRIES" bench "$work/entries.resp"
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --pipe <"$work/entries.resp" | tail -n 1
rm -f "$work/entries.resp"
last=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" XREVRANGE bench + - COUNT 1 | head -n 1)

# drain BUILD ROUND: the seconds one drain of the whole backlog takes.
drain() {
    local build=$1 round=$2
    stop
    install -m 755 "$work/$build.so" "$pkglibdir/multiquery.so"
    start
    psql_ -c "TRUNCATE events" -c "DELETE FROM multiquery.drain_progress" \
        -c "ALTER SYSTEM SET multiquery.drain_group = 'bench_${round}_$build'" -c "CHECKPOINT"
    local from to
    from=$(date +%s.%N)
    psql_ -c "ALTER SYSTEM SET multiquery.drain_streams = 'bench'" -c "SELECT pg_reload_conf()" >/dev/null
    until [ "$(psql_ -c "SELECT last_id = '$last' FROM multiquery.drain_progress WHERE stream = 'bench'")" = t ]; do
        sleep 0.05
    done
    to=$(date +%s.%N)
    psql_ -c "ALTER SYSTEM SET multiquery.drain_streams = ''" -c "SELECT pg_reload_conf()" >/dev/null
    [ "$(psql_ -c "SELECT count(*) FROM events")" = "$ENTRIES" ] || mq_die "build $build: not every entry landed"
    awk -v a="$from" -v b="$to" 'BEGIN { printf "%.2f", b - a }'
}

mq_step "$ROUNDS rounds, the builds interleaved"
ratios=()
printf '%-6s %10s %10s %8s\n' round "A s" "B s" "B/A"
for (( round = 1; round <= ROUNDS; round++ )); do
    if (( round % 2 )); then a=$(drain a "$round"); b=$(drain b "$round");
    else b=$(drain b "$round"); a=$(drain a "$round"); fi
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
    ratios+=("$ratio")
    printf '%-6s %10s %10s %8s\n' "$round" "$a" "$b" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
echo "median B/A: $median ($ENTRIES entries a drain; A: images, B: jsonb_recv)"
