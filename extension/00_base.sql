-- multiquery: the base objects every concern shares.
\echo Use "CREATE EXTENSION multiquery" to load this file. \quit

CREATE FUNCTION multiquery.version()
RETURNS text
AS 'MODULE_PATHNAME', 'multiquery_version'
LANGUAGE C STRICT PARALLEL SAFE;

COMMENT ON FUNCTION multiquery.version() IS 'version of the loaded multiquery library';

-- Users reach the schema; each function decides who may EXECUTE it.
GRANT USAGE ON SCHEMA multiquery TO PUBLIC;
