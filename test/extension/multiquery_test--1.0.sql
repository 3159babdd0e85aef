-- multiquery_test: hooks the regression tests call into the multiquery
-- library, from a library of their own (test/extension/Makefile). Not part of
-- the multiquery extension (it ships no test-only functions); test/lib.sh
-- installs this one for the tests alone.
\echo Use "CREATE EXTENSION multiquery_test" to load this file. \quit

-- Boundary probes: each raises an error on one side of the C++/PostgreSQL
-- boundary while a C++ object is alive; the tests check the error arrives
-- intact and the object's destructor ran.
CREATE FUNCTION multiquery_test.boundary(failure text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'multiquery_test_boundary'
LANGUAGE C STRICT;

CREATE FUNCTION multiquery_test.probes_destroyed()
RETURNS bigint
AS 'MODULE_PATHNAME', 'multiquery_test_probes_destroyed'
LANGUAGE C STRICT;

-- Report a race outcome (win, cancel, error, hedge) as the race engine
-- would, and read back the latency quantile the engine sees, so the
-- statistics can be tested without remote servers.
CREATE FUNCTION multiquery_test.record_race(
    target text, outcome text, latency_ms double precision, error text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'multiquery_test_record_race'
LANGUAGE C VOLATILE;

CREATE FUNCTION multiquery_test.latency_quantile(target text, p double precision)
RETURNS bigint
AS 'MODULE_PATHNAME', 'multiquery_test_latency_quantile'
LANGUAGE C STRICT VOLATILE;

REVOKE ALL ON FUNCTION multiquery_test.boundary(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery_test.probes_destroyed() FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery_test.record_race(text, text, double precision, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery_test.latency_quantile(text, double precision) FROM PUBLIC;

-- As for schema multiquery: every role reaches the schema, and the
-- functions' own privileges (superusers only) decide.
GRANT USAGE ON SCHEMA multiquery_test TO PUBLIC;
