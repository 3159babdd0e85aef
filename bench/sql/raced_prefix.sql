-- Autocomplete through a raced foreign table: WHERE, ORDER BY and LIMIT go
-- remote in one query.
\set p random(0, 4095)
SELECT id, title FROM docs_raced WHERE title LIKE lpad(to_hex(:p::int), 3, '0') || '%' ORDER BY title LIMIT 10;
