#!/usr/bin/env python3
"""The drain benchmark's events, the same rows for every method.
  events.py csv COUNT FILE            rows for COPY
  events.py resp COUNT STREAM FILE [POISON_EVERY]
                                      XADD commands for redis-cli --pipe; with
                                      POISON_EVERY, every so many entries is
                                      poison (a user_id that is no integer)
  events.py produce RATE SECONDS STREAM PORT
                                      XADD at a steady rate with ts = now (lag runs)
Each entry is: XADD <stream> * table events row <json object>."""
import csv
import datetime
import json
import sys
import time

KINDS = ["view", "click", "purchase", "signup"]
BASE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def event(i, ts=None):
    """Event number i, a dict of the events table's columns."""
    return {
        "id": i,
        "user_id": (i * 7919) % 100000,
        "kind": KINDS[i % 4],
        "properties": {"page": "/p/%d" % (i % 5000), "ms": i % 977, "ab": "AB"[i % 2]},
        "ts": (ts or BASE + datetime.timedelta(milliseconds=i)).isoformat(),
    }


def resp(*parts):
    """One Redis command in the protocol redis-cli --pipe sends as is."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def write_csv(count, path):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        for i in range(1, count + 1):
            e = event(i)
            writer.writerow([e["id"], e["user_id"], e["kind"], json.dumps(e["properties"]), e["ts"]])


def write_resp(count, stream, path, poison_every=0):
    with open(path, "wb") as f:
        for i in range(1, count + 1):
            e = event(i)
            if poison_every and i % poison_every == 0:
                e["user_id"] = "poison %d" % i  # a dead letter, SQLSTATE 22P02
            f.write(resp("XADD", stream, "*", "table", "events", "row", json.dumps(e)))


def produce(rate, seconds, stream, port):
    """Sends rate entries a second, in 10 ms batches, each stamped when sent."""
    import redis  # Debian's python3-redis
    client = redis.Redis(host="127.0.0.1", port=port)
    batch, sent, start = max(1, rate // 100), 0, time.monotonic()
    total = rate * seconds
    while sent < total:
        pipe = client.pipeline(transaction=False)
        now = datetime.datetime.now(datetime.timezone.utc)
        for _ in range(min(batch, total - sent)):
            sent += 1
            pipe.xadd(stream, {"table": "events", "row": json.dumps(event(sent, now))})
        pipe.execute()
        delay = start + sent / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(sent)


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "csv":
        write_csv(int(args[0]), args[1])
    elif kind == "resp":
        write_resp(int(args[0]), args[1], args[2], int(args[3]) if len(args) > 3 else 0)
    elif kind == "produce":
        produce(int(args[0]), int(args[1]), args[2], int(args[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
