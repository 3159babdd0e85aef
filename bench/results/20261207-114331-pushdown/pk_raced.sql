\set id random(1, 100000)
SELECT id, name, country FROM raced.users WHERE id = :id;
