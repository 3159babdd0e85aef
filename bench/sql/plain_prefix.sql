-- Autocomplete: the first 10 titles starting with a random 3-hex-digit prefix.
\set p random(0, 4095)
SELECT id, title FROM docs WHERE title LIKE lpad(to_hex(:p::int), 3, '0') || '%' ORDER BY title LIMIT 10;
