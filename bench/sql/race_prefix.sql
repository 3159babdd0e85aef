-- Autocomplete raced over the primary and the standby; the prefix is a parameter.
\set p random(0, 4095)
SELECT * FROM multiquery.race_query('{bench_primary,bench_standby}',
    'SELECT id, title FROM docs WHERE title LIKE $1 || ''%'' ORDER BY title LIMIT 10',
    ARRAY[lpad(to_hex(:p::int), 3, '0')], :deadline)
    AS t(id int, title text);
