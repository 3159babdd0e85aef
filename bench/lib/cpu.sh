# Where a drain flow's CPU goes: the CPU seconds each kind of process used
# between cpu_begin and cpu_end, one row of $RUN_DIR/drain_cpu.csv per flow.
#
# Why: on a machine with few CPUs a flow can be bounded by the CPU all its
# processes need, not by the drain. The end-to-end flow has Redis take in
# the entries (one thread) and redis-cli send them, work the COPY of a file
# never does; with this accounting, results.md states how fast that flow
# could be at best on this machine (summarize.py), next to how fast it was.
#
# Read from /proc/<pid>/stat (utime + stime, in clock ticks). A backend that
# exits inside the window (COPY's, the wait's) is counted through its
# postmaster's cutime + cstime, which grow when the postmaster reaps it.

CPU_TICKS=$(getconf CLK_TCK)

# cpu_class CMDLINE: the kind of process, or nothing if it is not counted.
cpu_class() {
    case "$1" in
        *redis-server*:"$MQ_REDIS_PORT"*) echo redis ;;
        *"drain worker"*) echo worker ;;
        *"startup recovering"*) echo replay ;;
        *walsender* | *walreceiver*) echo wal_stream ;;
        "postgres: mq_"*) echo other_pg ;;
    esac
}

# reaped_ticks SERVER (primary or standby): the CPU ticks of the server's
# exited backends, its postmaster's cutime + cstime (fields 16 and 17 of
# stat); 0 if the server is not running.
reaped_ticks() {
    local pid stat fields
    pid=$(head -n 1 "$MQ_CLUSTER_DIR/$1/postmaster.pid" 2>/dev/null) || { echo 0; return; }
    read -r stat <"/proc/$pid/stat" 2>/dev/null || { echo 0; return; }
    read -r -a fields <<<"${stat##*) }"
    echo $((fields[13] + fields[14]))
}

# reaped_backend_ticks: "primary_ticks standby_ticks": a pgbench run's
# sessions, and the remote sessions they opened, once all have ended.
reaped_backend_ticks() { echo "$(reaped_ticks primary) $(reaped_ticks standby)"; }

# cpu_snapshot FILE: "key class ticks" for every counted process, and the
# exited backends of both servers as one key.
cpu_snapshot() {
    local file=$1 dir pid cmd class stat fields pm
    : >"$file"
    for dir in /proc/[0-9]*; do
        pid=${dir#/proc/}
        cmd=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null) || continue
        class=$(cpu_class "$cmd")
        [[ -n "$class" ]] || continue
        read -r stat <"$dir/stat" 2>/dev/null || continue
        # Fields after the command name (which may hold spaces): 14 and 15 of stat.
        read -r -a fields <<<"${stat##*) }"
        echo "$pid $class $((fields[11] + fields[12]))" >>"$file"
    done
    for pm in primary standby; do
        echo "reaped-$pm backends $(reaped_ticks "$pm")" >>"$file"
    done
}

cpu_begin() { mkdir -p "$STATE_DIR"; cpu_snapshot "$STATE_DIR/cpu_before"; }

# cpu_end METHOD WALL_S [REDIS_CLI_S]: writes the flow's row; REDIS_CLI_S is
# the producer's own CPU (bash's `time` of the pipe), when there was one.
cpu_end() {
    local method=$1 wall=$2 cli=${3:-0}
    # The postmaster reaps an exited backend a moment after psql returns.
    sleep 0.2
    cpu_snapshot "$STATE_DIR/cpu_after"
    [[ -f "$RUN_DIR/drain_cpu.csv" ]] \
        || echo "method,cpus,wall_s,backends,worker,redis,redis_cli,replay,wal_stream,other_pg,total" >"$RUN_DIR/drain_cpu.csv"
    awk -v method="$method" -v cpus="$(nproc)" -v wall="$wall" -v cli="$cli" -v hz="$CPU_TICKS" '
        NR == FNR { before[$1] = $3; next }
        { used[$2] += $3 - (($1 in before) ? before[$1] : 0) }
        END {
            split("backends worker redis replay wal_stream other_pg", order, " ")
            line = method "," cpus "," wall
            total = cli
            for (i = 1; i <= 6; i++) {
                s = used[order[i]] / hz
                total += s
                line = line "," sprintf("%.2f", s)
                if (i == 3) line = line "," sprintf("%.2f", cli)
            }
            print line "," sprintf("%.2f", total)
        }' "$STATE_DIR/cpu_before" "$STATE_DIR/cpu_after" >>"$RUN_DIR/drain_cpu.csv"
}

# cpu_settle METHOD WALL_S [REDIS_CLI_S]: cpu_end once the standby has
# replayed the flow's WAL: its replay is part of what the flow costs.
cpu_settle() {
    wait_for 180 "the standby to replay the flow" standby_caught_up || true
    cpu_end "$@"
}
