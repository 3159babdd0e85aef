-- Primary-key lookup sent straight to the server pgbench connects to (direct, pgpool).
\set id random(1, :rows)
SELECT id, title, body FROM docs WHERE id = :id;
