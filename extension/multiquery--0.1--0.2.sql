-- multiquery 0.1 -> 0.2: race policies. race_query gains min_lsn
-- (read-your-writes) and hedge_delay (hedged start); the hedge delay's
-- default and the replica lag bound are GUCs and need no SQL.
\echo Use "ALTER EXTENSION multiquery UPDATE TO '0.2'" to load this file. \quit

-- A function's argument list cannot change in place: the old race_query is
-- set aside, the new one made, the old one's EXECUTE grants to roles (GRANT
-- EXECUTE ... TO app_role, as the documentation asks) copied with their grant
-- option, and the old one dropped. Objects of the user's that depend on the
-- old function (a view calling it) would stop the DROP: they are named first.
DO $$
DECLARE
    users text;
BEGIN
    SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ')
      INTO users
      FROM pg_catalog.pg_depend d
     WHERE d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
       AND d.refobjid = 'multiquery.race_query(text[], text, text[], integer)'::pg_catalog.regprocedure
       AND d.deptype = 'n';
    IF users IS NOT NULL THEN
        RAISE EXCEPTION 'cannot update multiquery to 0.2: race_query is used by %', users
            USING ERRCODE = 'dependent_objects_still_exist',
                  DETAIL = 'The update replaces race_query(text[], text, text[], integer) with a function that takes min_lsn and hedge_delay as well.',
                  HINT = 'Drop those objects, update, and create them again.';
    END IF;
END
$$;

ALTER FUNCTION multiquery.race_query(text[], text, text[], integer) RENAME TO race_query_0_1;

CREATE FUNCTION multiquery.race_query(
    targets text[],
    query text,
    params text[] DEFAULT NULL,
    timeout_ms integer DEFAULT NULL,
    min_lsn pg_lsn DEFAULT NULL,
    hedge_delay text DEFAULT NULL)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_race_query'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) IS
    'runs a read on every target at once and returns the rows of the first to answer';

REVOKE ALL ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) FROM PUBLIC;

DO $$
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                    ELSE pg_catalog.quote_ident(r.rolname) END AS grantee,
               a.is_grantable
          FROM pg_catalog.pg_proc p,
               LATERAL pg_catalog.aclexplode(p.proacl) a
               LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
         WHERE p.oid = 'multiquery.race_query_0_1(text[], text, text[], integer)'::pg_catalog.regprocedure
           AND a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner
    LOOP
        EXECUTE pg_catalog.format(
            'GRANT EXECUTE ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) TO %s%s',
            g.grantee, CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$$;

DROP FUNCTION multiquery.race_query_0_1(text[], text, text[], integer);
