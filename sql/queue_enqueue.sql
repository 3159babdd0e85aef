-- multiquery.enqueue(): SQL producers of the write queue. The cluster's
-- drain worker writes into database postgres, so this test works there.
-- Anywhere else enqueue() is refused: the drain would resolve the table's
-- name in postgres, where it may be another table with other rights.
CREATE TABLE enqueue_elsewhere (n int);
SELECT multiquery.enqueue('enqueue_elsewhere', '{"n": 1}');
DROP TABLE enqueue_elsewhere;
\c postgres
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS multiquery;
DROP SCHEMA IF EXISTS queue_enqueue CASCADE;
DROP ROLE IF EXISTS queue_enqueue_owner;
RESET client_min_messages;
CREATE SCHEMA queue_enqueue;
-- The drained tables belong to an ordinary role, as the drain requires.
CREATE ROLE queue_enqueue_owner;
GRANT USAGE ON SCHEMA queue_enqueue TO queue_enqueue_owner;
CREATE TABLE queue_enqueue.events (
    id bigint GENERATED ALWAYS AS IDENTITY,
    kind text NOT NULL,
    n int,
    at timestamptz DEFAULT '2020-01-01 00:00:00+00',
    "Mixed Case" text
);
ALTER TABLE queue_enqueue.events OWNER TO queue_enqueue_owner;

-- Waits (at most 20 s) until the table holds want rows; returns the count.
CREATE FUNCTION queue_enqueue.wait_rows(want bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE have bigint;
BEGIN
    FOR i IN 1 .. 400 LOOP
        SELECT count(*) INTO have FROM queue_enqueue.events;
        EXIT WHEN have >= want;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN have;
END $$;

-- enqueue() returns the Redis entry id; the drain inserts the row, and the
-- columns the JSON leaves out get their DEFAULT.
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "click", "n": 1}') ~ '^\d+-\d+$'
    AS returns_entry_id;
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "view", "Mixed Case": "yes"}',
                          'multiquery') ~ '^\d+-\d+$' AS names_the_stream;
SELECT count(multiquery.enqueue('queue_enqueue.events', jsonb_build_object('kind', 'k' || i, 'n', i)))
    AS sent
FROM generate_series(3, 10) i;
SELECT queue_enqueue.wait_rows(10);
-- A stream no worker reads is said at once: its entries would wait in Redis.
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "unread"}', 'nobody_reads')
    ~ '^\d+-\d+$' AS added_all_the_same;
-- In stream order (the identity column counts in insert order).
SELECT kind, n, at, "Mixed Case" FROM queue_enqueue.events ORDER BY id;

-- Bad calls are errors, before anything reaches Redis.
SELECT multiquery.enqueue('queue_enqueue.events', '[{"kind": "x"}]');
SELECT multiquery.enqueue('queue_enqueue.events', '"scalar"');
SELECT multiquery.enqueue(NULL, '{}');
SELECT multiquery.enqueue('queue_enqueue.events', NULL);
SELECT multiquery.enqueue('queue_enqueue.no_such_table', '{}');
SELECT multiquery.enqueue('queue_enqueue.events', '{}', '');

-- Only roles granted EXECUTE may enqueue (not PUBLIC) ...
CREATE ROLE queue_enqueue_user;
GRANT USAGE ON SCHEMA queue_enqueue TO queue_enqueue_user;
SET ROLE queue_enqueue_user;
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "no execute"}');
RESET ROLE;
GRANT EXECUTE ON FUNCTION multiquery.enqueue(regclass, jsonb, text) TO queue_enqueue_user;
-- ... and only what they could insert themselves: the table ...
SET ROLE queue_enqueue_user;
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "sneaky"}');
SELECT multiquery.enqueue('queue_enqueue.events', '{}');
RESET ROLE;
-- ... each column the row names ...
GRANT INSERT (kind) ON queue_enqueue.events TO queue_enqueue_user;
SET ROLE queue_enqueue_user;
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "sneaky", "n": 7}');
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "sneaky", "no_such_column": 7}');
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "sneaky", "ctid": "(0,1)"}');
SELECT multiquery.enqueue('queue_enqueue.events', '{}');
RESET ROLE;
-- ... and never past row-level security that applies to them.
ALTER TABLE queue_enqueue.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_granted ON queue_enqueue.events WITH CHECK (kind = 'granted');
SET ROLE queue_enqueue_user;
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "sneaky"}');
RESET ROLE;
DROP POLICY only_granted ON queue_enqueue.events;
ALTER TABLE queue_enqueue.events DISABLE ROW LEVEL SECURITY;
GRANT INSERT ON queue_enqueue.events TO queue_enqueue_user;
-- ... nor into a table of a schema they may not use, named by its OID (a
-- name would not resolve for them in the first place).
REVOKE USAGE ON SCHEMA queue_enqueue FROM queue_enqueue_user;
SET ROLE queue_enqueue_user;
SELECT multiquery.enqueue((SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = 'queue_enqueue' AND c.relname = 'events')::regclass,
                          '{"kind": "sneaky"}');
RESET ROLE;
GRANT USAGE ON SCHEMA queue_enqueue TO queue_enqueue_user;
SET ROLE queue_enqueue_user;
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "granted"}') IS NOT NULL AS sent;
RESET ROLE;
SELECT queue_enqueue.wait_rows(11);
SELECT kind FROM queue_enqueue.events WHERE kind IN ('sneaky', 'granted');

-- Redis unreachable: a clear connection error, not a hang or a crash.
SET multiquery.redis_port = 1;
SET multiquery.redis_timeout = '500ms';
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "lost"}');
\echo :LAST_ERROR_SQLSTATE
RESET multiquery.redis_port;
RESET multiquery.redis_timeout;
-- ... and the session goes on once Redis is reachable again.
SELECT multiquery.enqueue('queue_enqueue.events', '{"kind": "after"}') IS NOT NULL AS sent;
SELECT queue_enqueue.wait_rows(12);

-- No setting holds the password (0.2's redis_password is gone): only the
-- path of the file it is read from.
SHOW multiquery.redis_password_file;

DROP SCHEMA queue_enqueue CASCADE;
REVOKE EXECUTE ON FUNCTION multiquery.enqueue(regclass, jsonb, text) FROM queue_enqueue_user;
DROP ROLE queue_enqueue_user;
DROP ROLE queue_enqueue_owner;
