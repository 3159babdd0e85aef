\set id random(1, 100000)
SELECT id, name, country FROM fdw_plain.users WHERE id = :id;
