-- multiquery 0.5 -> 0.6
\echo Use "ALTER EXTENSION multiquery UPDATE TO '0.6'" to load this file. \quit
-- Moving a table between databases: compare a local table with a foreign
-- table reading the other database's copy, and make them equal.

CREATE FUNCTION multiquery.table_diff(target regclass, source regclass)
RETURNS TABLE (change text, key jsonb)
AS 'MODULE_PATHNAME', 'multiquery_table_diff'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION multiquery.table_diff(regclass, regclass) IS
    'keys whose rows differ between a local table and a foreign table: missing (only in source), extra (only in target), changed';

CREATE PROCEDURE multiquery.table_sync(target regclass, source regclass,
                                       max_rows_per_sec integer DEFAULT 0,
                                       deletes boolean DEFAULT true)
AS 'MODULE_PATHNAME', 'multiquery_table_sync'
LANGUAGE C;
COMMENT ON PROCEDURE multiquery.table_sync(regclass, regclass, integer, boolean) IS
    'makes a local table equal to a foreign table, a chunk of rows per transaction, as the caller, never overwriting newer rows';

-- Both run with the caller's own privileges on both tables; who may move
-- tables at all is granted deliberately.
REVOKE ALL ON FUNCTION multiquery.table_diff(regclass, regclass) FROM PUBLIC;
REVOKE ALL ON PROCEDURE multiquery.table_sync(regclass, regclass, integer, boolean) FROM PUBLIC;

CREATE FUNCTION multiquery._table_sync_progress(
    OUT pid int, OUT datid oid, OUT target text, OUT source text, OUT phase text,
    OUT pass int, OUT chunks_total bigint, OUT chunks_done bigint, OUT rows_fetched bigint,
    OUT rows_inserted bigint, OUT rows_updated bigint, OUT rows_deleted bigint,
    OUT rows_skipped bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_table_sync_progress'
LANGUAGE C VOLATILE STRICT;

CREATE VIEW multiquery.table_sync_progress AS
SELECT p.pid, p.datid, d.datname, p.target, p.source, p.phase, p.pass,
       p.chunks_total, p.chunks_done, p.rows_fetched,
       p.rows_inserted, p.rows_updated, p.rows_deleted, p.rows_skipped
  FROM multiquery._table_sync_progress() AS p
  LEFT JOIN pg_catalog.pg_database AS d ON d.oid = p.datid;
COMMENT ON VIEW multiquery.table_sync_progress IS
    'one row per running table_sync (the caller''s own; all of them for pg_read_all_stats)';
COMMENT ON COLUMN multiquery.table_sync_progress.phase IS
    'connecting, comparing, applying, throttled, waiting for standbys, setting sequences';
COMMENT ON COLUMN multiquery.table_sync_progress.rows_skipped IS
    'writes left for the next pass because the row changed after it was compared';
GRANT SELECT ON multiquery.table_sync_progress TO PUBLIC;
