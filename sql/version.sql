-- The library and the installed SQL objects agree on the version.
SELECT multiquery.version() = extversion AS library_matches_sql
  FROM pg_extension WHERE extname = 'multiquery';

-- Everything lives in schema multiquery, which the extension owns.
SELECT nspname FROM pg_namespace n JOIN pg_extension e ON e.extnamespace = n.oid
 WHERE e.extname = 'multiquery';
