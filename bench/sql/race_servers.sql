-- race_query's targets: the primary and the standby as foreign servers of the
-- multiquery wrapper (issue 3). psql variables: primary_port, standby_port, user.
CREATE SERVER bench_primary FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'primary_port', dbname 'bench');
CREATE SERVER bench_standby FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'standby_port', dbname 'bench');
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_primary;
CREATE USER MAPPING FOR CURRENT_USER SERVER bench_standby;
