-- Primary-key lookup through a raced foreign table (primary and standby).
\set id random(1, :rows)
SELECT id, title, body FROM docs_raced WHERE id = :id;
