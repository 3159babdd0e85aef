# The drain benchmark: the same events into the events table by (a) COPY from
# a file, the ceiling, (b) the naive daemon, one INSERT per message, and (c)
# the multiquery drain worker (issue 4) from a 1M-entry backlog, throttled,
# and at a steady rate for the end-to-end lag. Writes $RUN_DIR/drain.csv.

DRAIN_WORK="$MQ_CLUSTER_DIR/drain"
# The lag runs use a rate the naive daemon keeps up with, the same for both.
LAG_RATE=500 LAG_S=10

drain_row() { (IFS=,; echo "$*") >>"$RUN_DIR/drain.csv"; }
events_count() { val "$MQ_PRIMARY_PORT" "select count(*) from events"; }
redis() { redis-cli -h 127.0.0.1 -p "$MQ_REDIS_PORT" "$@"; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# lag_percentiles: "p50,p99" of inserted_at - ts over the events table, in seconds.
lag_percentiles() {
    val "$MQ_PRIMARY_PORT" "select round(percentile_cont(0.5) within group (order by extract(epoch from inserted_at - ts))::numeric, 3)
        || ',' || round(percentile_cont(0.99) within group (order by extract(epoch from inserted_at - ts))::numeric, 3) from events"
}

stop_drain_processes() {
    local pid
    [[ -f "$STATE_DIR/drain_pids" ]] || return 0
    while read -r pid; do kill -TERM "$pid" 2>/dev/null || true; done <"$STATE_DIR/drain_pids"
    rm -f "$STATE_DIR/drain_pids"
}
remember_pid() { mkdir -p "$STATE_DIR"; echo "$1" >>"$STATE_DIR/drain_pids"; }

# quiesce: every timed drain phase (COPY's and the worker's alike) starts
# from the same state: the standby has replayed what came before (its replay
# competes for the same 2 CPUs) and a checkpoint has written it out (else
# the next phase pays for the last one's dirty pages and full-page writes).
quiesce() {
    wait_for 180 "the standby to catch up before a drain phase" standby_caught_up || true
    primary -c "CHECKPOINT" >/dev/null
    standby -c "CHECKPOINT" >/dev/null 2>&1 || true
}

prepare_events() {
    mkdir -p "$DRAIN_WORK"
    log "drain: generating $DRAIN_ROWS events (CSV and Redis protocol)"
    "$PY" "$BENCH_DIR/events.py" csv "$DRAIN_ROWS" "$DRAIN_WORK/events.csv"
    "$PY" "$BENCH_DIR/events.py" resp "$DRAIN_ROWS" bench_events "$DRAIN_WORK/worker.resp"
    (( ${DRAIN_ONLY:-0} )) || "$PY" "$BENCH_DIR/events.py" resp "$DRAIN_ROWS" bench_naive "$DRAIN_WORK/naive.resp"
    "$PY" "$BENCH_DIR/events.py" resp "$DRAIN_ROWS" bench_events "$DRAIN_WORK/poison.resp" 1000
    chown -R "$MQ_RUN_USER:" "$DRAIN_WORK"
}

# drain_copy [METHOD]: the ceiling, as the csv row METHOD (copy).
drain_copy() {
    local method=${1:-copy}
    primary -c "TRUNCATE events"
    quiesce
    local t0 t1
    cpu_begin
    t0=$(now)
    primary -c "COPY events (id, user_id, kind, properties, ts) FROM '$DRAIN_WORK/events.csv' WITH (FORMAT csv)"
    t1=$(now)
    cpu_settle "$method" "$(elapsed "$t0" "$t1")"
    drain_row "$method" "$(events_count)" "$(elapsed "$t0" "$t1")" "$(rate "$DRAIN_ROWS" "$(elapsed "$t0" "$t1")")" "" "" "" \
        "server-side COPY FROM file"
    log "drain: COPY done in $(elapsed "$t0" "$t1")s"
}

drain_naive() {
    local dsn="host=127.0.0.1 port=$MQ_PRIMARY_PORT dbname=$BENCH_DB user=$DB_USER" result rows secs
    primary -c "TRUNCATE events"
    redis DEL bench_naive >/dev/null
    redis --pipe <"$DRAIN_WORK/naive.resp" >/dev/null
    log "drain: naive daemon, at most ${NAIVE_CAP_S}s"
    result=$(timeout -k 5 $((NAIVE_CAP_S + 30)) "$PY" "$BENCH_DIR/naive_daemon.py" bench_naive "$MQ_REDIS_PORT" "$dsn" \
             "$DRAIN_ROWS" "$NAIVE_CAP_S") || die "the naive daemon failed"
    read -r rows secs <<<"$result"
    [[ "$(events_count)" == "$rows" ]] || die "naive daemon: it reported $rows rows, the table has $(events_count)"
    # Its steady rate at a load it keeps up with, for the lag.
    primary -c "TRUNCATE events"
    redis DEL bench_naive >/dev/null
    timeout -k 5 $((LAG_S + 40)) "$PY" "$BENCH_DIR/naive_daemon.py" bench_naive "$MQ_REDIS_PORT" "$dsn" \
        $((LAG_RATE * LAG_S)) $((LAG_S + 30)) >/dev/null &
    remember_pid $!
    sleep 1
    "$PY" "$BENCH_DIR/events.py" produce "$LAG_RATE" "$LAG_S" bench_naive "$MQ_REDIS_PORT" >/dev/null
    wait || true
    drain_row naive_daemon "$rows" "$secs" "$(rate "$rows" "$secs")" "$(lag_percentiles)" "" \
        "one INSERT + commit + XACK per entry (python3-psycopg2); rate over the first ${NAIVE_CAP_S}s; lag at ${LAG_RATE}/s"
    redis DEL bench_naive >/dev/null
}

# worker_pid: the drain worker's pid, from drain_status or pg_stat_activity.
worker_pid() {
    val "$MQ_PRIMARY_PORT" "select coalesce(
        (select coalesce(to_jsonb(d)->>'pid', to_jsonb(d)->>'worker_pid')::int from multiquery.drain_status d limit 1),
        (select pid from pg_stat_activity where backend_type ilike '%drain%' or backend_type ilike 'multiquery%' limit 1))"
}
# status_kb PID FIELD: a field of /proc/PID/status in kB (0 if gone).
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# redis_used_kb: Redis' own account of its memory (INFO memory used_memory), in kB.
redis_used_kb() { redis INFO memory | awk -F: '$1 == "used_memory" { printf "%d", $2 / 1024 }'; }

