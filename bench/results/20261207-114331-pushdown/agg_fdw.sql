SELECT kind, count(*), avg(amount) FROM fdw.events GROUP BY kind;
