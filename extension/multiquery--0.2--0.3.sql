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

-- The per-backend cache of race connections, as postgres_fdw shows and closes
-- its own: list this backend's connections, close one target's, close all.

CREATE FUNCTION multiquery.race_connections(
    OUT target text,
    OUT state text,
    OUT idle_since timestamptz,
    OUT server_pid integer,
    OUT host text,
    OUT port integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_race_connections'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION multiquery.race_connections() IS
    'lists the connections to race targets this backend keeps open (passwords redacted)';

CREATE FUNCTION multiquery.race_disconnect(target text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'multiquery_race_disconnect'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION multiquery.race_disconnect(text) IS
    'closes this backend''s cached connections to one race target; true if one was open';

CREATE FUNCTION multiquery.race_disconnect_all()
RETURNS boolean
AS 'MODULE_PATHNAME', 'multiquery_race_disconnect_all'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION multiquery.race_disconnect_all() IS
    'closes every cached connection to race targets of this backend; true if one was open';

-- They act on the caller's own backend only, but after SET ROLE or SET
-- SESSION AUTHORIZATION a backend's cache holds connections other roles made:
-- whoever may race is the one to list and close them, so they are granted
-- together with race_query, e.g.
--   GRANT EXECUTE ON FUNCTION multiquery.race_connections(), multiquery.race_disconnect(text),
--       multiquery.race_disconnect_all() TO app_role;
REVOKE ALL ON FUNCTION multiquery.race_connections() FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery.race_disconnect(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery.race_disconnect_all() FROM PUBLIC;

-- The test hooks are no longer shipped: the tests bring their own
-- extension, multiquery_test, that declares them from the library.
DROP FUNCTION multiquery._selftest_boundary(text);
DROP FUNCTION multiquery._selftest_probes_destroyed();
DROP FUNCTION multiquery._selftest_record_race(text, text, double precision, text);
DROP FUNCTION multiquery._selftest_latency_quantile(text, double precision);
