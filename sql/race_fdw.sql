-- The multiquery foreign-data wrapper takes libpq options on servers and
-- credentials on user mappings, and race_query is granted deliberately.
CREATE SERVER race_opts FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port '5432', dbname 'postgres', sslmode 'disable');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (no_such_option 'x');
\set VERBOSITY terse
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (password 'secret');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (client_encoding 'LATIN1');
\set VERBOSITY default
CREATE USER MAPPING FOR CURRENT_USER SERVER race_opts OPTIONS (user 'u', password 'p');
CREATE USER MAPPING FOR PUBLIC SERVER race_opts OPTIONS (host 'elsewhere');
ALTER FOREIGN DATA WRAPPER multiquery OPTIONS (host 'x');

-- A server of another wrapper is not a target.
CREATE FOREIGN DATA WRAPPER race_other;
CREATE SERVER race_other_server FOREIGN DATA WRAPPER race_other;
SELECT * FROM multiquery.race_query('{race_other_server}', 'SELECT 1') AS t(x int);
CREATE SERVER race_unmapped FOREIGN DATA WRAPPER multiquery OPTIONS (host '127.0.0.1');

-- A race group: a multiquery server whose option 'targets' names other
-- servers; it takes no connection options, names no empty target, and is
-- not itself a target of another group.
CREATE SERVER race_group FOREIGN DATA WRAPPER multiquery OPTIONS (targets ' race_opts ');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_opts', host 'x');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_opts,,race_unmapped');
ALTER SERVER race_group OPTIONS (ADD port '5432');
CREATE SERVER race_nested FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_group');
SELECT * FROM multiquery.race_query('{race_nested}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_group,race_opts}', 'SELECT 1') AS t(x int);
CREATE SERVER race_conninfo_group FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'host=127.0.0.1');
SELECT * FROM multiquery.race_query('{race_conninfo_group}', 'SELECT 1') AS t(x int);
DROP SERVER race_conninfo_group;
DROP SERVER race_nested;
DROP SERVER race_group;

-- Not executable by PUBLIC; once granted, a non-superuser must bring a
-- password, and cannot use a server it has no USAGE on.
CREATE ROLE race_app;
SET ROLE race_app;
SELECT * FROM multiquery.race_query('{"host=127.0.0.1"}', 'SELECT 1') AS t(x int);
RESET ROLE;
GRANT EXECUTE ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) TO race_app;
SET ROLE race_app;
SELECT * FROM multiquery.race_query('{"host=127.0.0.1 dbname=postgres"}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_opts}', 'SELECT 1') AS t(x int);
RESET ROLE;
GRANT USAGE ON FOREIGN SERVER race_unmapped TO race_app;
-- A server without a user mapping for the caller is not a target either.
SET ROLE race_app;
SELECT * FROM multiquery.race_query('{race_unmapped}', 'SELECT 1') AS t(x int);
RESET ROLE;
CREATE USER MAPPING FOR race_app SERVER race_unmapped;
SET ROLE race_app;
SELECT * FROM multiquery.race_query('{race_unmapped}', 'SELECT 1') AS t(x int);
RESET ROLE;
-- A race group lends nothing: its caller needs USAGE on the group, and USAGE
-- and a user mapping on every target of it.
CREATE SERVER race_app_group FOREIGN DATA WRAPPER multiquery
    OPTIONS (targets 'race_opts, race_unmapped');
SET ROLE race_app;
SELECT * FROM multiquery.race_query('{race_app_group}', 'SELECT 1') AS t(x int);
RESET ROLE;
GRANT USAGE ON FOREIGN SERVER race_app_group TO race_app;
SET ROLE race_app;
SELECT * FROM multiquery.race_query('{race_app_group}', 'SELECT 1') AS t(x int);
RESET ROLE;
REVOKE ALL ON FOREIGN SERVER race_app_group FROM race_app;
DROP SERVER race_app_group;

DROP USER MAPPING FOR race_app SERVER race_unmapped;
REVOKE ALL ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) FROM race_app;
REVOKE ALL ON FOREIGN SERVER race_unmapped FROM race_app;
DROP ROLE race_app;
DROP SERVER race_unmapped;
DROP SERVER race_other_server;
DROP FOREIGN DATA WRAPPER race_other;
DROP USER MAPPING FOR CURRENT_USER SERVER race_opts;
DROP SERVER race_opts;
