-- Poison entries become dead letters with their error while the rest of
-- their batch lands; names from messages never reach SQL as text; and
-- retry_dead_letters() re-sends chosen ones, applied at most once.
\c postgres
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS multiquery;
DROP SCHEMA IF EXISTS queue_dl CASCADE;
DROP ROLE IF EXISTS queue_dl_owner;
RESET client_min_messages;
CREATE SCHEMA queue_dl;
-- The drained tables belong to an ordinary role, as the drain requires.
CREATE ROLE queue_dl_owner;
GRANT USAGE ON SCHEMA queue_dl TO queue_dl_owner;
CREATE TABLE queue_dl.t (
    seq int PRIMARY KEY,
    v int CHECK (v >= 0),
    note text DEFAULT 'default note'
);
CREATE TABLE queue_dl.all_defaults (id serial, note text DEFAULT 'all default');
CREATE TABLE queue_dl.victim (x int);
INSERT INTO queue_dl.victim VALUES (1);
ALTER TABLE queue_dl.t OWNER TO queue_dl_owner;
ALTER TABLE queue_dl.all_defaults OWNER TO queue_dl_owner;
ALTER TABLE queue_dl.victim OWNER TO queue_dl_owner;
-- A table a superuser owns: the drain does not write it unless
-- multiquery.drain_superuser_tables lists it.
CREATE TABLE queue_dl.superusers (seq int);
CREATE VIEW queue_dl.a_view AS SELECT * FROM queue_dl.t;
CREATE TABLE queue_dl.sent (n serial, entry_id text, what text);

