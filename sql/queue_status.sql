-- multiquery.drain_status and the exactly-once rule: an entry at or below
-- the stream's recorded last applied id is acknowledged, never applied.
\c postgres
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS multiquery;
DROP SCHEMA IF EXISTS queue_status CASCADE;
DROP ROLE IF EXISTS queue_status_owner;
RESET client_min_messages;
CREATE SCHEMA queue_status;
-- The drained tables belong to an ordinary role, as the drain requires.
CREATE ROLE queue_status_owner;
GRANT USAGE ON SCHEMA queue_status TO queue_status_owner;
CREATE TABLE queue_status.t (n int);
ALTER TABLE queue_status.t OWNER TO queue_status_owner;

-- Waits (at most 20 s) until the query returns true.
CREATE FUNCTION queue_status.wait_for(condition text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE ok boolean;
BEGIN
    FOR i IN 1 .. 400 LOOP
        EXECUTE condition INTO ok;
        EXIT WHEN ok;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN ok;
END $$;

SELECT multiquery.enqueue('queue_status.t', '{"n": 1}') AS first_id \gset
SELECT queue_status.wait_for('SELECT count(*) = 1 FROM queue_status.t');

-- One row per worker and stream, with the worker's pid and its progress
-- (the other streams' progress depends on the tests before this one).
SELECT worker, stream, state, pid IS NOT NULL AS has_pid FROM multiquery.drain_status
ORDER BY worker, stream;
SELECT entries_applied >= 1 AS applied, last_applied_id IS NOT NULL AS has_last_id
FROM multiquery.drain_status WHERE stream = 'multiquery';
SELECT queue_status.wait_for($$
    SELECT pending = 0 AND lag = 0 FROM multiquery.drain_status WHERE stream = 'multiquery'$$)
    AS backlog_drained;
SELECT last_id = :'first_id' OR last_id > :'first_id' AS progress_recorded
FROM multiquery.drain_progress WHERE stream = 'multiquery';

-- Pretend a later entry was already committed (as after a crash between
-- COMMIT and XACK): the next entry, below that id, is skipped.
SELECT entries_skipped AS skipped_before FROM multiquery.drain_status
WHERE stream = 'multiquery' \gset
SELECT last_id AS saved_last_id FROM multiquery.drain_progress WHERE stream = 'multiquery' \gset
UPDATE multiquery.drain_progress SET last_id = '99999999999999-0' WHERE stream = 'multiquery';
SELECT multiquery.enqueue('queue_status.t', '{"n": 2}') AS skipped_id \gset
SELECT queue_status.wait_for(format($$
    SELECT entries_skipped > %s FROM multiquery.drain_status WHERE stream = 'multiquery'$$,
    :skipped_before)) AS skipped;
SELECT n FROM queue_status.t ORDER BY n;
UPDATE multiquery.drain_progress SET last_id = :'skipped_id' WHERE stream = 'multiquery';

-- Ordinary users cannot read the status (pg_read_all_stats members can).
CREATE ROLE queue_status_user;
SET ROLE queue_status_user;
SELECT count(*) FROM multiquery.drain_status;
RESET ROLE;
GRANT pg_read_all_stats TO queue_status_user;
SET ROLE queue_status_user;
SELECT count(*) > 0 AS visible FROM multiquery.drain_status;
RESET ROLE;
DROP ROLE queue_status_user;
DROP SCHEMA queue_status CASCADE;
DROP ROLE queue_status_owner;
