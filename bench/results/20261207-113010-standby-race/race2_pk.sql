\set id random(1, :rows)
SELECT * FROM multiquery.race_query('{bench_primary,bench_standby1}',
    'SELECT id, title, body FROM docs WHERE id = $1', ARRAY[:id::text], :deadline)
    AS t(id int, title text, body text);
