-- The drain writes binary COPY when every column of a group is of a type it
-- encodes itself (int2, int4, int8, bool, text, varchar, jsonb, timestamptz;
-- issue 12): what lands must be exactly what 0.2's INSERT ... SELECT FROM
-- jsonb_to_recordset made of the same JSON text. A value the binary
-- converter is not sure of (a string in an integer column, a timestamp it
-- does not parse itself) turns its group to COPY text, where PostgreSQL's
-- input functions judge it; poison in a binary group is still a dead letter
-- with its SQLSTATE while its neighbours land.
\c postgres
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS multiquery;
DROP SCHEMA IF EXISTS queue_cb CASCADE;
DROP ROLE IF EXISTS queue_cb_owner;
RESET client_min_messages;
CREATE SCHEMA queue_cb;
-- The drained tables belong to an ordinary role, as the drain requires.
CREATE ROLE queue_cb_owner;
GRANT USAGE ON SCHEMA queue_cb TO queue_cb_owner;
CREATE TABLE queue_cb.t (
    seq int PRIMARY KEY,
    i2 int2,
    i8 int8,
    b boolean,
    s text DEFAULT 'default s',
    vc varchar(5),
    j jsonb,
    ts timestamptz DEFAULT '2000-01-01 00:00:00+00'
);
ALTER TABLE queue_cb.t OWNER TO queue_cb_owner;
CREATE TABLE queue_cb.expected (LIKE queue_cb.t INCLUDING DEFAULTS);
CREATE TABLE queue_cb.cases (n serial, row_json text, poison boolean DEFAULT false);

-- 0.2's INSERT for one row's JSON text, into queue_cb.expected.
CREATE FUNCTION queue_cb.insert_as_0_2(row_json text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE cols text; defs text;
BEGIN
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attname),
           string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                      ORDER BY a.attname)
    INTO cols, defs
    FROM pg_attribute a
    WHERE a.attrelid = 'queue_cb.expected'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname IN (SELECT jsonb_object_keys(row_json::jsonb));
    EXECUTE format('INSERT INTO queue_cb.expected (%s) SELECT %s FROM jsonb_to_recordset($1) AS x(%s)',
                   cols, cols, defs)
    USING ('[' || row_json || ']')::jsonb;
END $$;