# drain_worker_wait ROWS CAP_S [LAST_ID]: waits until the events table has
# ROWS rows; sets DONE_AT, PEAK_ANON_KB (the worker's private memory,
# sampled) and PEAK_REDIS_KB. With LAST_ID (the id of the last good entry of
# the flow) the wait is for that row, an index probe: the worker commits
# whole batches in stream order, so that id's row means every row before it
# is in (the count is checked once, at the end). A count(*) of up to 1M rows
# is a parallel scan: it is only the wait of the flows without a LAST_ID,
# every 0.5 s.
#
# The wait must not compete with what it measures. On 2 CPUs, the poll this
# replaced (psql twice, redis-cli and awk started every 0.1 s) doubled the
# worker's wait for a CPU and made a drain about a fifth slower
# (BENCHMARKS.md, third session of 2026-12-03): COPY, timed by its own psql,
# never paid for it. So one backend waits, asleep between probes, and one
# redis-cli paces the memory samples, which shell builtins read.
drain_worker_wait() {
    local rows=$1 cap=$2 last_id=${3:-} peaks="$STATE_DIR/peaks" sampler reached=1
    mkdir -p "$STATE_DIR"
    sample_peaks "$(worker_pid)" "$peaks" &
    sampler=$!
    wait_in_server "$rows" "$cap" "$last_id" || reached=0
    DONE_AT=$(now)
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    read -r PEAK_ANON_KB PEAK_REDIS_KB <"$peaks" 2>/dev/null || PEAK_ANON_KB=0 PEAK_REDIS_KB=0
    if (( ! reached )); then
        DONE_AT=""
        log "drain: worker cut at the ${cap}s cap with $(events_count) of $rows rows"
        return 1
    fi
    [[ -z "$last_id" ]] || [[ "$(events_count)" == "$rows" ]] \
        || die "drain: the row with id $last_id is in, but the table has $(events_count) rows, not $rows"
}

# wait_in_server ROWS CAP_S [LAST_ID]: one backend waits for the row LAST_ID
# (an index probe every 20 ms) or for ROWS rows (a count every 0.5 s); false
# when CAP_S passes first. (Each probe of a DO block has a snapshot of its
# own, so it sees the worker's commits.)
wait_in_server() {
    local rows=$1 cap=$2 last_id=${3:-} reached interval
    if [[ -n "$last_id" ]]; then
        reached="(SELECT coalesce(max(id), 0) FROM events) >= $last_id" interval=0.02
    else
        reached="(SELECT count(*) FROM events) >= $rows" interval=0.5
    fi
    primary -c "SET statement_timeout = '${cap}s'" \
        -c "DO \$\$ BEGIN WHILE NOT $reached LOOP PERFORM pg_sleep($interval); END LOOP; END \$\$" \
        >/dev/null 2>&1
}

