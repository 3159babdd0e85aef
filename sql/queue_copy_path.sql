-- The drain loads runs of rows with COPY when it can (issue 12): what lands
-- must be exactly what 0.2's INSERT ... SELECT FROM jsonb_to_recordset made
-- of the same JSON text, column type by column type: defaults for missing
-- keys, explicit nulls, escapes, numbers jsonb rewrites, nested JSON into
-- jsonb, json, array and composite columns; and a poison row in the middle of
-- a run is a dead letter with its SQLSTATE while its neighbours land.
\c postgres
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS multiquery;
DROP SCHEMA IF EXISTS queue_cp CASCADE;
DROP ROLE IF EXISTS queue_cp_owner;
RESET client_min_messages;
CREATE SCHEMA queue_cp;
-- The drained tables belong to an ordinary role, as the drain requires.
CREATE ROLE queue_cp_owner;
GRANT USAGE ON SCHEMA queue_cp TO queue_cp_owner;
CREATE TYPE queue_cp.pair AS (a int, b text);
CREATE TABLE queue_cp.t (
    seq int PRIMARY KEY,
    s text DEFAULT 'default s',
    n numeric,
    f float8,
    b boolean,
    j jsonb,
    js json,
    arr int[],
    tarr text[],
    comp queue_cp.pair,
    vc varchar(5),
    ts timestamptz DEFAULT '2000-01-01 00:00:00+00'
);
-- The same rows through 0.2's statement, for comparison.
ALTER TABLE queue_cp.t OWNER TO queue_cp_owner;
CREATE TABLE queue_cp.expected (LIKE queue_cp.t INCLUDING DEFAULTS);
CREATE TABLE queue_cp.cases (n serial, row_json text, poison boolean DEFAULT false);

-- 0.2's INSERT for one row's JSON text, into queue_cp.expected.
CREATE FUNCTION queue_cp.insert_as_0_2(row_json text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE cols text; defs text;
BEGIN
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attname),
           string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', '
                      ORDER BY a.attname)
    INTO cols, defs
    FROM pg_attribute a
    WHERE a.attrelid = 'queue_cp.expected'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname IN (SELECT jsonb_object_keys(row_json::jsonb));
    EXECUTE format('INSERT INTO queue_cp.expected (%s) SELECT %s FROM jsonb_to_recordset($1) AS x(%s)',
                   cols, cols, defs)
    USING ('[' || row_json || ']')::jsonb;
END $$;

