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
-- servers. It is checked when it is defined: it takes no connection options
-- and no user mapping, and names each target once, as a server that exists,
-- belongs to multiquery or postgres_fdw, and is not itself a race group.
CREATE SERVER race_group FOREIGN DATA WRAPPER multiquery OPTIONS (targets ' race_opts ');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_opts', host 'x');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_opts,,race_unmapped');
ALTER SERVER race_group OPTIONS (ADD port '5432');
CREATE SERVER race_nested FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_group');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_opts, race_nosuch');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_other_server');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'host=127.0.0.1');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_opts, race_opts');
CREATE SERVER race_bad FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_bad');
ALTER SERVER race_group OPTIONS (SET targets 'race_group');
ALTER SERVER race_group OPTIONS (SET targets 'race_opts, race_nosuch');
CREATE USER MAPPING FOR CURRENT_USER SERVER race_group;
CREATE USER MAPPING FOR PUBLIC SERVER race_group OPTIONS (user 'u');
-- A target named by a group cannot become a group, be renamed, or be dropped
-- unless the group goes with it (CASCADE); a server with user mappings
-- cannot become a group.
ALTER SERVER race_group OPTIONS (SET targets 'race_opts, race_unmapped');
ALTER SERVER race_unmapped OPTIONS (DROP host, ADD targets 'race_opts');
ALTER SERVER race_unmapped RENAME TO race_renamed;
DROP SERVER race_unmapped;
ALTER SERVER race_group OPTIONS (SET targets 'race_unmapped');
ALTER SERVER race_opts OPTIONS (DROP host, DROP port, DROP dbname, DROP sslmode, ADD targets 'race_unmapped');
ALTER SERVER race_group OPTIONS (SET targets 'race_opts');
ALTER SERVER race_unmapped RENAME TO race_renamed;
ALTER SERVER race_renamed RENAME TO race_unmapped;
CREATE SERVER race_spare FOREIGN DATA WRAPPER multiquery OPTIONS (host '127.0.0.1');
CREATE SERVER race_spare_group FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_spare');
DROP SERVER race_spare CASCADE;
SELECT srvname FROM pg_foreign_server WHERE srvname LIKE 'race_spare%';
-- A target named twice, directly and through a group, says where it came from.
SELECT * FROM multiquery.race_query('{race_group,race_opts}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_opts,race_group}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_group,race_group}', 'SELECT 1') AS t(x int);
-- What a restore creates (pg_dump turns check_function_bodies off, and may
-- create a group before its targets) is checked when it races.
SET check_function_bodies = off;
CREATE SERVER race_nested FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_group');
CREATE SERVER race_dangling FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_opts, race_nosuch');
CREATE SERVER race_conninfo_group FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'host=127.0.0.1');
CREATE SERVER race_twice_group FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_opts, race_opts');
CREATE SERVER race_other_group FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'race_other_server');
RESET check_function_bodies;
SELECT * FROM multiquery.race_query('{race_nested}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_dangling}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_conninfo_group}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_twice_group}', 'SELECT 1') AS t(x int);
SELECT * FROM multiquery.race_query('{race_other_group}', 'SELECT 1') AS t(x int);
DROP SERVER race_other_group, race_twice_group, race_conninfo_group, race_dangling, race_nested;
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
