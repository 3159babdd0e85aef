-- The objects the dblink and postgres_fdw methods read the standby through,
-- created on the primary, where their clients connect.
-- psql variables: standby_port, fdw_options, standby_conninfo.
CREATE EXTENSION dblink;
CREATE EXTENSION postgres_fdw;

-- postgres_fdw: a foreign table on the standby's docs, with the same deadline
-- every method gets (connect_timeout, remote statement_timeout).
CREATE SERVER bench_standby_fdw FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '127.0.0.1', port :'standby_port', dbname 'bench',
             connect_timeout '2', options :'fdw_options');
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_standby_fdw;
CREATE FOREIGN TABLE docs_fdw (id int, title text, body text)
    SERVER bench_standby_fdw OPTIONS (table_name 'docs');

-- dblink: one persistent named connection per session, opened on first use.
SET bench.standby_conninfo = :'standby_conninfo';
ALTER DATABASE bench SET bench.standby_conninfo FROM CURRENT;

-- The name of this session's dblink connection to the standby, connecting once.
CREATE FUNCTION bench_dblink_conn() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF NOT 'bench_standby' = ANY (coalesce(dblink_get_connections(), '{}')) THEN
        PERFORM dblink_connect('bench_standby', current_setting('bench.standby_conninfo'));
    END IF;
    RETURN 'bench_standby';
END
$$;

-- The primary-key lookup through dblink.
CREATE FUNCTION bench_dblink_pk(p_id int) RETURNS TABLE (id int, title text, body text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM dblink(bench_dblink_conn(),
        format('SELECT id, title, body FROM docs WHERE id = %s', p_id))
        AS t(id int, title text, body text);
END
$$;

-- The autocomplete query through dblink (dblink has no parameters: a quoted literal).
CREATE FUNCTION bench_dblink_prefix(p_prefix text) RETURNS TABLE (id int, title text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM dblink(bench_dblink_conn(),
        format('SELECT id, title FROM docs WHERE title LIKE %L ORDER BY title LIMIT 10', p_prefix || '%'))
        AS t(id int, title text);
END
$$;
