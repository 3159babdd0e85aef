-- multiquery 0.2 -> 0.3: security and hardening.
\echo Use "ALTER EXTENSION multiquery UPDATE TO '0.3'" to load this file. \quit

-- enqueue() is no longer executable by every role: the drain writes its rows
-- as the table's owner, so who may enqueue is granted deliberately, as for
-- race_query. Roles granted EXECUTE explicitly keep it.
REVOKE ALL ON FUNCTION multiquery.enqueue(regclass, jsonb, text) FROM PUBLIC;

-- drain_status shows how far each stream is trimmed: the view and its
-- function are made again with the new column (neither holds data).
DROP VIEW multiquery.drain_status;
DROP FUNCTION multiquery._drain_status();
CREATE FUNCTION multiquery._drain_status(
    OUT worker int, OUT pid int, OUT stream text, OUT state text,
    OUT entries_applied bigint, OUT rows_applied bigint, OUT entries_skipped bigint,
    OUT dead_letters bigint, OUT last_applied_id text, OUT pending bigint, OUT lag bigint,
    OUT last_error text, OUT last_error_at timestamptz, OUT updated_at timestamptz,
    OUT trimmed_to text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_drain_status'
LANGUAGE C VOLATILE STRICT;

CREATE VIEW multiquery.drain_status AS SELECT * FROM multiquery._drain_status();
COMMENT ON VIEW multiquery.drain_status IS
    'per drain worker and stream: state, entries applied, dead letters, backlog in Redis, last error, how far the stream is trimmed';
REVOKE ALL ON FUNCTION multiquery._drain_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION multiquery._drain_status() TO pg_read_all_stats;
GRANT SELECT ON multiquery.drain_status TO pg_read_all_stats;
