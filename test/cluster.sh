#!/usr/bin/env bash
# Throwaway loopback test cluster for multiquery: a PostgreSQL 15 primary, one
# streaming hot standby (pg_basebackup -R) and an append-only redis-server.
#   test/cluster.sh start | stop | status | env
# Used by the test suite (pg_regress runs against it) and by the demo.
set -euo pipefail

PG_BINDIR="$("${PG_CONFIG:-pg_config}" --bindir)" || { echo "cluster.sh: cannot run ${PG_CONFIG:-pg_config}" >&2; exit 1; }
PRIMARY_PORT="${MQ_PRIMARY_PORT:-55432}"
STANDBY_PORT="${MQ_STANDBY_PORT:-55433}"
REDIS_PORT="${MQ_REDIS_PORT:-56379}"
CLUSTER_DIR="${MQ_CLUSTER_DIR:-/tmp/multiquery-cluster}"
PRELOAD="${MQ_PRELOAD-multiquery}"      # set but empty means: preload nothing
RUN_USER="${MQ_RUN_USER:-postgres}"
SLOT=mq_standby
TIMEOUT=30

PRIMARY_DIR="$CLUSTER_DIR/primary" PRIMARY_LOG="$CLUSTER_DIR/primary.log"
STANDBY_DIR="$CLUSTER_DIR/standby" STANDBY_LOG="$CLUSTER_DIR/standby.log"
REDIS_DIR="$CLUSTER_DIR/redis" REDIS_LOG="$CLUSTER_DIR/redis.log" REDIS_PIDFILE="$CLUSTER_DIR/redis.pid"
# Only directories carrying this marker are ever wiped, so a mistyped
# MQ_CLUSTER_DIR cannot make us rm -rf someone's home directory.
MARKER="$CLUSTER_DIR/.multiquery-test-cluster"

# fail MESSAGE [LOGFILE]: explain, show the end of the log that says why, exit 1.
fail() {
    echo "cluster.sh: $1" >&2
    [[ -n "${2:-}" && -f "$2" ]] && { echo "---- last lines of $2 ----"; tail -n 25 "$2"; } >&2
    exit 1
}

# initdb and postgres refuse to run as root, so root delegates to MQ_RUN_USER.
if [[ $EUID -eq 0 ]]; then
    as_run_user() { runuser -u "$RUN_USER" -- "$@"; }
    DB_SUPERUSER="$RUN_USER"
else
    as_run_user() { "$@"; }
    DB_SUPERUSER="$(id -un)"
fi

pg()   { as_run_user "$PG_BINDIR/$1" "${@:2}"; }
# sql PORT QUERY: one unaligned value, over TCP like the tests connect.
sql()  { pg psql -X -At -h 127.0.0.1 -p "$1" -U "$DB_SUPERUSER" -d postgres -c "$2"; }

# wait_until DESCRIPTION LOGFILE COMMAND...: poll, never hang forever.
wait_until() {
    local what="$1" logfile="$2" deadline=$((SECONDS + TIMEOUT))
    shift 2
    until "$@" >/dev/null 2>&1; do
        (( SECONDS < deadline )) || fail "timed out after ${TIMEOUT}s waiting for $what" "$logfile"
        sleep 0.2
    done
}

port_in_use() {
    if command -v ss >/dev/null; then
        [[ -n "$(ss -ltnH "( sport = :$1 )" 2>/dev/null)" ]]
    else
        timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
    fi
}

# A zombie counts as gone: a slow-reaping init (as in some containers) keeps
# exited daemons around as zombies for a while.
pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]
}
postmaster_pid() { [[ -f "$1/postmaster.pid" ]] && head -n 1 "$1/postmaster.pid" || true; }
# A stale pid file may name a recycled pid; only trust it if it is still redis.
redis_pid() {
    local pid
    pid="$(cat "$REDIS_PIDFILE" 2>/dev/null)" || return 0
    [[ "$(ps -o comm= -p "$pid" 2>/dev/null)" == redis-server* ]] && echo "$pid" || true
}

primary_running() { pid_alive "$(postmaster_pid "$PRIMARY_DIR")"; }
standby_running() { pid_alive "$(postmaster_pid "$STANDBY_DIR")"; }
redis_running()   { pid_alive "$(redis_pid)"; }
any_alive() { local pid; for pid in "$@"; do pid_alive "$pid" && return 0; done; return 1; }

