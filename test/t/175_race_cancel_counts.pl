# race_stats.cancels counts a cancel once its request is written, on every
# path: a loser left to finish that the backend cancels as it exits counts
# too, and each cancel counts once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
my $cancels = sub {
	return $primary->safe_psql('postgres', q{
		SELECT coalesce(sum(cancels), 0) FROM multiquery.race_stats WHERE target = 'mq_standby1'});
};
my $race = q{
	SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}',
		'SELECT pg_is_in_recovery()
		 FROM (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 30 ELSE 0 END)) AS s')
		AS t(in_recovery bool)};

# 1. A loser left to finish (a long grace) is cancelled as its backend exits,
# and that cancel counts.
$primary->safe_psql('postgres', 'SELECT multiquery.race_stats_reset()');
my $session = $primary->background_psql('postgres', on_error_stop => 0);
$session->query_safe(q{SET multiquery.race_cancel_grace = '60s'});
# The standby's answers are slow enough for a long grace to apply.
$session->query_safe(q{
	SELECT * FROM multiquery.race_query('{mq_standby1}', 'SELECT 1 FROM pg_sleep(0.3)')
		AS t(x int)}) for 1 .. 3;
my ($winner) = session_query($session, $race);
is($winner, 'f', 'the primary wins');
is($cancels->(), '0', 'its loser, within its grace, is not cancelled');
is(remote_queries($standby, 'pg_sleep'), '1', 'and still runs on the standby');
$session->quit;
ok(poll_until(5, sub { remote_queries($standby, 'pg_sleep') eq '0' }),
	'the backend cancels it as it exits');
is($cancels->(), '1', 'that cancel counts in race_stats.cancels');

# 2. A race abandoned by statement_timeout cancels its running queries: each
# counts once.
$primary->safe_psql('postgres', 'SELECT multiquery.race_stats_reset()');
my ($rc, $out, $err) = $primary->psql('postgres', qq{
	SET statement_timeout = '500ms';
	SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}',
		'SELECT 1 FROM pg_sleep(30)') AS t(x int)});
like($err, qr/statement timeout/, 'statement_timeout abandons the race');
ok(poll_until(5, sub { remote_queries($standby, 'pg_sleep') eq '0' }),
	'its query on the standby is cancelled');
is($cancels->(), '1', 'one cancel counted for the standby');

ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
done_testing();
