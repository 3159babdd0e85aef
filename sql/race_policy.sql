-- Race policies' SQL surface: the hedge_delay and max_replica_lag settings,
-- race_query's min_lsn and hedge_delay arguments, checked against the server
-- itself. Stale standbys and hedges on real nodes are in the TAP tests.
SELECT format('host=127.0.0.1 port=%s dbname=%s', current_setting('port'), current_database()) AS self
\gset
SELECT pg_get_function_identity_arguments('multiquery.race_query'::regproc);

-- multiquery.hedge_delay: 'auto' or a duration, 0 by default.
SHOW multiquery.hedge_delay;
SET multiquery.hedge_delay = '10ms';
SHOW multiquery.hedge_delay;
SET multiquery.hedge_delay = 'AUTO';
SHOW multiquery.hedge_delay;
SET multiquery.hedge_delay = '2s';
SET multiquery.hedge_delay = 25;
SET multiquery.hedge_delay = 'soon';
SET multiquery.hedge_delay = '-5ms';
SET multiquery.hedge_delay = '3 fortnights';
RESET multiquery.hedge_delay;

-- multiquery.max_replica_lag: a duration, 0 (off) by default.
SHOW multiquery.max_replica_lag;
SET multiquery.max_replica_lag = '5s';
SHOW multiquery.max_replica_lag;
SET multiquery.max_replica_lag = -1;
RESET multiquery.max_replica_lag;

-- The arguments: bad values are refused before any target is contacted.
SELECT * FROM multiquery.race_query('{nowhere}', 'SELECT 1', hedge_delay => 'later') AS t(x int);
SELECT * FROM multiquery.race_query('{nowhere}', 'SELECT 1', min_lsn => 'not an lsn') AS t(x int);

-- This server has inserted its own current LSN: it is fresh, hedged or not.
SELECT * FROM multiquery.race_query(ARRAY[:'self'], 'SELECT 42',
    min_lsn => pg_current_wal_insert_lsn(), hedge_delay => '1ms') AS t(x int);
SELECT * FROM multiquery.race_query(ARRAY[:'self'], 'SELECT 43',
    min_lsn => '0/0', hedge_delay => 'auto') AS t(x int);
-- It has not reached an LSN far ahead: no target is fresh enough.
\set VERBOSITY terse
SELECT * FROM multiquery.race_query(ARRAY[:'self'], 'SELECT 44', min_lsn => 'FFFFFFFF/0') AS t(x int);
\set VERBOSITY default
-- A lag bound on a primary changes nothing (a primary never lags), and an
-- empty result is an answer, not a failed probe.
SET multiquery.max_replica_lag = '1ms';
SELECT count(*) FROM multiquery.race_query(ARRAY[:'self'], 'SELECT 1 WHERE false') AS t(x int);
SELECT * FROM multiquery.race_query(ARRAY[:'self'], 'SELECT g FROM generate_series(1, 3) g') AS t(x int);
RESET multiquery.max_replica_lag;
-- Probed or not, the same connection serves (pipeline mode left cleanly).
SELECT * FROM multiquery.race_query(ARRAY[:'self'], 'SELECT 45') AS t(x int);
