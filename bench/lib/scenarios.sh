# The fault scenarios: apply_scenario NAME puts the cluster in that state,
# clear_scenario NAME brings it back to healthy and caught up. Everything they
# start is recorded so that cleanup_scenarios (called by run.sh's trap) undoes
# it whatever happened: above all, a SIGSTOPped standby is always continued.
SCENARIOS=(healthy standby_stalled primary_loaded standby_hung standby_down)
STATE_DIR="$MQ_CLUSTER_DIR/bench-state"

as_pg() { runuser -u "$MQ_RUN_USER" -- "$@"; }

# bg_group NAME COMMAND...: run COMMAND in its own process group, remember its id.
bg_group() {
    local name=$1; shift
    mkdir -p "$STATE_DIR"
    setsid "$@" >>"$RUN_DIR/$name.log" 2>&1 </dev/null &
    echo $! >>"$STATE_DIR/groups"
}

kill_groups() {
    local pgid
    [[ -f "$STATE_DIR/groups" ]] || return 0
    while read -r pgid; do kill -TERM -- "-$pgid" 2>/dev/null || true; done <"$STATE_DIR/groups"
    sleep 0.5
    while read -r pgid; do kill -KILL -- "-$pgid" 2>/dev/null || true; done <"$STATE_DIR/groups"
    rm -f "$STATE_DIR/groups"
}

# The standby stalls the realistic way: a long reader holds a lock on docs,
# the primary takes and releases ACCESS EXCLUSIVE, and the standby's replay of
# that lock waits for the reader (max_standby_streaming_delay = -1); every
# new reader of docs on the standby queues behind the replay. The primary stays free.
stall_standby() {
    PGAPPNAME=bench_blocker bg_group blocker psql -X -h 127.0.0.1 -p "$MQ_STANDBY_PORT" -U "$DB_USER" -d "$BENCH_DB" \
        -c "BEGIN" -c "SELECT 1 FROM docs LIMIT 1" -c "SELECT pg_sleep(3600)"
    wait_for 10 "the blocker to hold its lock" blocker_sleeping || return 1
    primary -c "BEGIN" -c "LOCK TABLE docs IN ACCESS EXCLUSIVE MODE" -c "COMMIT"
    wait_for 10 "the standby to wait on replaying the lock" replay_waits || return 1
    ! probe_standby_docs || { log "the standby still answers reads on docs"; return 1; }
}
blocker_sleeping() {
    [[ $(val "$MQ_STANDBY_PORT" "select count(*) from pg_stat_activity
          where application_name = 'bench_blocker' and wait_event = 'PgSleep'") == 1 ]]
}
replay_waits() {
    [[ $(val "$MQ_STANDBY_PORT" "select count(*) from pg_locks
          where not granted and mode = 'AccessExclusiveLock' and relation = 'docs'::regclass") -ge 1 ]]
}
probe_standby_docs() {
    val "$MQ_STANDBY_PORT" "set statement_timeout = 500; select 1 from docs where id = 1" >/dev/null 2>&1
}
unstall_standby() {
    val "$MQ_STANDBY_PORT" "select count(pg_terminate_backend(pid)) from pg_stat_activity
        where application_name = 'bench_blocker'" >/dev/null || true
}

# The primary under batch work: pgbench writes (4 clients), a CPU-bound query
# and a sort that spills to disk, each repeated until the scenario ends.
load_primary() {
    local cap=$((LOAD_CAP_S))
    bg_group load-pgbench timeout "$cap" pgbench -n -c 4 -j 2 -T "$cap" \
        -h 127.0.0.1 -p "$MQ_PRIMARY_PORT" -U "$DB_USER" "$BENCH_DB"
    local cpu="SELECT count(*) FROM generate_series(1, 5000000) g WHERE md5(g::text) < '8'"
    local io="SET work_mem = '1MB'; SELECT count(DISTINCT (aid * 7919) % 1000003) FROM pgbench_accounts"
    local q
    for q in "$cpu" "$io"; do
        PGAPPNAME=bench_load bg_group load-queries timeout "$cap" bash -c \
            'while :; do psql -X -q -h 127.0.0.1 -p "$1" -U "$2" -d "$3" -c "$4" >/dev/null || sleep 1; done' \
            _ "$MQ_PRIMARY_PORT" "$DB_USER" "$BENCH_DB" "$q"
    done
    sleep 2     # let the load ramp up
}
unload_primary() {
    kill_groups
    val "$MQ_PRIMARY_PORT" "select count(pg_terminate_backend(pid)) from pg_stat_activity
        where application_name in ('bench_load', 'pgbench') and pid <> pg_backend_pid()" >/dev/null || true
}

# The standby hung: its postmaster and every child SIGSTOPped. TCP still
# connects (the kernel accepts), nothing ever answers.
hang_standby() {
    local pid
    pid=$(standby_pid)
    [[ -n "$pid" ]] || return 1
    mkdir -p "$STATE_DIR"
    { echo "$pid"; pgrep -P "$pid"; } >"$STATE_DIR/stopped"
    xargs kill -STOP <"$STATE_DIR/stopped"
}
unhang_standby() {
    [[ -f "$STATE_DIR/stopped" ]] || return 0
    xargs kill -CONT <"$STATE_DIR/stopped" 2>/dev/null || true
    rm -f "$STATE_DIR/stopped"
}

stop_standby() {
    as_pg pg_ctl stop -D "$MQ_CLUSTER_DIR/standby" -m fast -w -t 30 >/dev/null
}
start_standby() {
    [[ -n "$(standby_pid)" ]] && kill -0 "$(standby_pid)" 2>/dev/null && return 0
    as_pg pg_ctl start -D "$MQ_CLUSTER_DIR/standby" -l "$MQ_CLUSTER_DIR/standby.log" -w -t 60 >/dev/null
}

# apply_scenario NAME: enter the scenario; pgpool gets a few seconds to notice.
apply_scenario() {
    case "$1" in
        healthy) ;;
        standby_stalled) stall_standby ;;
        primary_loaded) load_primary ;;
        standby_hung) hang_standby ;;
        standby_down) stop_standby ;;
        *) die "unknown scenario $1" ;;
    esac || return 1
    [[ "$1" == healthy ]] || sleep "$SETTLE_S"
}

# clear_scenario NAME: back to healthy, with the standby caught up.
clear_scenario() {
    case "$1" in
        standby_stalled) unstall_standby; kill_groups ;;
        primary_loaded) unload_primary ;;
        standby_hung) unhang_standby ;;
        standby_down) start_standby ;;
    esac
    wait_for 120 "the standby to catch up after $1" standby_caught_up
}

# cleanup_scenarios: undo whatever any scenario left, for run.sh's trap.
cleanup_scenarios() {
    unhang_standby
    kill_groups
    [[ -d "$MQ_CLUSTER_DIR/standby" ]] && start_standby 2>/dev/null || true
}
