# Lazy cancellation (multiquery.race_cancel_grace): a race's loser that will
# answer within its grace, derived from its own recent latency, is not sent a
# cancel request; its answer is read and dropped by the next race using its
# connection. A loser still running past its grace is cancelled all the same:
# by the next race that uses its connection, by the backend between races
# when none comes, or at once when the grace is 0.
# Cancels are counted twice: in race_stats.cancels, and on the standby
# itself, which logs each statement cancelled by a request.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);

my $session = $primary->background_psql('postgres', on_error_stop => 0);
# A race in which the standby sleeps $sleep seconds and the primary answers
# at once; returns whether a standby answered ('t') or the primary ('f').
my $race = sub {
	my ($sleep, $targets) = @_;
	$targets //= '{mq_primary,mq_standby1}';
	my ($out, $err) = session_query($session, qq{
		SELECT * FROM multiquery.race_query('$targets',
			'SELECT pg_is_in_recovery()
			 FROM (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN $sleep ELSE 0 END)) AS s')
			AS t(in_recovery bool)});
	return $out eq '' ? $err : $out;
};
my $standby_stats = sub {
	return $primary->safe_psql('postgres', q{
		SELECT races, wins, cancels FROM multiquery.race_stats WHERE target = 'mq_standby1'});
};
my $cancelled_on_standby = sub {
	my @hits = slurp_file($standby->logfile) =~ /canceling statement due to user request/g;
	return scalar @hits;
};
my $standby_pid = sub {
	my ($pid) = session_query($session, q{
		SELECT * FROM multiquery.race_query('{mq_standby1}', 'SELECT pg_backend_pid()')
			AS t(pid int)});
	return $pid;
};

# 1. The standby's answers take 100 ms (it races alone, and wins): its grace
# is at least that. Then it loses race after race to the primary (connected
# beforehand) while its own answer comes 30 ms late: well within its grace,
# it is never cancelled.
$session->query_safe(q{SET multiquery.race_cancel_grace = '10s'});
is($race->(0.1, '{mq_standby1}'), 't', "warm-up $_: the standby alone answers") for 1 .. 6;
is($race->(0, '{mq_primary}'), 'f', 'warm-up: the primary alone answers');
my $pid = $standby_pid->();
$session->query_safe('SELECT multiquery.race_stats_reset()');
my $log_cancels = $cancelled_on_standby->();
is($race->(0.03), 'f', "healthy race $_: the primary wins") for 1 .. 20;
is($standby_stats->(), '20|0|0', 'the standby lost 20 races and was cancelled in none');
is($cancelled_on_standby->(), $log_cancels, 'the standby logged no cancelled statement');
is($standby_pid->(), $pid, 'its answers were drained on the same connection');

# 2. A loser stalled far beyond its grace is cancelled (by the next race that
# uses its connection when it comes before the backend's timeout), and that
# race goes on with the connection.
$session->query_safe('SELECT multiquery.race_stats_reset()');
is($race->(30), 'f', 'stalled standby: the primary wins');
is($standby_pid->(), $pid, 'the next race drains the stalled query and reuses the connection');
is(remote_queries($standby, 'pg_sleep'), '0', 'the stalled query no longer runs on the standby');
is($standby_stats->(), '2|1|1', 'race_stats counts one cancel');
ok(poll_until(5, sub { $cancelled_on_standby->() == $log_cancels + 1 }),
	'the standby logged the cancelled statement');

# 3. With no further race, a loser stalled past its grace is cancelled by the
# backend all the same (a timeout armed as the race ended), and the next race
# reuses the connection once the cancel is seen through.
$session->query_safe('SELECT multiquery.race_stats_reset()');
is($race->(30), 'f', 'stalled standby, no race after: the primary wins');
ok(poll_until(5, sub { remote_queries($standby, 'pg_sleep') eq '0' }),
	'the stalled query is cancelled without another race');
is($standby_pid->(), $pid, 'and the next race reuses the connection');
is($standby_stats->(), '2|1|1', 'race_stats counts the cancel the backend sent between races');

# 3b. An ERROR right after the race does not spare the loser: the error's
# recovery stops every timeout of the backend, and the loser is still
# cancelled within its grace while the session sits idle.
is($race->(30), 'f', 'stalled standby, then an error: the primary wins');
my (undef, $division) = session_query($session, 'SELECT 1/0');
like($division, qr/division by zero/, 'the session runs into an error after the race');
ok(poll_until(5, sub { remote_queries($standby, 'pg_sleep') eq '0' }),
	'the stalled query is cancelled all the same, without another race');
is($standby_pid->(), $pid, 'and the next race reuses the connection');

# 4. With multiquery.race_cancel_grace = 0 every loser still running is
# cancelled as the race ends, with no later race needed.
$session->query_safe(q{SET multiquery.race_cancel_grace = 0});
is($race->(30), 'f', 'grace 0: the primary wins');
ok(poll_until(5, sub { remote_queries($standby, 'pg_sleep') eq '0' }),
	'grace 0: the stalled query is cancelled without another race');

# 5. The grace bounds what the latency allows: a small bound cancels a loser
# whose history alone would have spared it.
$session->query_safe(q{SET multiquery.race_cancel_grace = '1ms'});
# (Settles the standby's connection, still draining the query cancelled above.)
is($standby_pid->(), $pid, 'the connection is reused after a cancel');
$session->query_safe('SELECT multiquery.race_stats_reset()');
is($race->(0.2), 'f', 'grace 1ms: the primary wins');
is($standby_pid->(), $pid, 'the next race reuses the connection');
is($standby_stats->(), '2|1|1', 'grace 1ms: the late loser was cancelled');

# 6. A target whose losers keep needing a cancel is stalled: after three in
# a row, with no answer in between, it is backed off like a failed target
# (multiquery.target_backoff), so that the races that follow neither wait
# for it nor cost its server a cancel (a forked process) each; after the
# back-off it is tried again.
$session->query_safe(q{RESET multiquery.race_cancel_grace});
is($standby_pid->(), $pid, 'the standby answers again (and is no longer draining)');
$session->query_safe('SELECT multiquery.race_stats_reset()');
# How many of its queries get cancelled in how many races depends on timing
# (a stalled query holds the connection until its cancel is through): race
# until the third late cancel.
my ($cancels_stalled, $races_stalled, $all_primary) = (0, 0, 1);
for (1 .. 300) {
	$all_primary &&= $race->(30) eq 'f';
	($races_stalled, undef, $cancels_stalled) = split /\|/, $standby_stats->();
	last if $cancels_stalled >= 3;
}
ok($all_primary, 'stalled standby: the primary wins every race');
is($cancels_stalled, '3', 'three of its losers were cancelled late');
$race->(30) for 1 .. 5;
my ($races_after, undef, $cancels_after) = split /\|/, $standby_stats->();
is($races_after, $races_stalled, 'backed off: five more races leave the standby out');
# (The race that made the third cancel may have sent the standby one more
# query before it ended: that one is cancelled too, and no other.)
ok($cancels_after <= 4, "and cost it no further cancels ($cancels_after in all)");
sleep 2;    # past multiquery.target_backoff (1s)
is($race->(30), 'f', 'after the back-off: the primary wins');
my ($races_retried) = split /\|/, $standby_stats->();
is($races_retried, $races_stalled + 1, 'after the back-off the standby is tried again');

$session->quit;
ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
done_testing();
