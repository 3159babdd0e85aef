-- Autocomplete on the standby through a persistent named dblink connection.
\set p random(0, 4095)
SELECT * FROM bench_dblink_prefix(lpad(to_hex(:p::int), 3, '0'));