-- Sends one raw entry and remembers its id.
CREATE FUNCTION queue_dl.send(what text, VARIADIC fields text[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO queue_dl.sent (entry_id, what)
    VALUES (multiquery._redis_xadd('multiquery', fields), what)
$$;

-- Waits (at most 20 s) until the query returns true.
CREATE FUNCTION queue_dl.wait_for(condition text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE ok boolean;
BEGIN
    FOR i IN 1 .. 400 LOOP
        EXECUTE condition INTO ok;
        EXIT WHEN ok;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN ok;
END $$;

SELECT queue_dl.send('good 1', 'table', 'queue_dl.t', 'row', '{"seq": 1, "v": 1}');
SELECT queue_dl.send('no table field', 'row', '{"seq": 100}');
SELECT queue_dl.send('no row field', 'table', 'queue_dl.t');
SELECT queue_dl.send('invalid json', 'table', 'queue_dl.t', 'row', '{"seq": 101, ');
SELECT queue_dl.send('unknown table', 'table', 'queue_dl.later', 'row', '{"seq": 102}');
SELECT queue_dl.send('unknown column', 'table', 'queue_dl.t', 'row', '{"seq": 103, "nope": 1}');
SELECT queue_dl.send('type error', 'table', 'queue_dl.t', 'row', '{"seq": "one hundred four"}');
SELECT queue_dl.send('check violation', 'table', 'queue_dl.t', 'row', '{"seq": 105, "v": -1}');
SELECT queue_dl.send('good 2 (two rows)', 'table', 'queue_dl.t',
                     'rows', '[{"seq": 2}, {"seq": 3, "note": null}]');
SELECT queue_dl.send('duplicate key', 'table', 'queue_dl.t', 'row', '{"seq": 1}');
SELECT queue_dl.send('one bad row spoils its entry', 'table', 'queue_dl.t',
                     'rows', '[{"seq": 106}, {"seq": 107, "v": -5}]');
SELECT queue_dl.send('oversized', 'table', 'queue_dl.t',
                     'row', '{"seq": 108, "note": "' || repeat('x', 1100000) || '"}');
SELECT queue_dl.send('a view', 'table', 'queue_dl.a_view', 'row', '{"seq": 109}');
SELECT queue_dl.send('a system table', 'table', 'pg_catalog.pg_class', 'row', '{"relname": "x"}');
SELECT queue_dl.send('information_schema', 'table', 'information_schema.sql_features',
                     'row', '{"feature_id": "X999", "feature_name": "x"}');
SELECT queue_dl.send('a superuser''s table', 'table', 'queue_dl.superusers', 'row', '{"seq": 114}');
SELECT queue_dl.send('own table', 'table', 'multiquery.drain_progress',
                     'row', '{"stream": "x", "last_id": "99999999999999-0"}');
-- Another session's temporary table (to the worker, this session is one).
CREATE TEMP TABLE queue_dl_tmp (seq int);
SELECT queue_dl.send('a temporary table', 'table', pg_my_temp_schema()::regnamespace || '.queue_dl_tmp',
                     'row', '{"seq": 113}');
SELECT queue_dl.send('injection via table', 'table', 'queue_dl.t; DROP TABLE queue_dl.victim',
                     'row', '{"seq": 110}');
SELECT queue_dl.send('injection via quoted table', 'table', 'queue_dl."t (seq) VALUES (111); DROP TABLE queue_dl.victim; --"',
                     'row', '{"seq": 111}');
SELECT queue_dl.send('injection via key', 'table', 'queue_dl.t',
                     'row', '{"seq": 112, "v) SELECT 1; DROP TABLE queue_dl.victim; --": 1}');
SELECT queue_dl.send('quoted names resolve as names', 'table', '"queue_dl"."t"', 'row', '{"seq": 4, "note": "a \"quoted\" note"}');
SELECT queue_dl.send('good 3', 'table', 'queue_dl.t', 'row', '{"seq": 5}');
SELECT queue_dl.send('good 4 (empty object: every column its default)', 'table', 'queue_dl.all_defaults', 'row', '{}');
-- Every entry is settled once the stream's progress reaches the last one sent.
SELECT queue_dl.wait_for($$
    SELECT p.last_id = s.entry_id FROM multiquery.drain_progress p,
        (SELECT entry_id FROM queue_dl.sent ORDER BY n DESC LIMIT 1) s
    WHERE p.stream = 'multiquery'$$) AS settled;

-- The good entries landed, in full; the poison ones did not.
SELECT seq, v, note FROM queue_dl.t ORDER BY seq;
SELECT id, note FROM queue_dl.all_defaults;
SELECT count(*) AS victim_rows FROM queue_dl.victim;

-- Each poison entry is one dead letter with its SQLSTATE and error.
SELECT s.what, d.sqlstate, left(d.error, 80) AS error
FROM queue_dl.sent s JOIN multiquery.dead_letters d USING (entry_id)
ORDER BY s.n;
-- A refusal's detail and hint are columns of their own, not error text; a
-- PostgreSQL error keeps its detail and hint, and the detail names the
-- table when the message does not. Each was parked at its batch's first try.
SELECT s.what, d.detail, d.hint, d.attempts
FROM queue_dl.sent s JOIN multiquery.dead_letters d USING (entry_id)
WHERE s.what IN ('a system table', 'a superuser''s table', 'check violation', 'duplicate key',
                 'unknown table')
ORDER BY s.n;
SELECT count(*) AS errors_with_detail_text FROM multiquery.dead_letters
WHERE error LIKE '%DETAIL:%' OR error LIKE '%HINT:%';
-- Monitoring (pg_monitor) reads every column but the payload, the user's data.
SELECT attname, has_column_privilege('pg_monitor', 'multiquery.dead_letters', attname, 'SELECT')
    AS pg_monitor_reads
FROM pg_attribute WHERE attrelid = 'multiquery.dead_letters'::regclass AND attnum > 0
    AND NOT attisdropped
ORDER BY attnum;
SELECT has_table_privilege('pg_monitor', 'multiquery.dead_letters', 'SELECT') AS whole_table;
-- The raw payload is kept, field by field.
SELECT d.payload FROM queue_dl.sent s JOIN multiquery.dead_letters d USING (entry_id)
WHERE s.what = 'unknown table';

-- Fix the cause, then retry: the entry lands and its dead letter is gone.
CREATE TABLE queue_dl.later (seq int);
ALTER TABLE queue_dl.later OWNER TO queue_dl_owner;
SELECT multiquery.retry_dead_letters(ARRAY(
    SELECT d.id FROM queue_dl.sent s JOIN multiquery.dead_letters d USING (entry_id)
    WHERE s.what = 'unknown table')) AS retried;
-- Waits (at most 20 s) for the retried row.
SELECT queue_dl.wait_for('SELECT EXISTS (SELECT FROM queue_dl.later)') AS retried_row;
SELECT seq FROM queue_dl.later;
SELECT count(*) AS letters_left FROM queue_dl.sent s JOIN multiquery.dead_letters d USING (entry_id)
WHERE s.what = 'unknown table';

-- A retry sent twice applies once: the first copy spends the dead letter.
ALTER TABLE queue_dl.t DROP CONSTRAINT t_v_check;
SELECT d.id AS check_letter FROM queue_dl.sent s JOIN multiquery.dead_letters d USING (entry_id)
WHERE s.what = 'check violation' \gset
SELECT multiquery.retry_dead_letters(ARRAY[:check_letter]::bigint[]) AS first,
       multiquery.retry_dead_letters(ARRAY[:check_letter]::bigint[]) AS second;
-- Both copies have passed the drain once its progress reaches the newest entry.
SELECT multiquery._redis_xadd('multiquery', ARRAY['marker', 'after both copies']) AS marker \gset
SELECT queue_dl.wait_for(format($$
    SELECT last_id = %L FROM multiquery.drain_progress WHERE stream = 'multiquery'$$, :'marker'))
    AS both_copies_drained;
SELECT count(*) AS letter_left FROM multiquery.dead_letters WHERE id = :check_letter;
-- Had the second copy been applied too, its duplicate key would be a new dead letter.
SELECT count(*) AS second_copy_letters FROM multiquery.dead_letters
WHERE payload @> ARRAY['retry_of', :'check_letter'];
SELECT seq, v FROM queue_dl.t WHERE seq = 105;

-- Retrying an entry that fails again makes a new dead letter with the new error.
SELECT d.id AS type_letter FROM queue_dl.sent s JOIN multiquery.dead_letters d USING (entry_id)
WHERE s.what = 'type error' \gset
SELECT multiquery.retry_dead_letters(ARRAY[:type_letter]::bigint[]) AS retried;
SELECT queue_dl.wait_for(format($$
    SELECT NOT EXISTS (SELECT FROM multiquery.dead_letters WHERE id = %s)$$, :type_letter))
    AS old_letter_gone;
SELECT sqlstate, payload[5] AS field, payload[6]::bigint = :type_letter AS names_old_letter
FROM multiquery.dead_letters
WHERE payload @> ARRAY['retry_of', :'type_letter'];

-- An entry that fails its checks again (it has no "table" field) replaces
-- its letter too, however often it is retried: one letter per entry.
SELECT d.id AS field_letter FROM queue_dl.sent s JOIN multiquery.dead_letters d USING (entry_id)
WHERE s.what = 'no table field' \gset
SELECT multiquery.retry_dead_letters(ARRAY[:field_letter]::bigint[]) AS retried;
SELECT queue_dl.wait_for(format($$
    SELECT NOT EXISTS (SELECT FROM multiquery.dead_letters WHERE id = %s)$$, :field_letter))
    AS old_letter_gone;
SELECT id AS field_letter2 FROM multiquery.dead_letters
WHERE payload @> ARRAY['retry_of', :'field_letter'] \gset
SELECT multiquery.retry_dead_letters(ARRAY[:field_letter2]::bigint[]) AS retried_again;
SELECT queue_dl.wait_for(format($$
    SELECT NOT EXISTS (SELECT FROM multiquery.dead_letters WHERE id = %s)$$, :field_letter2))
    AS second_letter_gone;
SELECT count(*) AS letters_of_the_entry, min(sqlstate) AS sqlstate FROM multiquery.dead_letters
WHERE id IN (:field_letter, :field_letter2) OR payload @> ARRAY['retry_of', :'field_letter']
   OR payload @> ARRAY['retry_of', :'field_letter2'];
DELETE FROM multiquery.dead_letters WHERE payload @> ARRAY['retry_of', :'field_letter2'];

-- Only an entry a retry re-added removes its letter. A producer that names
-- the letter in retry_of, on another stream or on its own, removes nothing:
-- its entry is applied on its own merits and the letter stays.
SELECT d.id AS kept_letter FROM queue_dl.sent s JOIN multiquery.dead_letters d USING (entry_id)
WHERE s.what = 'unknown column' \gset
SELECT multiquery._redis_xadd('events', ARRAY['table', 'queue_dl.t', 'row', '{"seq": 900}',
                                               'retry_of', :'kept_letter']) IS NOT NULL AS forged_elsewhere;
SELECT multiquery._redis_xadd('multiquery', ARRAY['table', 'queue_dl.t', 'row', '{"seq": 901}',
                                                   'retry_of', :'kept_letter']) IS NOT NULL AS forged_here;
SELECT queue_dl.wait_for($$SELECT count(*) = 2 FROM queue_dl.t WHERE seq IN (900, 901)$$)
    AS both_applied;
SELECT count(*) AS letter_kept FROM multiquery.dead_letters WHERE id = :kept_letter;
-- The retry's own copy is the one whose id the letter records.
SELECT multiquery.retry_dead_letters(ARRAY[:kept_letter]::bigint[]) AS retried;
SELECT array_length(retried_as, 1) AS copies_recorded FROM multiquery.dead_letters
WHERE id = :kept_letter;
SELECT queue_dl.wait_for(format($$
    SELECT NOT EXISTS (SELECT FROM multiquery.dead_letters WHERE id = %s)$$, :kept_letter))
    AS spent_by_its_copy;
-- A letter that can never succeed is discarded.
SELECT multiquery.discard_dead_letters(ARRAY(
    SELECT id FROM multiquery.dead_letters WHERE payload @> ARRAY['retry_of', :'kept_letter'])) AS discarded;
SELECT multiquery.discard_dead_letters() AS needs_a_choice;

SELECT multiquery.retry_dead_letters();

DELETE FROM multiquery.dead_letters d USING queue_dl.sent s WHERE d.entry_id = s.entry_id;
DELETE FROM multiquery.dead_letters WHERE entry_id = :'marker';
DELETE FROM multiquery.dead_letters WHERE payload @> ARRAY['retry_of', :'type_letter'];
DROP SCHEMA queue_dl CASCADE;
DROP ROLE queue_dl_owner;
