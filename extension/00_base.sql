-- multiquery: the base objects every concern shares.
\echo Use "CREATE EXTENSION multiquery" to load this file. \quit

CREATE FUNCTION multiquery.version()
RETURNS text
AS 'MODULE_PATHNAME', 'multiquery_version'
LANGUAGE C STRICT PARALLEL SAFE;

COMMENT ON FUNCTION multiquery.version() IS 'version of the loaded multiquery library';

-- Boundary self-tests: each raises an error on one side of the C++/PostgreSQL
-- boundary while a C++ object is alive; the regression tests check the error
-- arrives intact and the object's destructor ran. Superusers only.
CREATE FUNCTION multiquery._selftest_boundary(failure text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'multiquery_selftest_boundary'
LANGUAGE C STRICT;

CREATE FUNCTION multiquery._selftest_probes_destroyed()
RETURNS bigint
AS 'MODULE_PATHNAME', 'multiquery_selftest_probes_destroyed'
LANGUAGE C STRICT;

REVOKE ALL ON FUNCTION multiquery._selftest_boundary(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery._selftest_probes_destroyed() FROM PUBLIC;

-- Users reach the schema; each function decides who may EXECUTE it.
GRANT USAGE ON SCHEMA multiquery TO PUBLIC;
