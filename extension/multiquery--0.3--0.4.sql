-- multiquery 0.3 -> 0.4: racing foreign tables.
\echo Use "ALTER EXTENSION multiquery UPDATE TO '0.4'" to load this file. \quit

-- Racing foreign tables: a foreign table on a multiquery server (a race
-- group, or one server) is read by racing its remote SELECT (docs/racing_tables.md).
CREATE FUNCTION multiquery.fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME', 'multiquery_fdw_handler'
LANGUAGE C STRICT;

ALTER FOREIGN DATA WRAPPER multiquery HANDLER multiquery.fdw_handler;

COMMENT ON FOREIGN DATA WRAPPER multiquery IS
    'race targets for multiquery.race_query, race groups and racing foreign tables';
