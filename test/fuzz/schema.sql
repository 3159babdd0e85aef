-- The schema the raced-tables fuzzer reads, run in its own database on the
-- primary (the standby replays it). Schema src holds the real tables, the
-- oracle; schema raced holds a racing foreign table of the same name and
-- columns over each of them; schema local holds a plain table that queries
-- join with both. Every value is computed from generate_series, so that two
-- runs hold the same rows in the same physical order.
--
-- RacedFuzz.pm relies on two things here: in each column, values that
-- compare equal print alike (so that a subquery ordered by one column and
-- bounded picks the same text whatever the plan), and the join keys it
-- lists in @JOIN_KEYS.
--
-- Expects the race targets mq_primary and mq_standby1 (servers of this
-- database) to exist; creates the race group raced_group over them.

SET client_min_messages = warning;

CREATE SCHEMA src;
CREATE SCHEMA raced;
CREATE SCHEMA local;

CREATE TYPE src.mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic');

-- Wide: every kind of value whose text form depends on a setting or whose
-- comparison depends on a collation, with NULLs and edge values mixed in.
CREATE TABLE src.items (
    id int PRIMARY KEY,
    big bigint,
    price numeric(12, 3),
    ratio float8,
    name text,
    code text COLLATE "C",
    day date,
    at timestamptz,
    span interval,
    flag bool,
    doc jsonb,
    nums int[],
    uid uuid,
    mood src.mood,
    blob bytea
);

