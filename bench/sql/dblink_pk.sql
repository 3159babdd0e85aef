-- Primary-key lookup on the standby through a persistent named dblink connection.
\set id random(1, :rows)
SELECT * FROM bench_dblink_pk(:id);