# sample_peaks PID FILE: until killed, keeps in FILE "anon redis": the peaks
# of PID's RssAnon and of Redis' used_memory, in kB, sampled every 0.1 s by
# one redis-cli (-r -1 -i 0.1) and read with builtins only.
sample_peaks() {
    local pid=$1 file=$2 anon=0 used=0 key value rest
    # (With a trap, TERM waits for the write in progress: FILE is never half written.)
    trap 'echo "$anon $used" >"$file"; exit 0' TERM
    echo "0 0" >"$file"
    while IFS=: read -r key value; do
        [[ $key == used_memory ]] || continue
        value=${value%$'\r'}
        (( value / 1024 > used )) && used=$((value / 1024))
        if [[ -n "$pid" && -r /proc/$pid/status ]]; then
            while read -r key value rest; do
                if [[ $key == RssAnon: ]]; then
                    (( value > anon )) && anon=$value
                    break
                fi
            done <"/proc/$pid/status"
        fi
        echo "$anon $used" >"$file"
    done < <(redis -r -1 -i 0.1 INFO memory 2>/dev/null)
}

# drain_standstill METHOD FILE GOOD LAST_ID NOTE: the entries of FILE drained
# from a standstill: the worker is pointed at another stream while they are
# piped in, then back at this one, so the rate is the drain's own, not
# bounded by the pipe. GOOD: the rows they make; LAST_ID: the id of the last
# good one. The rate counts every entry settled, as a row or a dead letter.
drain_standstill() {
    local method=$1 file=$2 good=$3 last_id=$4 note=$5 t0 t1 secs settled
    primary -c "TRUNCATE events" -c "ALTER SYSTEM SET multiquery.drain_streams = 'bench_hold'" \
        -c "SELECT pg_reload_conf()" >/dev/null
    sleep 2
    redis --pipe <"$file" >/dev/null
    quiesce
    cpu_begin
    t0=$(now)
    primary -c "ALTER SYSTEM RESET multiquery.drain_streams" -c "SELECT pg_reload_conf()" >/dev/null
    DONE_AT=""
    drain_worker_wait "$good" "$DRAIN_CAP_S" "$last_id" || true
    t1=${DONE_AT:-$(now)} secs=$(elapsed "$t0" "$t1")
    cpu_settle "$method" "$secs"
    settled=$(val "$MQ_PRIMARY_PORT" "select (select count(*) from events)
        + (select count(*) from multiquery.dead_letters where stream = 'bench_events')")
    drain_row "$method" "$(events_count)" "$secs" "$(rate "$settled" "$secs")" "" "" \
        "$(awk -v k="$PEAK_ANON_KB" 'BEGIN { printf "%.1f", k / 1024 }')" "$note"
    primary -c "DELETE FROM multiquery.dead_letters WHERE stream = 'bench_events'" >/dev/null
}

# drain_backlog METHOD: the 1M entries, from a standstill.
drain_backlog() {
    drain_standstill "$1" "$DRAIN_WORK/worker.resp" "$DRAIN_ROWS" "$DRAIN_ROWS" \
        "a $DRAIN_ROWS-entry backlog drained from a standstill; RSS = peak RssAnon"
}

# drain_backlog_poison METHOD: the same with one poison entry in 1000 (issue
# 12): each becomes a dead letter while the rest of its batch lands.
drain_backlog_poison() {
    # The last good entry: poison_every is 1000 (prepare_events).
    local last_good=$DRAIN_ROWS
    (( DRAIN_ROWS % 1000 == 0 )) && last_good=$((DRAIN_ROWS - 1))
    drain_standstill "$1" "$DRAIN_WORK/poison.resp" $((DRAIN_ROWS - DRAIN_ROWS / 1000)) "$last_good" \
        "the backlog with 0.1% poison entries (dead letters with SQLSTATE 22P02); rows/s counts every entry settled"
}

drain_worker() {
    if ! drain_available; then
        drain_row worker "" "" "" "" "" "" "$DRAIN_MISSING"
        log "drain: $DRAIN_MISSING"
        return 0
    fi
    local t0 t1 pid hwm secs idle_kb
    # (1) the backlog: 1M entries piped in as fast as Redis takes them.
    primary -c "TRUNCATE events"
    quiesce
    idle_kb=$(redis_used_kb)
    cpu_begin
    t0=$(now)
    # The producer's own CPU (bash's time of the pipe: user and system);
    # redis-cli's own complaints still go to stderr (fd 3), not into it.
    local TIMEFORMAT='%U %S' producer_cpu
    producer_cpu=$( { time { redis --pipe <"$DRAIN_WORK/worker.resp" >/dev/null 2>&3; }; } 3>&2 2>&1 )
    log "drain: $DRAIN_ROWS entries in Redis after $(elapsed "$t0" "$(now)")s; waiting for the worker"
    DONE_AT=""
    drain_worker_wait "$DRAIN_ROWS" "$DRAIN_CAP_S" "$DRAIN_ROWS" || true
    t1=${DONE_AT:-$(now)} secs=$(elapsed "$t0" "$t1") pid=$(worker_pid)
    cpu_settle worker "$secs" "$(awk '{ printf "%.2f", $1 + $2 }' <<<"$producer_cpu")"
    hwm=$(status_kb "$pid" VmHWM)
    drain_row worker "$(events_count)" "$secs" "$(rate "$(events_count)" "$secs")" "" "" \
        "$(awk -v k="$PEAK_ANON_KB" 'BEGIN { printf "%.1f", k / 1024 }')" \
        "from XADD of the first entry to the last row; RSS = peak RssAnon (VmHWM incl. shared buffers: $((hwm / 1024)) MB)"
    # Redis' memory over that flow: applied entries are trimmed once the
    # standby has their commit (multiquery.drain_trim), so it returns to
    # where it was instead of keeping every entry.
    sleep 3
    drain_row redis_memory "$(redis XLEN bench_events)" "" "" "" "" \
        "$(awk -v k="$(redis_used_kb)" 'BEGIN { printf "%.1f", k / 1024 }')" \
        "Redis used_memory (rss_mb column) and XLEN (rows column) 3 s after the $DRAIN_ROWS-entry flow; idle before $((idle_kb / 1024)) MB, peak during $((PEAK_REDIS_KB / 1024)) MB"
    # (1b) the same backlog drained from a standstill; (1c) with poison.
    drain_backlog worker_backlog
    drain_backlog_poison worker_poison
    (( ${DRAIN_ONLY:-0} )) && return 0
    # (2) throttled: 10 s worth of entries at the throttle.
    local throttled=$((DRAIN_THROTTLE * 10))
    primary -c "TRUNCATE events" -c "ALTER SYSTEM SET multiquery.drain_max_rows_per_sec = $DRAIN_THROTTLE" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1
    "$PY" "$BENCH_DIR/events.py" resp "$throttled" bench_events "$DRAIN_WORK/throttled.resp"
    t0=$(now)
    redis --pipe <"$DRAIN_WORK/throttled.resp" >/dev/null
    drain_worker_wait "$throttled" 60 || true
    t1=$(now) secs=$(elapsed "$t0" "$t1")
    drain_row worker_throttled "$(events_count)" "$secs" "$(rate "$(events_count)" "$secs")" "" "" "" \
        "multiquery.drain_max_rows_per_sec = $DRAIN_THROTTLE"
    primary -c "ALTER SYSTEM RESET multiquery.drain_max_rows_per_sec" -c "SELECT pg_reload_conf()" >/dev/null
    # (3) steady rate, for the end-to-end lag.
    primary -c "TRUNCATE events"
    "$PY" "$BENCH_DIR/events.py" produce "$LAG_RATE" "$LAG_S" bench_events "$MQ_REDIS_PORT" >/dev/null
    drain_worker_wait $((LAG_RATE * LAG_S)) 60 || true
    drain_row worker_steady $((LAG_RATE * LAG_S)) "$LAG_S" "$LAG_RATE" "$(lag_percentiles)" "" "lag at ${LAG_RATE}/s"
}

run_drain() {
    echo "method,rows,seconds,rows_per_s,lag_p50_s,lag_p99_s,rss_mb,notes" >"$RUN_DIR/drain.csv"
    prepare_events
    drain_copy
    if (( ${DRAIN_ONLY:-0} )); then
        drain_worker
        drain_copy copy_after
        # DRAIN_ROUNDS=N: N more rounds of COPY, backlog and poison, one
        # after the other, each ratio taken within its round (this
        # machine's speed moves by a quarter from minute to minute).
        local round
        for (( round = 1; round <= ${DRAIN_ROUNDS:-0}; round++ )); do
            drain_copy "copy_round$round"
            drain_backlog "worker_backlog_round$round"
            drain_backlog_poison "worker_poison_round$round"
        done
    else
        drain_naive
        drain_worker
    fi
    rm -rf "$DRAIN_WORK"
}