# wait_gone_or_kill PID...: give an orderly shutdown ~10s, then make sure.
wait_gone_or_kill() {
    local deadline=$((SECONDS + 10))
    while any_alive "$@"; do
        (( SECONDS < deadline )) || { echo "cluster.sh: $* still alive after 10s, sending SIGKILL"
                                      kill -KILL "$@" 2>/dev/null || true; sleep 0.5; return 0; }
        sleep 0.2
    done
}

# A killed postmaster leaves its small SysV segment behind (id on line 7 of
# postmaster.pid); postgres would reclaim it on its next start in that data
# dir, but we delete the dir, so nobody else would.
remove_leftover_shm() {
    local id
    id="$(sed -n '7{s/^ *[0-9]* *//;p}' "$1/postmaster.pid" 2>/dev/null)" || return 0
    [[ -n "$id" && "$(ipcs -m -i "$id" 2>/dev/null)" == *nattch=0* ]] && ipcrm -m "$id" 2>/dev/null || true
}

stop_postgres() {
    local datadir="$1" pid children
    pid="$(postmaster_pid "$datadir")"
    if pid_alive "$pid"; then
        # Remember the children now: after a SIGKILL of the postmaster they
        # would otherwise linger as orphans until they notice it is gone.
        children="$(pgrep -P "$pid" | tr '\n' ' ' || true)"
        # -W: our own loop does the waiting, so SIGKILL follows after ~10s in all cases.
        pg pg_ctl stop -D "$datadir" -m fast -W >/dev/null 2>&1 || true
        # shellcheck disable=SC2086
        wait_gone_or_kill "$pid" $children
    fi
    remove_leftover_shm "$datadir"
}

stop_redis() {
    local pid
    pid="$(redis_pid)"
    pid_alive "$pid" || return 0
    # SIGTERM is redis' orderly shutdown (flushes the AOF); unlike
    # `redis-cli shutdown` it cannot hit some other redis that took the port.
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone_or_kill "$pid"
}

stop_all_servers() {
    [[ -d "$CLUSTER_DIR" ]] || return 0
    stop_postgres "$STANDBY_DIR"     # standby first, so it does not retry a gone primary
    stop_postgres "$PRIMARY_DIR"
    stop_redis
}

remove_cluster_dir() {
    [[ -e "$CLUSTER_DIR" ]] || return 0
    [[ -f "$MARKER" || -z "$(ls -A "$CLUSTER_DIR")" ]] ||
        fail "$CLUSTER_DIR exists but was not made by cluster.sh; refusing to delete it"
    rm -rf "$CLUSTER_DIR"
}

check_config() {
    [[ "$CLUSTER_DIR" == /?* ]] || fail "MQ_CLUSTER_DIR must be an absolute path (got '$CLUSTER_DIR')"
    [[ -x "$PG_BINDIR/postgres" ]] || fail "no postgres binary in $PG_BINDIR (check PG_CONFIG)"
    [[ $EUID -ne 0 ]] || id -u "$RUN_USER" >/dev/null 2>&1 || fail "MQ_RUN_USER '$RUN_USER' does not exist"
    [[ -z "${MQ_EXTRA_CONF:-}" || -r "$MQ_EXTRA_CONF" ]] || fail "MQ_EXTRA_CONF '$MQ_EXTRA_CONF' is not readable"
}

# The command that stops this cluster, with the settings it was started with
# (those that differ from the defaults).
stop_command() {
    local vars=()
    [[ "$PRIMARY_PORT" == 55432 ]] || vars+=("MQ_PRIMARY_PORT=$PRIMARY_PORT")
    [[ "$STANDBY_PORT" == 55433 ]] || vars+=("MQ_STANDBY_PORT=$STANDBY_PORT")
    [[ "$REDIS_PORT" == 56379 ]] || vars+=("MQ_REDIS_PORT=$REDIS_PORT")
    [[ "$CLUSTER_DIR" == /tmp/multiquery-cluster ]] || vars+=("MQ_CLUSTER_DIR=$CLUSTER_DIR")
    echo "${vars[*]}${vars[*]:+ }make stop"
}

