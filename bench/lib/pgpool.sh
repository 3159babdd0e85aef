# pgpool-II in streaming-replication mode, load balancing each statement over
# the primary and the standby. Started afresh for every scenario (-D drops the
# node status it saved), so a node it detached in one scenario is back in the next.

PGPOOL_DIR="$MQ_CLUSTER_DIR/pgpool"

# write_pgpool_conf: a minimal configuration, everything else at pgpool's defaults.
write_pgpool_conf() {
    mkdir -p "$PGPOOL_DIR"
    cat >"$PGPOOL_DIR/pgpool.conf" <<CONF
backend_clustering_mode = 'streaming_replication'
listen_addresses = '127.0.0.1'
port = $PGPOOL_PORT
unix_socket_directories = '$PGPOOL_DIR'
pcp_listen_addresses = ''
pcp_port = $PGPOOL_PCP_PORT
pcp_socket_dir = '$PGPOOL_DIR'
pid_file_name = '$PGPOOL_DIR/pgpool.pid'
logdir = '$PGPOOL_DIR'
log_destination = 'stderr'
use_watchdog = off
enable_pool_hba = off
pool_passwd = ''
memory_cache_enabled = off

backend_hostname0 = '127.0.0.1'
backend_port0 = $MQ_PRIMARY_PORT
backend_weight0 = 1
backend_flag0 = 'DISALLOW_TO_FAILOVER'
backend_hostname1 = '127.0.0.1'
backend_port1 = $MQ_STANDBY_PORT
backend_weight1 = 1
backend_flag1 = 'ALLOW_TO_FAILOVER'

# Enough children for 8 clients plus the health checker; sessions are pooled.
num_init_children = 16
max_pool = 2
connect_timeout = 2000
load_balance_mode = on
statement_level_load_balance = on

# What a careful operator would set: detect a dead or hung standby within
# ~3 s and stop sending it reads. No failover command: nothing is promoted.
health_check_period = 1
health_check_timeout = 2
health_check_max_retries = 0
health_check_user = '$DB_USER'
health_check_database = 'postgres'
sr_check_period = 0
sr_check_user = '$DB_USER'
failover_command = ''
auto_failback = off
CONF
    : >"$PGPOOL_DIR/pcp.conf"
    echo "host all all 127.0.0.1/32 trust" >"$PGPOOL_DIR/pool_hba.conf"
    chown -R "$MQ_RUN_USER:" "$PGPOOL_DIR"
}

pgpool_pid() { head -n 1 "$PGPOOL_DIR/pgpool.pid" 2>/dev/null | tr -dc 0-9 || true; }
pgpool_answers() { psql -X -At -h 127.0.0.1 -p "$PGPOOL_PORT" -U "$DB_USER" -d "$BENCH_DB" -c "select 1" | grep -qx 1; }

# start_pgpool: pgpool in the background (-n: not daemonized), logging to pgpool.log.
start_pgpool() {
    stop_pgpool
    [[ -f "$PGPOOL_DIR/pgpool.conf" ]] || write_pgpool_conf
    rm -f "$PGPOOL_DIR/pgpool_status"
    runuser -u "$MQ_RUN_USER" -- pgpool -n -D -f "$PGPOOL_DIR/pgpool.conf" -F "$PGPOOL_DIR/pcp.conf" \
        -a "$PGPOOL_DIR/pool_hba.conf" >>"$PGPOOL_DIR/pgpool.log" 2>&1 &
    wait_for 30 "pgpool to answer" pgpool_answers || { tail -n 30 "$PGPOOL_DIR/pgpool.log" >&2; die "pgpool did not start"; }
}

# stop_pgpool: SIGINT, pgpool's fast shutdown (SIGTERM, smart, would wait for clients); SIGKILL after 10 s.
stop_pgpool() {
    local pid deadline
    pid=$(pgpool_pid)
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -INT "$pid" 2>/dev/null || true      # fast shutdown
    deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { pkill -KILL -P "$pid" || true; kill -KILL "$pid" || true; }
    rm -f "$PGPOOL_DIR/pgpool.pid"
}
