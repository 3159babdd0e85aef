#!/usr/bin/env python3
"""What a quick script does: read a Redis stream one entry at a time with a
consumer group and INSERT each entry in its own transaction, then XACK it.
The point of comparison for the multiquery drain worker.
  naive_daemon.py STREAM REDIS_PORT PG_DSN MAX_ROWS MAX_SECONDS
Stops after MAX_ROWS entries, after MAX_SECONDS, or after 5 s with nothing to
read; prints the rows it inserted and the seconds it spent."""
import json
import sys
import time

import psycopg2  # Debian's python3-psycopg2
import psycopg2.extras
import redis  # Debian's python3-redis
from psycopg2 import sql

GROUP, CONSUMER, IDLE_EXIT_S = "naive", "naive-1", 5


def insert(cursor, table, row):
    """INSERT one JSON object into table, naming only the columns it has."""
    columns = list(row)
    values = [psycopg2.extras.Json(v) if isinstance(v, (dict, list)) else v for v in row.values()]
    cursor.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(sql.Placeholder() * len(columns))), values)


def main():
    stream, port, dsn, max_rows, max_seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except redis.ResponseError:
        pass  # the group exists already
    conn = psycopg2.connect(dsn)
    conn.autocommit = False
    cursor = conn.cursor()
    done, first, last_seen = 0, None, time.monotonic()
    deadline = time.monotonic() + max_seconds
    while done < max_rows and time.monotonic() < deadline:
        reply = client.xreadgroup(GROUP, CONSUMER, {stream: ">"}, count=1, block=1000)
        if not reply:
            if done and time.monotonic() - last_seen > IDLE_EXIT_S:
                break
            continue
        for entry_id, fields in reply[0][1]:
            first = first or time.monotonic()
            insert(cursor, fields[b"table"].decode(), json.loads(fields[b"row"]))
            conn.commit()  # one transaction per entry, then the acknowledgement
            client.xack(stream, GROUP, entry_id)
            done += 1
        last_seen = time.monotonic()
    elapsed = (last_seen - first) if first else 0.0
    print("%d %.3f" % (done, elapsed))


if __name__ == "__main__":
    main()
