\set id random(1, :rows)
SELECT * FROM bench_race_pk('{bench_standby}', :id, :deadline);
