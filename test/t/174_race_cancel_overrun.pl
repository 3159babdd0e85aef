# A cancelled query that has not ended when the next race needs its
# connection (multiquery.cancel_timeout) costs that race a fresh connection,
# not the target: a statement cut short by statement_timeout must not fail the
# statements after it. The closed session's query then stops by itself
# within about a second (client_connection_check_interval, set for every
# remote query), whether or not the cancel reached it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
my $session = $primary->background_psql('postgres', on_error_stop => 0);
my $sleeping = sub {
	my ($node) = @_;
	return $node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'multiquery' AND query LIKE '%pg_sleep(30)%'
		  AND state = 'active'});
};

# Every cancelled query overruns a 1 ms cancel_timeout: its drain can never
# finish in time.
$session->query_safe(q{SET multiquery.cancel_timeout = '1ms'});
$session->query_safe(q{SET multiquery.race_cancel_grace = 0});
$session->query_safe(q{SET multiquery.target_backoff = 0});
for my $round (1 .. 3) {
	my (undef, $timeout) = session_query($session, q{
		SET statement_timeout = '300ms';
		SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}',
			'SELECT 1 FROM pg_sleep(30)') AS t(x int)});
	like($timeout, qr/statement timeout|canceling statement/,
		"round $round: statement_timeout cuts the race short");
	my ($out, $err) = session_query($session, q{
		RESET statement_timeout;
		SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}',
			'SELECT 42') AS t(x int)});
	is($out, '42', "round $round: the next race answers");
	is($err, '', "round $round: without an error about the overrun cancel");
}
ok(poll_until(10, sub { $sleeping->($primary) eq '0' && $sleeping->($standby) eq '0' }),
	'no cut-short query keeps running on either server');

# The setting is the block's alone: the session's own stays as it was.
my ($check) = session_query($session, q{
	SELECT * FROM multiquery.race_query('{mq_standby1}',
		$$SELECT current_setting('client_connection_check_interval')$$) AS t(x text)});
is($check, '1s', 'remote queries run with client_connection_check_interval = 1s');

$session->quit;
ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
done_testing();
