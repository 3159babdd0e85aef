#!/usr/bin/env python3
"""CPU time per call of each read method, on the local backend and on the
remote backends it uses, read from /proc (the servers run on this machine).

Latency on a shared machine is noisy; the CPU a call costs each process is
not: this is the cost that racing adds or saves, whatever else runs. Each
method runs CALLS primary-key lookups in a PL/pgSQL loop (so the outer
statement is planned once, as dblink's wrapper is), in a session of its own
whose connections are made and statements prepared by a warm-up first.

  cpu_per_call.py PORT DATABASE USER CALLS ROWS
Prints a Markdown table.
"""
import os
import sys

import psycopg2  # Debian's python3-psycopg2

port, database, user, calls, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    # utime and stime: fields 14 and 15, after the command name in parentheses.
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def race_loop(targets):
    return f"""DO $$ BEGIN FOR i IN 1 .. %s LOOP
        PERFORM * FROM multiquery.race_query('{targets}',
            'SELECT id, title, body FROM docs WHERE id = $1', ARRAY[(1 + i %% {rows})::text], 2000)
            AS t(id int, title text, body text);
        END LOOP; END $$"""


DBLINK_LOOP = f"""DO $$ BEGIN FOR i IN 1 .. %s LOOP
    PERFORM * FROM bench_dblink_pk(1 + i %% {rows}); END LOOP; END $$"""
DBLINK_PIDS = "SELECT * FROM dblink(bench_dblink_conn(), 'SELECT pg_backend_pid()') AS t(p int)"
RACE_PIDS = "SELECT server_pid FROM multiquery.race_connections() WHERE server_pid IS NOT NULL"
METHODS = [
    ("dblink", [], DBLINK_LOOP, DBLINK_PIDS),
    ("race1", [], race_loop("{bench_standby}"), RACE_PIDS),
    ("race1 unprepared", ["SET multiquery.race_prepared_statements = 0"], race_loop("{bench_standby}"), RACE_PIDS),
    ("race2", [], race_loop("{bench_primary,bench_standby}"), RACE_PIDS),
    ("race2 unprepared", ["SET multiquery.race_prepared_statements = 0"],
     race_loop("{bench_primary,bench_standby}"), RACE_PIDS),
]


def measure(setup, loop, remote_pids):
    conn = psycopg2.connect(host="127.0.0.1", port=port, user=user, dbname=database)
    conn.autocommit = True
    cur = conn.cursor()
    try:
        for statement in setup:
            cur.execute(statement)
        cur.execute(loop % 20)
    except psycopg2.Error:
        conn.close()
        return None  # a build without the setting: not measured
    cur.execute("SELECT pg_backend_pid()")
    pids = [cur.fetchone()[0]]
    cur.execute(remote_pids)
    pids += [row[0] for row in cur.fetchall()]
    before = [cpu_seconds(pid) for pid in pids]
    cur.execute(loop % calls)
    after = [cpu_seconds(pid) for pid in pids]
    conn.close()
    used = [(a - b) / calls * 1e6 for a, b in zip(after, before)]
    return used[0], sum(used[1:])


# Interleaved rounds, summed, so that every method sees the same machine.
totals = {name: [0.0, 0.0, 0] for name, *_ in METHODS}
for _ in range(2):
    for name, setup, loop, pids in METHODS:
        result = measure(setup, loop, pids)
        if result is not None:
            totals[name][0] += result[0]
            totals[name][1] += result[1]
            totals[name][2] += 1
base = totals["dblink"]
base_total = (base[0] + base[1]) / base[2]
print(f"| method ({calls} calls, CPU per call) | local us | remote us | total us | total / dblink |")
print("|---|---|---|---|---|")
for name, (local, remote, runs) in totals.items():
    if runs == 0:
        print(f"| {name} | not measured | | | |")
        continue
    local, remote = local / runs, remote / runs
    print(f"| {name} | {local:.0f} | {remote:.0f} | {local + remote:.0f} | {(local + remote) / base_total:.2f} |")