INSERT INTO src.items
SELECT g,
       CASE WHEN g % 17 = 0 THEN NULL
            WHEN g % 13 = 0 THEN -9223372036854775807 + g
            ELSE (g::bigint * 2654435761) % 10000000000 - 5000000000 END,
       CASE WHEN g % 19 = 0 THEN NULL
            WHEN g % 97 = 0 THEN 'NaN'::numeric
            ELSE round(((g * 7919) % 200000 - 100000)::numeric / 7, 3) END,
       CASE g % 101 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN 'Infinity' WHEN 2 THEN '-Infinity'
                    WHEN 3 THEN '-0' WHEN 4 THEN 1e-300 WHEN 5 THEN NULL
                    ELSE ((g * 104729) % 100003)::float8 / 3.0 - 16000 END,
       CASE WHEN g % 11 = 0 THEN NULL
            ELSE (ARRAY['apple', 'Apple', 'Äpfel', 'apfel', 'zebra', 'Zebra', 'éclair',
                        'eclair', 'a b', 'a-b', 'ab', '', 'straße', 'strasse', 'ǅ', '10', '9',
                        'o''brien', 'back\slash', 'tab	tab', 'new
line', '日本'])[1 + (g * 31) % 22] || CASE WHEN g % 3 = 0 THEN '' ELSE ' ' || (g % 50)::text END
       END,
       CASE WHEN g % 23 = 0 THEN NULL
            ELSE (ARRAY['a', 'B', 'b', 'A', '_x', 'Z9', 'z', 'é', 'E'])[1 + (g * 7) % 9] || (g % 40)::text
       END,
       CASE WHEN g % 29 = 0 THEN NULL
            WHEN g % 331 = 0 THEN 'infinity'::date
            WHEN g % 337 = 0 THEN '4713-01-01 BC'::date
            ELSE date '2000-01-01' + ((g * 37) % 12000 - 3000) END,
       CASE WHEN g % 31 = 0 THEN NULL
            WHEN g % 401 = 0 THEN '-infinity'::timestamptz
            WHEN g % 409 = 0 THEN '0044-03-15 12:00:00+00 BC'::timestamptz
            ELSE timestamptz '2021-03-28 00:30:00+00' + ((g * 7243) % 500000) * interval '1 minute'
                 + (g % 7) * interval '1.000123 second' END,
       CASE WHEN g % 37 = 0 THEN NULL
            ELSE make_interval(years => (g % 5) - 2, months => g % 14, days => (g * 3) % 61 - 30,
                               hours => g % 30, mins => g % 61, secs => (g % 13) * 1.5) END,
       CASE WHEN g % 41 = 0 THEN NULL ELSE g % 3 = 0 END,
       CASE WHEN g % 43 = 0 THEN NULL
            WHEN g % 5 = 0 THEN jsonb_build_array(g, 'x' || g, g % 2 = 0, NULL)
            WHEN g % 5 = 1 THEN 'null'::jsonb
            ELSE jsonb_build_object('k', g % 10, 'name', 'n' || g, 'f', g / 7.0,
                                    'nested', jsonb_build_object('a', ARRAY[g, g + 1])) END,
       CASE WHEN g % 47 = 0 THEN NULL
            WHEN g % 53 = 0 THEN '{}'::int[]
            WHEN g % 59 = 0 THEN ARRAY[NULL, g]::int[]
            ELSE ARRAY[g % 10, g % 7, g % 3] END,
       CASE WHEN g % 61 = 0 THEN NULL
            ELSE lpad(to_hex(g * 2654435761), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0') END::uuid,
       CASE WHEN g % 67 = 0 THEN NULL ELSE (enum_range(NULL::src.mood))[1 + g % 4] END,
       CASE WHEN g % 71 = 0 THEN NULL
            ELSE decode(lpad(to_hex(g * 40503 % 65536), 4, '0') || repeat('5c27', g % 3), 'hex') END
FROM generate_series(1, 3000) g;

-- Many rows per item, joined with items on item_id.
CREATE TABLE src.events (
    id bigint PRIMARY KEY,
    item_id int,
    kind text,
    amount numeric,
    weight float8,
    score real,
    happened timestamptz,
    happened_local timestamp,
    clock time,
    note text,
    ok bool
);

INSERT INTO src.events
SELECT g,
       CASE WHEN g % 50 = 0 THEN NULL ELSE 1 + (g * 13) % 3100 END,
       (ARRAY['click', 'view', 'buy', 'Buy', 'refund', NULL])[1 + g % 6],
       CASE WHEN g % 21 = 0 THEN NULL ELSE round(((g * 7) % 1000)::numeric / 100, 2) END,
       CASE WHEN g % 27 = 0 THEN NULL ELSE 1.0 / (1 + g % 9) END,
       CASE WHEN g % 33 = 0 THEN NULL ELSE (g % 1000)::real / 7 END,
       timestamptz '2019-10-27 00:00:00+00' + (g * 97 % 200000) * interval '1 minute',
       timestamp '1999-12-31 23:00:00' + (g * 89 % 100000) * interval '17 second',
       time '00:00:00' + (g * 1031 % 86400) * interval '1 second' + (g % 10) * interval '1 microsecond',
       CASE WHEN g % 9 = 0 THEN NULL ELSE repeat(chr(65 + g % 26), 1 + g % 5) || ' ' || g END,
       CASE WHEN g % 13 = 0 THEN NULL ELSE g % 2 = 0 END
FROM generate_series(1, 5000) g;

-- Narrow and long: a read of it outgrows a work_mem of 64kB, so the raced
-- scan's tuplestore spills to disk.
CREATE TABLE src.ticks (
    n int,
    g int,
    label text COLLATE "C"
);

INSERT INTO src.ticks
SELECT g, g % 100, CASE WHEN g % 10 = 0 THEN NULL ELSE 't' || (g % 1000) END
FROM generate_series(1, 100000) g;

CREATE INDEX ON src.ticks (n);
CREATE INDEX ON src.events (item_id);
CREATE INDEX ON src.items (code);

-- A remote view: a raced table may read one.
CREATE VIEW src.item_totals AS
SELECT item_id, count(*) AS events, sum(amount) AS total, max(happened) AS last_at
FROM src.events GROUP BY item_id;

ANALYZE src.items, src.events, src.ticks;

-- The local table: the same in both runs of a query.
CREATE TABLE local.picks (
    item_id int,
    label text,
    since date
);

INSERT INTO local.picks
SELECT (g * 61) % 3050, 'pick ' || g, date '2010-01-01' + g * 40
FROM generate_series(1, 60) g;
ANALYZE local.picks;

CREATE SERVER raced_group FOREIGN DATA WRAPPER multiquery
    OPTIONS (targets 'mq_primary, mq_standby1');

IMPORT FOREIGN SCHEMA src FROM SERVER raced_group INTO raced;

-- IMPORT FOREIGN SCHEMA leaves collations out: give each raced column its
-- real column's collation, or the two runs of a query would sort and compare
-- text differently by construction.
DO $$
DECLARE
    col record;
BEGIN
    FOR col IN
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
               co.collname
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_collation co ON co.oid = a.attcollation
        WHERE c.relnamespace = 'src'::regnamespace AND c.relkind IN ('r', 'v')
          AND a.attnum > 0 AND NOT a.attisdropped AND a.attcollation <> 100
    LOOP
        EXECUTE format('ALTER FOREIGN TABLE raced.%I ALTER COLUMN %I TYPE %s COLLATE %I',
                       col.relname, col.attname, col.type, col.collname);
    END LOOP;
END
$$;

ANALYZE raced.items, raced.events, raced.ticks, raced.item_totals;

-- The role sqlsmith reads the schema as: it sees the raced and local tables
-- only, so every generated query reads raced tables by their qualified name.
CREATE ROLE fuzz_gen LOGIN;
GRANT USAGE ON SCHEMA raced, local TO fuzz_gen;
GRANT SELECT ON ALL TABLES IN SCHEMA raced, local TO fuzz_gen;
