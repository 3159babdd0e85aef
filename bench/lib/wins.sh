# The share of race wins per target over time, through a scenario switch:
# healthy -> standby stalled -> primary loaded, while race_query clients run.
# Samples multiquery.race_stats' win counters every second (the per-minute
# view, multiquery.race_wins_per_minute, is too coarse for a one-minute run).

# sample_wins FILE SECONDS: epoch, target, cumulative wins, once a second.
sample_wins() {
    local i
    for ((i = 0; i < $2; i++)); do
        val "$MQ_PRIMARY_PORT" "select extract(epoch from clock_timestamp())::numeric(20,3), target, wins
            from multiquery.race_stats order by target" | tr '|' ' ' >>"$1" || true
        sleep 1
    done
}

# sleep_until EPOCH_START SECONDS: sleep until SECONDS after the start.
sleep_until() {
    local left
    left=$(awk -v s="$1" -v d="$2" -v now="$(date +%s.%N)" 'BEGIN { x = s + d - now; print (x > 0 ? x : 0) }')
    sleep "$left"
}

run_wins_switch() {
    local out="$RUN_DIR/wins"
    mkdir -p "$out"
    if ! race_available; then
        echo "$RACE_MISSING" >"$out/note"
        log "wins over time: $RACE_MISSING"
        return 0
    fi
    local third=$((WINS_S / 3)) start bench_pid sampler_pid
    log "wins over time: ${WINS_S}s of race_query, healthy -> standby_stalled -> primary_loaded"
    val "$MQ_PRIMARY_PORT" "select multiquery.race_stats_reset()" >/dev/null
    start=$(date +%s.%N)
    PGOPTIONS="-c statement_timeout=$CALL_DEADLINE_MS" timeout -k 5 $((WINS_S + 30)) \
        pgbench -n -M extended -h 127.0.0.1 -p "$MQ_PRIMARY_PORT" -U "$DB_USER" -c 4 -j 2 -T "$WINS_S" \
        -D rows="$DOC_ROWS" -D deadline="$CALL_DEADLINE_MS" -f "$BENCH_DIR/sql/race_pk.sql" "$BENCH_DB" \
        >"$out/pgbench.out" 2>&1 &
    bench_pid=$!
    : >"$out/samples.tsv"
    sample_wins "$out/samples.tsv" $((WINS_S + 2)) &
    sampler_pid=$!
    echo "$start healthy" >"$out/phases"
    sleep_until "$start" "$third"
    echo "$(date +%s.%N) standby_stalled" >>"$out/phases"
    apply_scenario standby_stalled || log "could not stall the standby"
    sleep_until "$start" $((2 * third))
    clear_scenario standby_stalled || true
    echo "$(date +%s.%N) primary_loaded" >>"$out/phases"
    apply_scenario primary_loaded || log "could not load the primary"
    wait "$bench_pid" || true
    wait "$sampler_pid" || true
    clear_scenario primary_loaded || true
}