check_ports_free() {
    local port
    for port in "$PRIMARY_PORT" "$STANDBY_PORT" "$REDIS_PORT"; do
        port_in_use "$port" &&
            fail "port $port is already in use (is a cluster already running? if it is the one started with these settings, stop it with: $(stop_command))"
    done
    return 0
}

make_fresh_cluster_dir() {
    if primary_running || standby_running || redis_running; then
        fail "a cluster is still running from $CLUSTER_DIR; try: test/cluster.sh stop"
    fi
    stop_all_servers        # nothing runs; this only tidies up after a dead earlier run
    remove_cluster_dir
    mkdir -p "$CLUSTER_DIR"
    touch "$MARKER"
    [[ $EUID -ne 0 ]] || chown -R "$RUN_USER:" "$CLUSTER_DIR"
}

init_primary() {
    pg initdb -D "$PRIMARY_DIR" --auth=trust --locale=C --encoding=UTF8 --no-sync \
        >"$CLUSTER_DIR/initdb.log" 2>&1 || fail "initdb failed" "$CLUSTER_DIR/initdb.log"
    # Written whole so it does not depend on initdb's defaults; trust is fine on
    # loopback, but for the roles of the docs' non-superuser set-up: a user
    # mapping of a non-superuser must log in with a password, and under trust
    # the server never asks for one.
    cat >"$PRIMARY_DIR/pg_hba.conf" <<EOF
host    all          app_role,app_reader   127.0.0.1/32   scram-sha-256
local   all          app_role,app_reader                  scram-sha-256
local   all          all                  trust
host    all          all   127.0.0.1/32   trust
local   replication  all                  trust
host    replication  all   127.0.0.1/32   trust
EOF
    cat >>"$PRIMARY_DIR/postgresql.conf" <<EOF

# ---- added by test/cluster.sh ----
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$CLUSTER_DIR'
cluster_name = 'mq_primary'
shared_preload_libraries = '$PRELOAD'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
# Tests read on the standby; feedback avoids spurious recovery-conflict cancels.
hot_standby_feedback = on
# A throwaway cluster never needs crash safety, only speed.
fsync = off
logging_collector = off
# The write queue drains this cluster's Redis into database postgres (where the
# demo and the queue's regression tests put their tables, each owned by an
# ordinary role: the drain inserts as a table's owner and refuses superusers').
multiquery.redis_host = '127.0.0.1'
multiquery.redis_port = $REDIS_PORT
multiquery.drain_database = 'postgres'
# The demo's stream and the README's.
multiquery.drain_streams = 'multiquery, events'
EOF
    [[ -z "${MQ_EXTRA_CONF:-}" ]] || cat "$MQ_EXTRA_CONF" >>"$PRIMARY_DIR/postgresql.conf"
}

start_primary() {
    pg pg_ctl start -D "$PRIMARY_DIR" -l "$PRIMARY_LOG" -w -t "$TIMEOUT" >/dev/null \
        || fail "primary did not start" "$PRIMARY_LOG"
    wait_until "primary to accept connections" "$PRIMARY_LOG" sql "$PRIMARY_PORT" 'select 1'
}

create_standby() {
    pg pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U "$DB_SUPERUSER" -D "$STANDBY_DIR" \
        -R -X stream -C -S "$SLOT" -c fast --no-sync >"$CLUSTER_DIR/basebackup.log" 2>&1 \
        || fail "pg_basebackup failed" "$CLUSTER_DIR/basebackup.log"
    # Later lines win, overriding what the copy of the primary's config says.
    printf "port = %s\ncluster_name = '%s'\n" "$STANDBY_PORT" "$SLOT" >>"$STANDBY_DIR/postgresql.conf"
}

standby_in_recovery() { [[ "$(sql "$STANDBY_PORT" 'select pg_is_in_recovery()')" == t ]]; }
primary_sees_streaming() {
    [[ "$(sql "$PRIMARY_PORT" "select count(*) from pg_stat_replication
          where application_name = '$SLOT' and state = 'streaming'")" -ge 1 ]]
}
start_standby() {
    pg pg_ctl start -D "$STANDBY_DIR" -l "$STANDBY_LOG" -w -t "$TIMEOUT" >/dev/null \
        || fail "standby did not start" "$STANDBY_LOG"
    wait_until "standby to be in recovery" "$STANDBY_LOG" standby_in_recovery
    wait_until "primary to report the standby as streaming" "$STANDBY_LOG" primary_sees_streaming
}

