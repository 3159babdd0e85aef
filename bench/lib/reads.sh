# One measured read configuration: pgbench with a method's script, logging
# every transaction's latency. run_read METHOD QUERY CLIENTS SCENARIO.
METHODS=(direct dblink fdw pgpool race_query raced_table)
QUERIES=(pk prefix)

# method_port / method_script: where the clients connect and what they send.
method_port() {
    case "$1" in
        direct) echo "$MQ_STANDBY_PORT" ;;
        pgpool) echo "$PGPOOL_PORT" ;;
        *) echo "$MQ_PRIMARY_PORT" ;;     # dblink, fdw, race_query and raced_table run on the primary
    esac
}
method_script() {
    case "$1" in
        direct|pgpool) echo "$BENCH_DIR/sql/plain_$2.sql" ;;
        race_query) echo "$BENCH_DIR/sql/race_$2.sql" ;;
        raced_table) echo "$BENCH_DIR/sql/raced_$2.sql" ;;
        *) echo "$BENCH_DIR/sql/$1_$2.sql" ;;
    esac
}

run_read() {
    local method=$1 query=$2 clients=$3 scenario=$4
    local out="$RUN_DIR/raw/$scenario/${method}_${query}_c$clients"
    local per_client=$(( (CALLS + clients - 1) / clients ))
    local threads=$(( clients < 2 ? clients : 2 ))
    mkdir -p "$out"
    printf 'scenario=%s\nmethod=%s\nquery=%s\nclients=%s\nintended=%s\n' \
        "$scenario" "$method" "$query" "$clients" $((per_client * clients)) >"$out/meta"
    if [[ $method == race_query || $method == raced_table ]] && ! race_available; then
        echo "status=unavailable" >>"$out/meta"
        echo "note=$RACE_MISSING" >>"$out/meta"
        return 0
    fi
    if [[ $method == raced_table ]] && ! raced_tables_available; then
        echo "status=unavailable" >>"$out/meta"
        echo "note=$RACED_TABLES_MISSING" >>"$out/meta"
        return 0
    fi
    local rc=0 start=$SECONDS
    # -M extended for every method: parameters travel as parameters, and pgpool
    # balances each statement on its own (a named prepared statement would pin
    # every execution to the node that parsed it).
    # PGOPTIONS: the deadline of the session pgbench opens (the standby for
    # direct, the primary for the others; pgpool passes it to both backends).
    PGOPTIONS="-c statement_timeout=$CALL_DEADLINE_MS" PGCONNECT_TIMEOUT=2 \
        timeout -k 5 "$RUN_CAP_S" pgbench -n -M extended -h 127.0.0.1 -p "$(method_port "$method")" \
        -U "$DB_USER" -c "$clients" -j "$threads" -t "$per_client" \
        -D rows="$DOC_ROWS" -D deadline="$CALL_DEADLINE_MS" \
        -f "$(method_script "$method" "$query")" -l --log-prefix="$out/txn" "$BENCH_DB" \
        >"$out/pgbench.out" 2>&1 || rc=$?
    printf 'status=ran\nrc=%s\nwall_s=%s\n' "$rc" $((SECONDS - start)) >>"$out/meta"
    (( rc == 124 || rc == 137 )) && echo "note=cut at the ${RUN_CAP_S}s cap" >>"$out/meta"
    log "$scenario $method $query c$clients: rc=$rc, $((SECONDS - start))s"
}
