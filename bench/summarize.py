#!/usr/bin/env python3
"""Turns a run's raw pgbench logs into results.csv, results.md and the data
files plot.sh draws. Usage: summarize.py RUN_DIR. Standard library only."""
import csv
import glob
import math
import os
import re
import sys

METHODS = ["direct", "dblink", "fdw", "pgpool", "race_query", "raced_table"]
SCENARIOS = ["healthy", "standby_stalled", "primary_loaded", "standby_hung", "standby_down"]
QUERIES = ["pk", "prefix"]
MISSING = "not measured in this run"


def read_meta(path):
    """The key=value lines run_read wrote."""
    meta = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            meta[key] = value
    return meta


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def read_latencies(config_dir):
    """Latencies (µs) and the span (s) of every logged transaction of one run."""
    latencies, first_start, last_end = [], None, None
    for path in glob.glob(os.path.join(config_dir, "txn.*")):
        with open(path) as f:
            for line in f:
                fields = line.split()
                # client_id transaction_no time script_no time_epoch time_us ...
                if len(fields) < 6 or not fields[2].isdigit():
                    continue
                latency = int(fields[2])
                end = int(fields[4]) + int(fields[5]) / 1e6
                start = end - latency / 1e6
                latencies.append(latency)
                first_start = start if first_start is None else min(first_start, start)
                last_end = end if last_end is None else max(last_end, end)
    latencies.sort()
    span = (last_end - first_start) if latencies else 0.0
    return latencies, span


def first_error(config_dir):
    """How many clients aborted, and the first error message pgbench printed."""
    path = os.path.join(config_dir, "pgbench.out")
    if not os.path.exists(path):
        return 0, ""
    text = open(path, errors="replace").read()
    aborted = len(re.findall(r"client \d+ (?:script \d+ )?aborted", text))
    match = re.search(r"(?:ERROR|FATAL|error):\s+(.*)", text)
    message = match.group(1).strip() if match else ""
    message = re.sub(r"^client \d+ .*?: ", "", message)
    return aborted, message[:120]


def summarize_reads(run_dir):
    """One row per (scenario, method, query, clients)."""
    rows = []
    for meta_path in sorted(glob.glob(os.path.join(run_dir, "raw", "*", "*", "meta"))):
        config_dir = os.path.dirname(meta_path)
        meta = read_meta(meta_path)
        row = {k: meta.get(k, "") for k in ("scenario", "method", "query", "clients", "intended")}
        row.update(ok=0, p50_ms="", p99_ms="", p999_ms="", calls_per_s="", aborted=0, note=meta.get("note", ""))
        if meta.get("status") == "unavailable":
            row["note"] = MISSING
            rows.append(row)
            continue
        latencies, span = read_latencies(config_dir)
        aborted, error = first_error(config_dir)
        row["ok"], row["aborted"] = len(latencies), aborted
        if latencies:
            row["p50_ms"] = "%.3f" % (percentile(latencies, 50) / 1000)
            row["p99_ms"] = "%.3f" % (percentile(latencies, 99) / 1000)
            row["p999_ms"] = "%.3f" % (percentile(latencies, 99.9) / 1000)
            row["calls_per_s"] = "%.0f" % (len(latencies) / span) if span > 0 else ""
        if aborted:
            problem = "%d client(s) aborted: %s" % (aborted, error)
        elif error and len(latencies) < int(row["intended"] or 0):
            problem = "could not connect: " + error
        else:
            problem = ""
        row["note"] = "; ".join(x for x in (row["note"], problem) if x)
        rows.append(row)
    order = lambda r: (SCENARIOS.index(r["scenario"]) if r["scenario"] in SCENARIOS else 99,
                       QUERIES.index(r["query"]) if r["query"] in QUERIES else 99, int(r["clients"] or 0),
                       METHODS.index(r["method"]) if r["method"] in METHODS else 99)
    return sorted(rows, key=order)


