# Preparing a run: Debian packages, the extension, the cluster, the data and
# every read method's objects. Source after common.sh.

# install_deps: the Debian packages the benchmark needs beyond the project's own.
install_deps() {
    bash "$MQ_ROOT/test/deps.sh"
    local packages=(pgpool2 gnuplot-nox python3 python3-redis python3-psycopg2 redis-tools)
    local missing=() p
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if (( ${#missing[@]} )); then
        mq_is_root || die "missing Debian packages: ${missing[*]} (sudo apt-get install -y ${missing[*]})"
        log "installing Debian packages: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    local ext
    ext="$("$PG_CONFIG" --sharedir)/extension"
    for p in dblink postgres_fdw; do
        [[ -f "$ext/$p.control" ]] || die "$p is not installed in $ext (Debian: it ships in postgresql-15)"
    done
    command -v pgbench >/dev/null || die "pgbench not found in $PG_BINDIR"
}

# write_server_conf FILE: the settings every run uses, appended to both servers' postgresql.conf.
write_server_conf() {
    cat >"$1" <<CONF
# ---- added by bench/run.sh ----
max_connections = 200
shared_buffers = 256MB
# A lock replayed on the standby waits for the standby's readers for as long
# as they run: that is how the "standby stalled" scenario stalls it.
max_standby_streaming_delay = -1
# The write queue (issue 4); ignored with a warning by builds without it.
multiquery.redis_host = '127.0.0.1'
multiquery.redis_port = $MQ_REDIS_PORT
multiquery.drain_database = '$BENCH_DB'
multiquery.drain_streams = 'bench_events'
multiquery.drain_group = 'bench'
CONF
}

start_cluster() {
    bash "$MQ_ROOT/test/cluster.sh" stop >/dev/null 2>&1 || true
    write_server_conf "$RUN_DIR/server.conf"
    MQ_EXTRA_CONF="$RUN_DIR/server.conf" bash "$MQ_ROOT/test/cluster.sh" start >"$RUN_DIR/cluster.log" 2>&1 \
        || { cat "$RUN_DIR/cluster.log" >&2; die "the cluster did not start"; }
    CLUSTER_STARTED=1
}

# load_data ROWS: the docs table, the read methods' objects, and the events table.
load_data() {
    PGDATABASE_BENCH=postgres primary -c "CREATE DATABASE $BENCH_DB"
    local standby_conninfo="host=127.0.0.1 port=$MQ_STANDBY_PORT dbname=$BENCH_DB user=$DB_USER connect_timeout=2 options=-cstatement_timeout=$CALL_DEADLINE_MS"
    primary -v rows="$1" -f "$BENCH_DIR/sql/schema.sql"
    primary -v standby_port="$MQ_STANDBY_PORT" -v fdw_options="-c statement_timeout=$CALL_DEADLINE_MS" \
            -v standby_conninfo="$standby_conninfo" -f "$BENCH_DIR/sql/methods.sql"
    primary -c "CREATE EXTENSION IF NOT EXISTS multiquery"
    if race_available; then
        primary -v primary_port="$MQ_PRIMARY_PORT" -v standby_port="$MQ_STANDBY_PORT" -v user="$DB_USER" \
                -f "$BENCH_DIR/sql/race_servers.sql"
        if raced_tables_available; then
            primary -v deadline="$CALL_DEADLINE_MS" -f "$BENCH_DIR/sql/raced_tables.sql"
        else
            log "$RACED_TABLES_MISSING: its rows will be marked as not measured"
        fi
    else
        log "$RACE_MISSING: its rows will be marked as not measured"
    fi
    # pgbench's own tables, written by the "primary loaded" scenario.
    pgbench -i -q -s "$LOAD_SCALE" -h 127.0.0.1 -p "$MQ_PRIMARY_PORT" -U "$DB_USER" "$BENCH_DB" >"$RUN_DIR/pgbench-init.log" 2>&1 \
        || { cat "$RUN_DIR/pgbench-init.log" >&2; die "pgbench -i failed"; }
    primary -c "CHECKPOINT"
    wait_for 120 "the standby to replay the data" standby_caught_up || die "the standby did not catch up"
    # The standby's first reads warm its cache, as the primary's are by the load.
    standby -c "SELECT count(*) FROM docs" -c "SELECT count(*) FROM docs WHERE title LIKE 'a%'" >/dev/null
}
