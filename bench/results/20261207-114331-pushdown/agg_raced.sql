SELECT kind, count(*), avg(amount) FROM raced.events GROUP BY kind;