def read_csv_rows(run_dir, name):
    """The rows of a CSV file the run wrote, if it wrote it."""
    path = os.path.join(run_dir, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def read_drain(run_dir):
    """The drain results drain.sh wrote (drain.csv), if any."""
    return read_csv_rows(run_dir, "drain.csv")


def markdown_reads(rows):
    out = ["| scenario | method | query | clients | ok / intended | p50 ms | p99 ms | p99.9 ms | calls/s | notes |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        out.append("| %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s |" % (
            r["scenario"], r["method"], r["query"], r["clients"], r["ok"], r["intended"],
            r["p50_ms"] or "–", r["p99_ms"] or "–", r["p999_ms"] or "–", r["calls_per_s"] or "–",
            r["note"].replace("|", "\\|")))
    return out


def markdown_drain(rows):
    out = ["| method | rows | seconds | rows/s | lag p50 s | lag p99 s | peak RSS MB | notes |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % tuple(
            r.get(k) or "–" for k in ("method", "rows", "seconds", "rows_per_s", "lag_p50_s", "lag_p99_s", "rss_mb", "notes")))
    return out


def markdown_drain_rounds(rows):
    """DRAIN_ROUNDS: each round's backlog and poison rates against its own COPY."""
    by = {r["method"]: r for r in rows}
    rounds = []
    n = 1
    while "copy_round%d" % n in by:
        try:
            c = float(by["copy_round%d" % n]["rows_per_s"])
            b = float(by["worker_backlog_round%d" % n]["rows_per_s"])
            p = float(by["worker_poison_round%d" % n]["rows_per_s"])
            rounds.append((n, c, b / c, p / c))
        except (KeyError, ValueError):
            pass
        n += 1
    if not rounds:
        return []
    out = ["| round | COPY rows/s | from a backlog / COPY | 0.1% poison / COPY |",
           "| ---: | ---: | ---: | ---: |"]
    for n, c, b, p in rounds:
        out.append("| %d | %.0f | %.2fx | %.2fx |" % (n, c, b, p))
    med = lambda xs: sorted(xs)[len(xs) // 2] if len(xs) % 2 else sum(sorted(xs)[len(xs) // 2 - 1:len(xs) // 2 + 1]) / 2
    b, p = med([r[2] for r in rounds]), med([r[3] for r in rounds])
    out.append("")
    out.append("- median from a backlog: %.2fx COPY (goal 0.8x: %s)" % (b, "met" if b >= 0.8 else "MISSED"))
    out.append("- median with 0.1%% poison: %.2fx COPY (goal 0.5x: %s)" % (p, "met" if p >= 0.5 else "MISSED"))
    return out


def read_drain_cpu(run_dir):
    """The CPU each drain flow used, by kind of process (cpu.sh's drain_cpu.csv)."""
    return read_csv_rows(run_dir, "drain_cpu.csv")


def markdown_drain_cpu(rows, drain):
    """Each flow's CPU seconds, and the fastest the end-to-end flow could be
    on this machine's CPUs: its processes need `total` CPU seconds, and
    Redis runs on one thread, so it takes at least max(total / cpus, redis)."""
    kinds = ("backends", "worker", "redis", "redis_cli", "replay", "wal_stream", "other_pg")
    out = ["| flow | wall s | " + " | ".join(kinds) + " | total CPU s | busy CPUs |",
           "| --- | ---: | " + " | ".join("---:" for _ in kinds) + " | ---: | ---: |"]
    for r in rows:
        wall, total = float(r["wall_s"]), float(r["total"])
        out.append("| %s | %s | %s | %s | %.2f of %s |" % (
            r["method"], r["wall_s"], " | ".join(r[k] for k in kinds), r["total"],
            total / wall if wall > 0 else 0, r["cpus"]))
    copies = [float(d["seconds"]) for d in drain if d["method"] in ("copy", "copy_after") and d["seconds"]]
    e2e = next((r for r in rows if r["method"] == "worker"), None)
    if copies and e2e:
        copy_s = sum(copies) / len(copies)
        floor = max(float(e2e["total"]) / int(e2e["cpus"]), float(e2e["redis"]))
        out += ["",
                "- end to end at best on %s CPUs: %.2f s (its %s CPU s over %s CPUs, or Redis' %s s on its one thread), "
                "so at most %.2fx COPY (%.2f s, the mean of the run's first two); measured %.2fx"
                % (e2e["cpus"], floor, e2e["total"], e2e["cpus"], e2e["redis"], copy_s / floor, copy_s,
                   copy_s / float(e2e["wall_s"]))]
    return out


def find(rows, scenario, method, query, clients):
    for r in rows:
        if (r["scenario"], r["method"], r["query"], r["clients"]) == (scenario, method, query, str(clients)):
            return r
    return None


def goals(reads, drain):
    """The issue's goals, each met, missed or not yet measured."""
    out = []
    for query in QUERIES:
        for clients in (1, 8):
            race, dblink = find(reads, "healthy", "race_query", query, clients), find(reads, "healthy", "dblink", query, clients)
            if not race or not race["p50_ms"] or not dblink or not dblink["p50_ms"]:
                out.append("- race_query p50 healthy <= dblink's (%s, c%d): %s" % (query, clients, MISSING))
            else:
                met = float(race["p50_ms"]) <= float(dblink["p50_ms"])
                out.append("- race_query p50 healthy <= dblink's (%s, c%d): %s (%s ms vs %s ms)" % (
                    query, clients, "met" if met else "MISSED", race["p50_ms"], dblink["p50_ms"]))
            healthy = find(reads, "healthy", "race_query", query, clients)
            for scenario in ("standby_stalled", "standby_hung", "standby_down"):
                faulty = find(reads, scenario, "race_query", query, clients)
                if not healthy or not healthy["p99_ms"] or not faulty or not faulty["p99_ms"]:
                    out.append("- race_query p99 %s <= 1.5x healthy (%s, c%d): %s" % (scenario, query, clients, MISSING))
                    continue
                complete = int(faulty["ok"]) == int(faulty["intended"])
                met = complete and float(faulty["p99_ms"]) <= 1.5 * float(healthy["p99_ms"])
                out.append("- race_query p99 %s <= 1.5x healthy (%s, c%d): %s (%s ms vs %s ms healthy%s)" % (
                    scenario, query, clients, "met" if met else "MISSED", faulty["p99_ms"], healthy["p99_ms"],
                    "" if complete else ", with failed calls"))
    by = {r["method"]: r for r in drain}
    copy, naive = by.get("copy"), by.get("naive_daemon")
    # Two readings of the worker's rate: end to end (bounded by how fast the
    # entries are piped in) and from a standing backlog (the drain's own).
    measured = [(m, label) for m, label in (("worker", "end to end"), ("worker_backlog", "from a backlog"))
                if by.get(m) and by[m].get("rows_per_s")]
    if measured and copy and naive:
        c, n = float(copy["rows_per_s"]), float(naive["rows_per_s"])
        for method, label in measured:
            w = float(by[method]["rows_per_s"])
            out.append("- drain >= 50%% of COPY (%s): %s (%.0f%%)" % (label, "met" if w >= 0.5 * c else "MISSED", 100 * w / c))
            out.append("- drain >= 30x the naive daemon (%s): %s (%.1fx)" % (label, "met" if w >= 30 * n else "MISSED", w / n))
        rss = float(by[measured[-1][0]].get("rss_mb") or "nan")
        out.append("- worker RSS < 64 MB with a 1M backlog: %s (%.1f MB)" % ("met" if rss < 64 else "MISSED", rss))
    else:
        for goal in ("drain >= 50% of COPY", "drain >= 30x the naive daemon", "worker RSS < 64 MB with a 1M backlog"):
            out.append("- %s: %s" % (goal, MISSING))
    return out


def write_plot_data(run_dir, reads):
    """latency_<stat>_<query>_c<n>.dat: one line per scenario, one column per method."""
    for stat in ("p50_ms", "p99_ms"):
        for query in QUERIES:
            for clients in (1, 8):
                path = os.path.join(run_dir, "plot", "latency_%s_%s_c%d.dat" % (stat[:-3], query, clients))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                table = {}
                for scenario in SCENARIOS:
                    for method in METHODS:
                        r = find(reads, scenario, method, query, clients)
                        # a run with failed calls has no honest percentile: left out of the plot
                        if r and r[stat] and int(r["ok"]) == int(r["intended"]):
                            table[scenario, method] = r[stat]
                # only methods with a value somewhere: gnuplot rejects an empty column
                methods = [m for m in METHODS if any((s, m) in table for s in SCENARIOS)]
                with open(path, "w") as f:
                    f.write("scenario " + " ".join(methods) + "\n")
                    for scenario in SCENARIOS:
                        f.write(scenario.replace("_", "\\n") + " "
                                + " ".join(table.get((scenario, m), "NaN") for m in methods) + "\n")


def write_wins_data(run_dir):
    """plot/wins.dat: wins per second per target from the sampled counters;
    plot/phases.dat: when each scenario began, in seconds from the start."""
    samples = os.path.join(run_dir, "wins", "samples.tsv")
    phases = os.path.join(run_dir, "wins", "phases")
    if not os.path.exists(samples) or not os.path.exists(phases):
        return False
    counts = {}  # epoch -> {target: cumulative wins}
    for line in open(samples):
        fields = line.split()
        if len(fields) == 3:
            counts.setdefault(round(float(fields[0])), {})[fields[1]] = int(fields[2])
    starts = [(float(t), name) for t, name in (line.split() for line in open(phases) if line.strip())]
    if len(counts) < 2 or not starts:
        return False
    targets = sorted({t for c in counts.values() for t in c})
    times, origin = sorted(counts), starts[0][0]
    os.makedirs(os.path.join(run_dir, "plot"), exist_ok=True)
    with open(os.path.join(run_dir, "plot", "wins.dat"), "w") as f:
        f.write("t " + " ".join(targets) + "\n")
        for before, after in zip(times, times[1:]):
            rates = [(counts[after].get(t, 0) - counts[before].get(t, 0)) / max(after - before, 1) for t in targets]
            f.write("%.0f %s\n" % (after - origin, " ".join("%.1f" % r for r in rates)))
    with open(os.path.join(run_dir, "plot", "phases.dat"), "w") as f:
        for t, name in starts:
            f.write("%.1f %s\n" % (t - origin, name))
    return True


def main():
    run_dir = sys.argv[1]
    reads, drain = summarize_reads(run_dir), read_drain(run_dir)
    fields = ["scenario", "method", "query", "clients", "intended", "ok", "p50_ms", "p99_ms", "p999_ms",
              "calls_per_s", "aborted", "note"]
    with open(os.path.join(run_dir, "results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(reads)
    write_plot_data(run_dir, reads)
    write_wins_data(run_dir)
    lines = ["## Read latency", ""] + markdown_reads(reads)
    if drain:
        lines += ["", "## Drain throughput", ""] + markdown_drain(drain)
        rounds = markdown_drain_rounds(drain)
        if rounds:
            lines += ["", "## Drain rounds (issue 12)", ""] + rounds
        cpu = read_drain_cpu(run_dir)
        if cpu:
            lines += ["", "## Where the drain flows' CPU goes (issue 12)", ""] + markdown_drain_cpu(cpu, drain)
    lines += ["", "## Goals (issue 6)", ""] + goals(reads, drain)
    with open(os.path.join(run_dir, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
