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
