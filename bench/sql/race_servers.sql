-- race_query's targets: the primary and the standby as foreign servers of the
-- multiquery wrapper (issue 3). psql variables: primary_port, standby_port, user.
CREATE SERVER bench_primary FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'primary_port', dbname 'bench');
CREATE SERVER bench_standby FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'standby_port', dbname 'bench');
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_primary;
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_standby;

-- The same primary-key race called the way bench_dblink_pk calls dblink:
-- through a PL/pgSQL function, whose statement is planned once per session.
-- bench/cancel_grace.sh runs both shapes, so that a difference between
-- race_query and dblink can be told apart from one between their callers'
-- statements (a bare race_query call is parsed and planned on every call
-- under pgbench -M extended).
CREATE FUNCTION bench_race_pk(p_targets text[], p_id int, p_deadline_ms int) RETURNS TABLE (id int, title text, body text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM multiquery.race_query(p_targets,
        'SELECT id, title, body FROM docs WHERE id = $1', ARRAY[p_id::text], p_deadline_ms)
        AS t(id int, title text, body text);
END
$$;