redis_pongs() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }
start_redis() {
    as_run_user mkdir -p "$REDIS_DIR"
    # No config file: everything is on the command line, so Debian's
    # /etc/redis/redis.conf (protected mode, 6379, ...) never applies.
    as_run_user redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode no \
        --dir "$REDIS_DIR" --appendonly yes --appendfsync everysec --save '' \
        --daemonize yes --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" \
        || fail "redis-server did not start" "$REDIS_LOG"
    wait_until "redis to answer PING" "$REDIS_LOG" redis_pongs
}

print_summary() {
    cat <<EOF
cluster.sh: cluster is up in $CLUSTER_DIR (superuser: $DB_SUPERUSER)
  primary  127.0.0.1:$PRIMARY_PORT  psql -h 127.0.0.1 -p $PRIMARY_PORT -U $DB_SUPERUSER postgres
  standby  127.0.0.1:$STANDBY_PORT  psql -h 127.0.0.1 -p $STANDBY_PORT -U $DB_SUPERUSER postgres
  redis    127.0.0.1:$REDIS_PORT  redis-cli -p $REDIS_PORT
  logs     $PRIMARY_LOG, $STANDBY_LOG, $REDIS_LOG
  env      eval "\$(test/cluster.sh env)"      stop: test/cluster.sh stop
EOF
}

cmd_start() {
    check_config
    [[ -z "${MQ_EXTRA_CONF:-}" ]] || MQ_EXTRA_CONF="$(realpath "$MQ_EXTRA_CONF")"  # we cd below
    check_ports_free
    make_fresh_cluster_dir
    # From here on a failure must not leave half a cluster running; logs stay.
    trap 'rc=$?; if (( rc != 0 )); then stop_all_servers >/dev/null 2>&1 || true;
          echo "cluster.sh: start failed; servers stopped, logs kept in $CLUSTER_DIR" >&2; fi' EXIT
    cd "$CLUSTER_DIR"       # the run user may not be able to read our cwd
    init_primary
    start_primary
    create_standby
    start_standby
    start_redis
    print_summary
}

cmd_stop() {
    check_config
    cd /
    if [[ ! -f "$MARKER" ]]; then
        # Nothing of ours here: say whether something else holds the ports,
        # rather than report success while a cluster keeps running.
        local port busy=()
        for port in "$PRIMARY_PORT" "$STANDBY_PORT" "$REDIS_PORT"; do
            port_in_use "$port" && busy+=("$port")
        done
        [[ ${#busy[@]} -eq 0 ]] ||
            fail "no cluster made by cluster.sh in $CLUSTER_DIR, but port(s) ${busy[*]} are in use: was it started with another MQ_CLUSTER_DIR or other ports? Stop it with the settings it was started with, e.g. MQ_CLUSTER_DIR=/path/it/used make stop"
        echo "cluster.sh: no cluster in $CLUSTER_DIR and nothing on its ports: nothing to stop"
        return 0
    fi
    stop_all_servers
    [[ "${MQ_KEEP:-0}" == 1 ]] || remove_cluster_dir
}

cmd_status() {
    local all=0 name
    for name in primary standby redis; do
        if "${name}_running"; then echo "$name: running"; else echo "$name: not running"; all=1; fi
    done
    return "$all"
}

# PATH is left for the caller's shell to expand, so it prepends to its own PATH.
cmd_env() {
    printf 'export PGHOST=127.0.0.1 PGPORT=%q PGUSER=%q\n' "$PRIMARY_PORT" "$DB_SUPERUSER"
    printf 'export MQ_STANDBY_PORT=%q MQ_REDIS_PORT=%q MQ_CLUSTER_DIR=%q\n' \
        "$STANDBY_PORT" "$REDIS_PORT" "$CLUSTER_DIR"
    printf 'export PATH=%q:"$PATH"\n' "$PG_BINDIR"
}

case "${1:-}" in
    start)  cmd_start ;;
    stop)   cmd_stop ;;
    stop-command) stop_command ;;
    status) cmd_status ;;
    env)    cmd_env ;;
    *)      echo "usage: test/cluster.sh {start|stop|status|env|stop-command}" >&2; exit 2 ;;
esac
