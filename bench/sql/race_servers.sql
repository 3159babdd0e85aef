-- race_query's targets: the primary and the standby as foreign servers of the
-- multiquery wrapper (issue 3). psql variables: primary_port, standby_port, user.
CREATE SERVER bench_primary FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'primary_port', dbname 'bench');
CREATE SERVER bench_standby FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'standby_port', dbname 'bench');
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_primary;
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_standby;

-- The same two targets as a race group, and a raced foreign table on it
-- (issue 13): the application reads docs_raced like a table, every read races.
CREATE SERVER bench_reads FOREIGN DATA WRAPPER multiquery
    OPTIONS (targets 'bench_primary, bench_standby');
CREATE FOREIGN TABLE docs_raced (id int, title text, body text)
    SERVER bench_reads OPTIONS (table_name 'docs');
ANALYZE docs_raced;
