-- race_query against the server itself: the targets are connection strings
-- and foreign servers that point back at this database, so the answers are
-- known. Fault scenarios (slow, hung and dead nodes) are in the TAP tests.
SET multiquery.target_backoff = 0;  -- keep refused targets in every race here
SELECT format('host=127.0.0.1 port=%s dbname=%s', current_setting('port'), current_database()) AS self
\gset
SELECT current_setting('port') AS port, current_database() AS db \gset
CREATE SERVER race_self FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'port', dbname :'db');
CREATE USER MAPPING FOR CURRENT_USER SERVER race_self;
CREATE SERVER race_dead FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port '1', dbname 'postgres');
CREATE USER MAPPING FOR CURRENT_USER SERVER race_dead;
CREATE TABLE race_docs (id int PRIMARY KEY, title text);
INSERT INTO race_docs VALUES (1, 'one'), (2, 'two'), (3, NULL);

-- The same rows as a direct query, by server name and by connection string.
SELECT * FROM multiquery.race_query('{race_self}',
    'SELECT id, title FROM race_docs ORDER BY id') AS t(id int, title text);
SELECT * FROM multiquery.race_query(ARRAY[:'self'],
    'SELECT id, title FROM race_docs WHERE id = $1', '{2}') AS t(id int, title text);
-- Parameters are values, never SQL: this one matches nothing and drops nothing.
SELECT * FROM multiquery.race_query('{race_self}',
    'SELECT id FROM race_docs WHERE title = $1', '{"one; DROP TABLE race_docs"}') AS t(id int);
SELECT count(*) FROM race_docs;
-- NULL parameters and NULL values.
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT $1::int IS NULL, $2::text',
    ARRAY[NULL, 'x']) AS t(was_null bool, x text);
SELECT * FROM multiquery.race_query('{race_self}',
    'SELECT title FROM race_docs WHERE id = 3') AS t(title text);
-- A dead target does not stop the race.
SELECT * FROM multiquery.race_query('{race_dead,race_self}', 'SELECT 42') AS t(x int);
-- The connection is cached: the same remote backend answers again.
SELECT pid AS first_pid FROM multiquery.race_query('{race_self}', 'SELECT pg_backend_pid()')
    AS t(pid int) \gset
SELECT pid = :first_pid AS same_remote_backend
    FROM multiquery.race_query('{race_self}', 'SELECT pg_backend_pid()') AS t(pid int);
-- Changing the server drops the cached connection.
ALTER SERVER race_self OPTIONS (ADD application_name 'race_renamed');
SELECT pid <> :first_pid AS new_remote_backend, app
    FROM multiquery.race_query('{race_self}',
        'SELECT pg_backend_pid(), current_setting(''application_name'')') AS t(pid int, app text);
-- Every remote query runs read-only.
SELECT * FROM multiquery.race_query('{race_self}',
    'SELECT current_setting(''transaction_read_only'')') AS t(ro text);
SELECT * FROM multiquery.race_query('{race_self}',
    'INSERT INTO race_docs VALUES (4, ''four'') RETURNING id') AS t(id int);
SELECT count(*) FROM race_docs;
-- A large result streams into a tuplestore.
SELECT count(*), sum(g) FROM multiquery.race_query('{race_self}',
    'SELECT g FROM generate_series(1, 100000) g') AS t(g bigint);

-- Remote errors that every server would raise arrive whole.
CREATE FUNCTION race_fail() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'remote failure' USING DETAIL = 'the detail', HINT = 'the hint',
        ERRCODE = '22023';
END $$;
\set VERBOSITY default
SELECT * FROM multiquery.race_query('{race_dead,race_self}', 'SELECT race_fail()') AS t(x int);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT 1/0') AS t(x int);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT no_such_column') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', 'SELEC 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT ''abc''::int') AS t(x int);

-- The caller's column list must fit the rows.
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT 1, 2') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT ''abc''') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT 1');

-- Bad input: each a clear error.
SELECT * FROM multiquery.race_query(NULL, 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self,NULL}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{""}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{{race_self}}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self,race_self}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{no_such_server}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{"host=127.0.0.1 nonsense=1"}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', NULL) AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', '  ') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', '-- only a comment') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT 1; SELECT 2') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT $1::int + $2::int', '{1}') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT $1::int', '{1,2}') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', 'SET work_mem = ''1MB''') AS t(x int);
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT 1', NULL, -1) AS t(x int);
-- When every target fails, the error names each and why.
SELECT * FROM multiquery.race_query(ARRAY['race_dead', 'host=127.0.0.1 port=2 password=secret'],
    'SELECT 1') AS t(x int);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT pg_sleep(5)', NULL, 100) AS t(x text);
\echo :LAST_ERROR_SQLSTATE

-- After all that, the backend and its cached connection still work.
SELECT * FROM multiquery.race_query('{race_self}', 'SELECT 7') AS t(x int);

DROP FUNCTION race_fail();
DROP TABLE race_docs;
DROP USER MAPPING FOR CURRENT_USER SERVER race_self;
DROP USER MAPPING FOR CURRENT_USER SERVER race_dead;
DROP SERVER race_self;
DROP SERVER race_dead;
