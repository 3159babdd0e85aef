-- Autocomplete on the standby through a postgres_fdw foreign table.
\set p random(0, 4095)
SELECT id, title FROM docs_fdw WHERE title LIKE lpad(to_hex(:p::int), 3, '0') || '%' ORDER BY title LIMIT 10;
