# A loser's cancel that reaches its backend before the backend has read its
# query is lost: PostgreSQL cancels only a running query, so the loser would
# run in full. The loser's cancel is sent again while it has not answered.
#
# The loss is made certain: the standby's backend of the cached race
# connection is stopped (SIGSTOP) before the race, so the race's query waits
# unread in its socket; the cancel's SIGINT is seen pending on the stopped
# backend, and only then is the backend resumed. It takes the SIGINT while
# waiting for its query (and ignores it), then reads the query and runs a
# 30 s sleep. The racing session stays idle meanwhile (no later race, no
# exit, which would settle the loser other ways): only a cancel sent again
# stops the sleep. Both ways a loser is cancelled are covered: at once
# (race_cancel_grace 0) and past its grace.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
my $race = q{
	SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}',
		'SELECT pg_is_in_recovery()
		 FROM (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 30 ELSE 0 END)) AS s')
		AS t(in_recovery bool)};

# Whether SIGINT is pending on a (stopped) process.
sub sigint_pending {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/status" or return 0;
	while (my $line = <$fh>) {
		return 1 if $line =~ /^(?:SigPnd|ShdPnd):\s+([0-9a-f]+)/ && hex($1) & 0x2;
	}
	return 0;
}

for my $grace ('0', '50ms') {
	my $session = $primary->background_psql('postgres', on_error_stop => 0);
	$session->query_safe(qq{SET multiquery.race_cancel_grace = '$grace'});
	# A cached connection to the standby, whose backend is then stopped.
	$session->query_safe(q{
		SELECT * FROM multiquery.race_query('{mq_standby1}', 'SELECT 1') AS t(x int)});
	my $backend = $standby->safe_psql('postgres', q{
		SELECT pid FROM pg_stat_activity WHERE application_name = 'multiquery'});
	like($backend, qr/^\d+$/, "grace $grace: the race's connection to the standby ($backend)");
	my $log_from = -s $standby->logfile;
	$primary->safe_psql('postgres', 'SELECT multiquery.race_stats_reset()');
	kill 'STOP', $backend;

	my ($winner) = session_query($session, $race);
	is($winner, 'f', "grace $grace: the primary wins");
	# Resumed as soon as the signal is seen: the cancels sent again come
	# 20 ms to 620 ms after the first.
	my $pending = 0;
	for (1 .. 10_000) {
		last if ($pending = sigint_pending($backend));
		usleep(1_000);
	}
	kill 'CONT', $backend;
	ok($pending, "grace $grace: the loser's first cancel reached its stopped backend");

	ok(poll_until(5, sub { remote_queries($standby, 'pg_sleep') eq '0' }),
		"grace $grace: the loser stops, although the first cancel came too early");
	like(slurp_file($standby->logfile, $log_from), qr/canceling statement due to user request/,
		"grace $grace: a cancel sent again stopped it running");

	# The next race settles the requests: each one written counts, the
	# first and those sent again.
	session_query($session, q{SELECT * FROM multiquery.race_query('{mq_standby1}', 'SELECT 1')
		AS t(x int)});
	cmp_ok($primary->safe_psql('postgres', q{
			SELECT coalesce(sum(cancels), 0) FROM multiquery.race_stats
			WHERE target = 'mq_standby1'}), '>=', 2,
		"grace $grace: race_stats.cancels counts the requests sent again");
	$session->quit;
}

ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
done_testing();
