-- The raced foreign table (issue 13): a race group of the primary and the
-- standby, and docs read through it, with the deadline every method gets as
-- the session's race timeout. psql variables: deadline.
CREATE SERVER bench_reads FOREIGN DATA WRAPPER multiquery
    OPTIONS (targets 'bench_primary, bench_standby');
CREATE FOREIGN TABLE docs_raced (id int, title text, body text)
    SERVER bench_reads OPTIONS (schema_name 'public', table_name 'docs');
ALTER DATABASE bench SET multiquery.race_timeout = :'deadline';
ANALYZE docs_raced;
