-- Primary-key lookup on the standby through a postgres_fdw foreign table.
\set id random(1, :rows)
SELECT id, title, body FROM docs_fdw WHERE id = :id;