CREATE FUNCTION queue_cb.wait_for(condition text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE ok boolean;
BEGIN
    FOR i IN 1 .. 400 LOOP
        EXECUTE condition INTO ok;
        EXIT WHEN ok;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN ok;
END $$;

-- Group A: every key, every value one the binary converter writes.
INSERT INTO queue_cb.cases (row_json) VALUES
    ('{"seq": 1, "i2": 32767, "i8": -9223372036854775808, "b": true, "s": "plain", "vc": "abc", "j": {"a": [1, 2.50, "x\ty"], "a": 3}, "ts": "2026-01-01T00:00:00.001000+00:00"}'),
    ('{"ts": "2024-02-29 12:34:56.789+02", "j": "a string", "vc": "é€", "s": "tab\there\nnl\rcr\\bs \"q\" \/", "b": false, "i8": 9223372036854775807, "i2": -32768, "seq": 2}'),
    ('{"seq": 3, "i2": null, "i8": null, "b": null, "s": null, "vc": null, "j": null, "ts": null}'),
    ('{"seq": 4, "i2": 0, "i8": -0, "b": true, "s": "\u00e9\ud83d\ude00 \\N", "vc": "\\.", "j": 1e3, "ts": "1999-12-31T23:59:59.999999-14:00"}'),
    ('{"seq": 5, "i2": 5, "i8": 5, "b": false, "s": 12.50, "vc": "", "j": [true, null, "\u00e9"], "ts": "0001-01-01T00:00:00Z"}'),
    ('{"seq": 6, "i2": 6, "i8": 6, "b": true, "s": true, "vc": "x", "j": {}, "ts": "9999-12-31 23:59:59.5-0930"}'),
    ('{"seq": 7, "i2": 7, "i8": 7, "b": true, "s": "dup", "vc": "x", "j": {}, "ts": "2026-07-01T12:00:00+02:00", "s": "last wins"}');
-- Group B: other keys, and values the binary converter leaves to COPY text,
-- after rows it wrote: the group is written again as text.
INSERT INTO queue_cb.cases (row_json) VALUES
    ('{"seq": 20, "i8": 20, "ts": "2026-01-01T00:00:00Z", "s": "binary so far"}'),
    ('{"seq": 21, "i8": "21", "ts": "infinity", "s": "a string for int8, infinity"}'),
    ('{"seq": 22, "i8": 22, "ts": "2026-06-01T12:00:00.1234567+00", "s": "seven digits"}'),
    ('{"seq": 23, "i8": 23, "ts": "epoch", "s": "epoch"}');
-- Group C: strings for int2 and bool, and defaults for the missing keys.
INSERT INTO queue_cb.cases (row_json) VALUES
    ('{"seq": 30, "i2": "42", "b": "yes"}'),
    ('{"seq": 31}');
-- Poison: too long for vc, and a duplicate key, in the binary group A; an
-- int8 out of range in group B.
INSERT INTO queue_cb.cases (row_json, poison) VALUES
    ('{"seq": 100, "i2": 1, "i8": 1, "b": true, "s": "too long", "vc": "abcdefg", "j": {}, "ts": "2026-01-01T00:00:00Z"}', true),
    ('{"seq": 1, "i2": 1, "i8": 1, "b": true, "s": "seq 1 again", "vc": "a", "j": {}, "ts": "2026-01-01T00:00:00Z"}', true),
    ('{"seq": 101, "i8": 99999999999999999999, "ts": "2026-01-01T00:00:00Z", "s": "out of range"}', true);
INSERT INTO queue_cb.cases (row_json) VALUES
    ('{"seq": 8, "i2": 8, "i8": 8, "b": false, "s": "after the poison", "vc": "ok", "j": [8], "ts": "2026-01-01T08:00:00+08"}'),
    ('{"seq": 24, "i8": 24, "ts": "2026-01-01T00:00:00Z", "s": "after the poison"}');

SELECT queue_cb.insert_as_0_2(row_json) FROM queue_cb.cases WHERE NOT poison ORDER BY n;
SELECT count(*) AS expected_rows FROM queue_cb.expected;

-- All in one go, so that they share a batch.
SELECT count(multiquery._redis_xadd('multiquery', ARRAY['table', 'queue_cb.t', 'row', row_json]))
FROM (SELECT row_json FROM queue_cb.cases ORDER BY n) c;
SELECT multiquery._redis_xadd('multiquery', ARRAY['marker', 'queue_cb']) AS marker \gset
SELECT queue_cb.wait_for(format($$
    SELECT last_id = %L FROM multiquery.drain_progress WHERE stream = 'multiquery'$$, :'marker'))
    AS drained;

-- Row by row, as text: no row missing, none different.
SELECT e.seq, t.seq IS NULL AS missing, t::text AS drained, e::text AS as_0_2
FROM queue_cb.expected e LEFT JOIN queue_cb.t t USING (seq)
WHERE t IS NULL OR t::text <> e::text
ORDER BY e.seq;
SELECT count(*) AS drained_rows FROM queue_cb.t;
-- What a few of them hold, in UTC.
SET TimeZone = 'UTC';
SELECT seq, i2, i8, b, s, vc, j, ts FROM queue_cb.t WHERE seq IN (1, 2, 4, 6, 21, 22, 30) ORDER BY seq;
RESET TimeZone;

SELECT d.sqlstate, left(d.error, 70) AS error, d.payload[4] AS row_json
FROM multiquery.dead_letters d
WHERE d.payload @> ARRAY['queue_cb.t']
ORDER BY d.id;

DELETE FROM multiquery.dead_letters WHERE payload @> ARRAY['queue_cb.t'];
DELETE FROM multiquery.dead_letters WHERE entry_id = :'marker';
DROP SCHEMA queue_cb CASCADE;
DROP ROLE queue_cb_owner;