-- Waits (at most 20 s) until the query returns true.
CREATE FUNCTION queue_cp.wait_for(condition text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE ok boolean;
BEGIN
    FOR i IN 1 .. 400 LOOP
        EXECUTE condition INTO ok;
        EXIT WHEN ok;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN ok;
END $$;

INSERT INTO queue_cp.cases (row_json) VALUES
    ('{"seq": 1, "s": "plain", "n": 12.50, "f": 1.5, "b": true, "vc": "abc"}'),
    ('{"seq": 2, "s": "tab\there\nnewline\rcr\\backslash \"quoted\" \/slash", "n": -0.5, "f": 0, "b": false, "vc": "x"}'),
    ('{"seq": 3, "s": "\\N", "n": 7, "f": 2, "b": null, "vc": "\\."}'),
    ('{"seq": 4, "s": "\u00e9\u20ac\ud83d\ude00 caf\u00e9 \u0009\u005c", "n": 1, "f": 3, "b": true, "vc": "é€"}'),
    ('{"seq": 5, "s": null, "n": null, "f": null, "b": null, "vc": null}'),
    ('{"seq": 6, "s": 1e3, "n": 1E-2, "f": 2.5e1, "b": true, "vc": "e"}'),
    ('{"seq": 7, "s": -0, "n": -0.00, "f": -0, "b": false, "vc": "z"}'),
    ('{"seq": 8, "s": "first", "n": 1, "f": 1, "b": true, "vc": "d", "s": "last wins"}'),
    ('{"seq": 9, "s": {"nested": [1, "two", {"x": null}]}, "n": 2, "f": 2, "b": true, "vc": "o"}'),
    ('{"seq": 10, "j": {"b": 1, "a": [1, 2.50, "x\ty"], "a": 3}, "js": {"b": 1,  "a":	[1e2]}}'),
    ('{"seq": 11, "j": "a string", "js": "a string"}'),
    ('{"seq": 12, "j": 1e3, "js": -0.0}'),
    ('{"seq": 13, "j": null, "js": null}'),
    ('{"seq": 14, "j": ["\u00e9", {"k": "\ud83d\ude00"}], "js": true}'),
    ('{"seq": 15, "arr": [1, 2, 3], "tarr": ["a\tb", "c\\d", null]}'),
    ('{"seq": 16, "arr": "{4,5}", "tarr": "{x,y}"}'),
    ('{"seq": 17, "comp": {"a": 1, "b": "bee"}}'),
    ('{"seq": 18, "comp": "(2,\"see\")"}'),
    ('{"seq": 19}'),
    ('{"seq": 20, "ts": "2024-02-29T12:34:56.789+02"}'),
    ('{"seq": 21, "s": "after the poison", "n": 21, "f": 21, "b": true, "vc": "ok"}'),
    ('{"seq": 22, "s": "x", "n": 22, "f": 22, "b": true, "vc": "ok"}');
-- Poison in the middle of a run of rows with the same keys.
INSERT INTO queue_cp.cases (row_json, poison) VALUES
    ('{"seq": 100, "s": "too long for vc", "n": 1, "f": 1, "b": true, "vc": "abcdefg"}', true),
    ('{"seq": 101, "s": "not a number", "n": "NaNa", "f": 1, "b": true, "vc": "a"}', true);
INSERT INTO queue_cp.cases (row_json) VALUES
    ('{"seq": 23, "s": "y", "n": 23, "f": 23, "b": true, "vc": "ok"}');

SELECT queue_cp.insert_as_0_2(row_json) FROM queue_cp.cases WHERE NOT poison ORDER BY n;
SELECT count(*) AS expected_rows FROM queue_cp.expected;

-- All in one go, so that they share batches.
SELECT count(multiquery._redis_xadd('multiquery', ARRAY['table', 'queue_cp.t', 'row', row_json]))
FROM (SELECT row_json FROM queue_cp.cases ORDER BY n) c;
SELECT multiquery._redis_xadd('multiquery', ARRAY['marker', 'queue_cp']) AS marker \gset
SELECT queue_cp.wait_for(format($$
    SELECT last_id = %L FROM multiquery.drain_progress WHERE stream = 'multiquery'$$, :'marker'))
    AS drained;

-- Row by row, as text (json has no equality operator; its text is the point).
SELECT e.seq, t.seq IS NULL AS missing, t::text AS drained, e::text AS as_0_2
FROM queue_cp.expected e LEFT JOIN queue_cp.t t USING (seq)
WHERE t IS NULL OR t::text <> e::text
ORDER BY e.seq;
SELECT count(*) AS drained_rows,
       count(*) FILTER (WHERE seq >= 100) AS poison_rows
FROM queue_cp.t;
-- A few of them, to show what the comparison covers.
SELECT seq, s, n, vc FROM queue_cp.t WHERE seq IN (2, 3, 6, 7, 8, 9) ORDER BY seq;
SELECT seq, j, js, arr, tarr, comp FROM queue_cp.t WHERE seq BETWEEN 10 AND 18 ORDER BY seq;

SELECT d.sqlstate, left(d.error, 70) AS error, d.payload[4] AS row_json
FROM multiquery.dead_letters d
WHERE d.payload @> ARRAY['queue_cp.t']
ORDER BY d.id;

DELETE FROM multiquery.dead_letters WHERE payload @> ARRAY['queue_cp.t'];
DELETE FROM multiquery.dead_letters WHERE entry_id = :'marker';
DROP SCHEMA queue_cp CASCADE;
DROP ROLE queue_cp_owner;
