-- Racing reads: race_query sends one read to several targets at once and
-- returns the rows of the first that answers.

-- Servers of this wrapper are race targets: libpq connection options on the
-- server, credentials in user mappings (as dblink_fdw and postgres_fdw).
CREATE FUNCTION multiquery.fdw_validator(options text[], catalog oid)
RETURNS void
AS 'MODULE_PATHNAME', 'multiquery_fdw_validator'
LANGUAGE C STRICT;

-- Racing foreign tables: a foreign table on a multiquery server (a race
-- group, or one server) is read by racing its remote SELECT (docs/racing_tables.md).
CREATE FUNCTION multiquery.fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME', 'multiquery_fdw_handler'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER multiquery
    HANDLER multiquery.fdw_handler VALIDATOR multiquery.fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER multiquery IS
    'race targets for multiquery.race_query, race groups and racing foreign tables';

CREATE FUNCTION multiquery.race_query(
    targets text[],
    query text,
    params text[] DEFAULT NULL,
    timeout_ms integer DEFAULT NULL,
    min_lsn pg_lsn DEFAULT NULL,
    hedge_delay text DEFAULT NULL)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_race_query'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) IS
    'runs a read on every target at once and returns the rows of the first to answer';

-- Racing opens connections to other servers: granted deliberately, e.g.
--   GRANT EXECUTE ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) TO app_role;
REVOKE ALL ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) FROM PUBLIC;
