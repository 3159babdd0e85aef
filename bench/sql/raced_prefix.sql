-- Autocomplete through a raced foreign table (primary + standby): the WHERE,
-- ORDER BY and LIMIT run remotely as one indexed query.
\set p random(0, 4095)
SELECT id, title FROM docs_raced WHERE title LIKE lpad(to_hex(:p::int), 3, '0') || '%' ORDER BY title LIMIT 10;
