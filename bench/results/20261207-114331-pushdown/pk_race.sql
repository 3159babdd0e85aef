\set id random(1, 100000)
SELECT * FROM multiquery.race_query('{standby_mq}', 'SELECT id, name, country FROM public.users WHERE id = $1',
    ARRAY[:id::text]) AS t(id int, name text, country text);
