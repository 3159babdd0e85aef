# race_query on a real primary and two streaming standbys: healthy targets
# give the direct query's rows, parameters stay values, a slow target loses
# and has its remote query cancelled (its connection then serves again), N
# targets race, and nothing can be written through a race.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby1, $standby2) = race_cluster(2);
$primary->safe_psql('postgres', q{
	CREATE TABLE docs (id int PRIMARY KEY, title text);
	INSERT INTO docs SELECT g, 'title ' || g FROM generate_series(1, 100) g;
});
$primary->wait_for_catchup($_) for ($standby1, $standby2);

# 1. Healthy targets: the same rows as a direct query.
my $direct = $primary->safe_psql('postgres', 'SELECT id, title FROM docs WHERE id > 90 ORDER BY id');
my $raced = $primary->safe_psql('postgres', q{
	SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}',
		'SELECT id, title FROM docs WHERE id > $1 ORDER BY id', '{90}') AS t(id int, title text)});
is($raced, $direct, 'the race returns the rows a direct query returns');
is($primary->safe_psql('postgres', q{
	SELECT count(*) FROM multiquery.race_query('{mq_primary,mq_standby1}',
		'SELECT id FROM docs WHERE title = $1', '{"x''; DROP TABLE docs; --"}') AS t(id int)}),
	'0', 'a parameter that looks like SQL is a value');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM docs'), '100', 'and dropped nothing');

# 2. A slow target: the standby sleeps, the primary answers; the standby's
# remote query is cancelled and its connection serves the next race.
my $session = $primary->background_psql('postgres', on_error_stop => 0);
my $standby_pid = $session->query_safe(q{
	SELECT pid FROM multiquery.race_query('{mq_standby1}', 'SELECT pg_backend_pid()') AS t(pid int)});
chomp $standby_pid;
my $slow_query = q{SELECT pg_is_in_recovery()
	FROM (SELECT CASE WHEN pg_is_in_recovery() THEN pg_sleep(30) END) AS slow};
my $winner = $session->query_safe(qq{
	SELECT in_recovery FROM multiquery.race_query('{mq_primary,mq_standby1}', '$slow_query')
		AS t(in_recovery bool)});
chomp $winner;
is($winner, 'f', 'the answer comes from the fast target');
ok(poll_until(20, sub { remote_queries($standby1, 'pg_sleep(30)') eq '0' }),
	"the slow target's remote query was cancelled");
my $again = $session->query_safe(q{
	SELECT pid FROM multiquery.race_query('{mq_standby1}', 'SELECT pg_backend_pid()') AS t(pid int)});
chomp $again;
is($again, $standby_pid, 'the cancelled connection is used again');

# 11. Three targets: whichever answers, the rows are right; a sleeping
# primary loses to either standby.
my $three = $session->query_safe(q{
	SELECT in_recovery, n FROM multiquery.race_query('{mq_primary,mq_standby1,mq_standby2}',
		'SELECT pg_is_in_recovery(), (SELECT count(*) FROM docs)
		 FROM (SELECT CASE WHEN NOT pg_is_in_recovery() THEN pg_sleep(30) END) AS slow')
		AS t(in_recovery bool, n bigint)});
chomp $three;
is($three, 't|100', 'with three targets a standby answers while the primary sleeps');
ok(poll_until(20, sub { remote_queries($primary, 'pg_sleep(30)') eq '0' }),
	"the primary's losing query was cancelled");
for my $i (1 .. 5) {
	my $count = $session->query_safe(q{
		SELECT n FROM multiquery.race_query('{mq_primary,mq_standby1,mq_standby2}',
			'SELECT count(*) FROM docs') AS t(n bigint)});
	chomp $count;
	is($count, '100', "three healthy targets, race $i");
}

# 7. Writes fail, on the primary too, and nothing is written.
my ($out, $err) = session_query($session, q{
	SELECT * FROM multiquery.race_query('{mq_primary}',
		'INSERT INTO docs VALUES (1000, ''written'') RETURNING id') AS t(id int)});
like($err, qr/cannot execute INSERT in a read-only transaction/,
	'a write through race_query fails');
($out, $err) = session_query($session, q{
	SELECT * FROM multiquery.race_query('{mq_primary}',
		'SELECT set_config(''default_transaction_read_only'', ''off'', false)') AS t(x text)});
($out, $err) = session_query($session, q{
	SELECT * FROM multiquery.race_query('{mq_primary}',
		'WITH w AS (INSERT INTO docs VALUES (1001, ''written'') RETURNING id) SELECT id FROM w')
		AS t(id int)});
like($err, qr/read-only transaction/,
	'turning read-only off in one race does not let the next one write');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM docs WHERE id >= 1000'), '0',
	'nothing was written');
$session->quit;

ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
$_->stop for ($standby2, $standby1, $primary);
done_testing();
