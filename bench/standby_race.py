"""The tables of bench/standby_race.sh, from its run directory: latency per
method and state with the wins per target, then the goals, each met or
missed. A ratio goal is met only when the pooled figure and the median of
the rounds' ratios both meet it.
    python3 bench/standby_race.py RUN_DIR
"""
import glob
import os
import statistics
import sys

run_dir = sys.argv[1]
runs = {}  # (name, state) -> {"lat": [...], "rounds": {round: [...]}, "wins": {target: n}}
for out in sorted(glob.glob(os.path.join(run_dir, "raw", "*"))):
    name, state, rnd = open(os.path.join(out, "meta")).read().split("\n")[:3]
    lat = []
    for log in glob.glob(os.path.join(out, "txn*")):
        for line in open(log):
            # client_id transaction_no time_us script_no time_epoch time_us
            lat.append(int(line.split()[2]) / 1000.0)
    r = runs.setdefault((name, state), {"lat": [], "rounds": {}, "wins": {}})
    r["lat"] += lat
    r["rounds"][int(rnd)] = lat
    wins = os.path.join(out, "wins")
    if os.path.exists(wins):
        for line in open(wins):
            if "|" in line:
                target, n = line.strip().split("|")
                r["wins"][target] = r["wins"].get(target, 0) + int(n)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")


def stat(values, what):
    if not values:
        return float("nan")
    return statistics.mean(values) if what == "mean" else pct(values, 0.99)


expected = {}
for (name, state), r in runs.items():
    expected[(name, state)] = len(r["rounds"])
calls = max((len(v) for r in runs.values() for v in r["rounds"].values()), default=0)

order = ["race on standby", "race on standby, 2 targets", "race on primary", "dblink standby", "direct standby",
         "race on standby, this", "race on standby, prev", "race on primary, this", "race on primary, prev"]
print("| state | method | calls answered | mean ms | p50 ms | p99 ms | wins per target |")
print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
for state in ("healthy", "loaded"):
    for name in order:
        r = runs.get((name, state))
        if r is None:
            continue
        lat = r["lat"]
        wins = ", ".join(f"{t.replace('bench_', '')} {n}" for t, n in sorted(r["wins"].items()))
        print(f"| {state} | {name} | {len(lat)} of {calls * len(r['rounds'])} | {stat(lat, 'mean'):.3f} | "
              f"{pct(lat, 0.5):.3f} | {pct(lat, 0.99):.3f} | {wins} |")


def ratio(a, b, what):
    """Pooled ratio of a's statistic to b's, and the median of the rounds' ratios."""
    ra, rb = runs.get(a), runs.get(b)
    if ra is None or rb is None:
        return None
    pooled = stat(ra["lat"], what) / stat(rb["lat"], what)
    per_round = [stat(ra["rounds"][k], what) / stat(rb["rounds"][k], what)
                 for k in ra["rounds"] if k in rb["rounds"] and ra["rounds"][k] and rb["rounds"][k]]
    return pooled, statistics.median(per_round) if per_round else float("nan")


print()
print("| goal | pooled; median of rounds | |")
print("| --- | --- | --- |")
goals = [
    ("loaded: race on standby p99 <= 1.2x dblink standby p99",
     ("race on standby", "loaded"), ("dblink standby", "loaded"), "p99", 1.2),
    ("loaded: race on standby p99 <= 0.5x race on primary p99",
     ("race on standby", "loaded"), ("race on primary", "loaded"), "p99", 0.5),
    ("healthy: race on standby mean <= 1.05x the previous release's",
     ("race on standby, this", "healthy"), ("race on standby, prev", "healthy"), "mean", 1.05),
    ("healthy: race on primary mean <= 1.05x the previous release's",
     ("race on primary, this", "healthy"), ("race on primary, prev", "healthy"), "mean", 1.05),
]
for text, a, b, what, bound in goals:
    r = ratio(a, b, what)
    if r is None:
        print(f"| {text} | not measured | |")
        continue
    verdict = "met" if max(r) <= bound else "**missed**"
    print(f"| {text} | {r[0]:.2f}x; {r[1]:.2f}x | {verdict} |")
reported = [
    ("loaded: race on standby p99 / healthy direct standby p99",
     ("race on standby", "loaded"), ("direct standby", "healthy"), "p99"),
    ("loaded: direct standby p99 / healthy direct standby p99 (the standby's own degradation)",
     ("direct standby", "loaded"), ("direct standby", "healthy"), "p99"),
    ("loaded: race on standby over primary + standby 1 p99 / dblink standby p99",
     ("race on standby, 2 targets", "loaded"), ("dblink standby", "loaded"), "p99"),
    ("loaded: race on primary p99 / dblink standby p99",
     ("race on primary", "loaded"), ("dblink standby", "loaded"), "p99"),
]
for text, a, b, what in reported:
    r = ratio(a, b, what)
    if r is not None:
        print(f"| {text} | {r[0]:.2f}x; {r[1]:.2f}x | reported |")
