-- The C++/PostgreSQL boundary: an error from either side, raised while a C++
-- object is alive, reaches the client intact, the object's destructor runs,
-- and the backend stays usable.
SELECT multiquery_test.probes_destroyed() AS probes_before \gset

-- A C++ exception thrown in an SQL-callable function.
SELECT multiquery_test.boundary('cpp_exception');
SELECT multiquery_test.probes_destroyed() - :probes_before AS destroyed;

-- An mq::Error keeps its SQLSTATE, detail and hint.
SELECT multiquery_test.boundary('mq_error');
\echo :LAST_ERROR_SQLSTATE

-- An ereport(ERROR) under a live C++ object: same SQLSTATE, same report.
SELECT multiquery_test.boundary('pg_error');
\echo :LAST_ERROR_SQLSTATE
SELECT multiquery_test.probes_destroyed() - :probes_before AS destroyed;

-- The errors left no state behind: a transaction that caught one commits.
BEGIN;
SAVEPOINT probe;
SELECT multiquery_test.boundary('pg_error');
ROLLBACK TO SAVEPOINT probe;
SELECT multiquery_test.boundary('none') - :probes_before AS destroyed_before_this_call;
COMMIT;
SELECT multiquery_test.probes_destroyed() - :probes_before AS destroyed;

-- Bad input is an error too, not a crash.
SELECT multiquery_test.boundary('no-such-failure');
SELECT multiquery_test.boundary(NULL) IS NULL AS strict_null;

-- Ordinary users cannot call the probes.
CREATE ROLE multiquery_probe_user;
SET ROLE multiquery_probe_user;
SELECT multiquery_test.boundary('none');
RESET ROLE;
DROP ROLE multiquery_probe_user;
