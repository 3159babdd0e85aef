# Shared by the benchmark scripts: where things are, ports, and small helpers
# to talk to the servers. Source it; it defines, never runs.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MQ_ROOT=$(cd "$BENCH_DIR/.." && pwd)
# test/lib.sh picks PG_CONFIG, the run user, and builds/installs the extension.
source "$MQ_ROOT/test/lib.sh"
PG_BINDIR=$("$PG_CONFIG" --bindir)
export PATH="$PG_BINDIR:$PATH"

export MQ_PRIMARY_PORT=${MQ_PRIMARY_PORT:-55852}
export MQ_STANDBY_PORT=${MQ_STANDBY_PORT:-55853}
export MQ_REDIS_PORT=${MQ_REDIS_PORT:-56799}
export MQ_CLUSTER_DIR=${MQ_CLUSTER_DIR:-/tmp/bench-cluster}
PGPOOL_PORT=${MQ_PGPOOL_PORT:-55859}
PGPOOL_PCP_PORT=$((PGPOOL_PORT + 1))
BENCH_DB=bench
DB_USER=$(mq_server_user)
# Debian's own interpreter: python3-redis and python3-psycopg2 install there,
# whatever python3 comes first in PATH.
PY=/usr/bin/python3
# Every call a benchmark client makes gives up after this long (the
# application's deadline), so a stalled or hung node becomes an error, not a hang.
CALL_DEADLINE_MS=${BENCH_DEADLINE_MS:-2000}

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# psql_at PORT [psql args...]: quiet psql to the bench database as the superuser.
psql_at() {
    local port=$1; shift
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$DB_USER" -d "${PGDATABASE_BENCH:-$BENCH_DB}" "$@"
}
# val PORT SQL: one unaligned value.
val() { psql_at "$1" -At -c "$2"; }
primary() { psql_at "$MQ_PRIMARY_PORT" "$@"; }
standby() { psql_at "$MQ_STANDBY_PORT" "$@"; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll until COMMAND succeeds, bounded.
wait_for() {
    local limit=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        (( SECONDS < deadline )) || { log "timed out after ${limit}s waiting for $what"; return 1; }
        sleep 0.2
    done
}

standby_pid() { head -n 1 "$MQ_CLUSTER_DIR/standby/postmaster.pid" 2>/dev/null; }

# standby_caught_up: the standby has replayed everything the primary wrote so far.
standby_caught_up() {
    local lsn
    lsn=$(val "$MQ_PRIMARY_PORT" "select pg_current_wal_lsn()") || return 1
    [[ $(val "$MQ_STANDBY_PORT" "select pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn") == t ]]
}

# race_available / drain_available: whether this build has the merged features.
race_available() {
    [[ $(val "$MQ_PRIMARY_PORT" "select to_regprocedure('multiquery.race_query(text[],text,text[],integer,pg_lsn,text)') is not null
            and to_regclass('multiquery.race_stats') is not null") == t ]]
}
drain_available() {
    [[ $(val "$MQ_PRIMARY_PORT" "select to_regclass('multiquery.drain_status') is not null") == t ]]
}
raced_tables_available() {
    [[ $(val "$MQ_PRIMARY_PORT" "select to_regprocedure('multiquery.fdw_handler()') is not null") == t ]]
}
RACE_MISSING="race_query not available in this build"
RACED_TABLES_MISSING="racing foreign tables not available in this build (multiquery.fdw_handler missing)"
DRAIN_MISSING="drain worker not available in this build (multiquery.drain_status missing)"
