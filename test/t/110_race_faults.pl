# race_query while a node is hung (every process SIGSTOPped: TCP connects,
# nothing answers) or down (connection refused): every call still answers
# from the healthy node, quickly; the failed node is backed off; and when no
# target can answer the error names each one, within the timeout.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
# Calls race_query $calls times, 0.3 s apart, in one session (so that its
# connection cache and back-off carry over), and returns one line per call:
# which kind of node answered, and how long the call took in milliseconds.
$primary->safe_psql('postgres', q{
	CREATE FUNCTION race_calls(targets text[], calls int)
	RETURNS TABLE (call int, in_recovery bool, ms float8) LANGUAGE plpgsql AS $$
	DECLARE started timestamptz;
	BEGIN
		FOR i IN 1 .. calls LOOP
			started := clock_timestamp();
			SELECT r INTO in_recovery FROM multiquery.race_query(targets,
				'SELECT pg_is_in_recovery()') AS t(r bool);
			call := i;
			ms := extract(epoch FROM clock_timestamp() - started) * 1000;
			RETURN NEXT;
			PERFORM pg_sleep(0.3);
		END LOOP;
	END $$;
});

# Every call answered by the primary, each within the generous bound.
sub check_calls {
	my ($output, $what) = @_;
	my @lines = split /\n/, $output;
	is(scalar(@lines), 12, "$what: every call returned");
	my @slow = grep { (split /\|/)[2] > 5000 } @lines;
	my @wrong = grep { (split /\|/)[1] ne 'f' } @lines;
	is(scalar(@slow), 0, "$what: no call took 5 s (race_timeout is 30 s)")
	  or diag($output);
	is(scalar(@wrong), 0, "$what: the primary answered every call") or diag($output);
}

my $session = $primary->background_psql('postgres', on_error_stop => 0);
$session->query_safe(q{SET multiquery.race_timeout = '30s'});
# A warm connection to the standby, about to hang under a running query.
$session->query_safe(q{
	SELECT * FROM multiquery.race_query('{mq_standby1}', 'SELECT 1') AS t(x int)});

# 3a. The standby hangs.
freeze_node($standby);
my $started = time;
my $calls = $session->query_safe(q{SELECT * FROM race_calls('{mq_primary,mq_standby1}', 12)});
check_calls($calls, 'standby hung');
ok(time - $started < 30, 'twelve calls took well under the race timeout');

# Once it has failed (its cancelled query never ended, or it could not
# connect within multiquery.connect_timeout), the hung standby is backed off:
# a race the primary cannot win in time then reports the standby as skipped
# rather than timed out. Polled, as the standby fails on its own schedule.
my $report = '';
ok(poll_until(20, sub {
	(undef, $report) = session_query($session, q{
		SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}',
			'SELECT pg_sleep(2)', NULL, 300) AS t(x text)});
	$report =~ /mq_standby1: skipped: failed \d+ time\(s\) in a row, backed off/;
}), 'the hung standby is backed off') or diag($report);
like($report, qr/mq_primary: no answer within 300 ms/, 'and the primary is reported as timed out');
thaw_node($standby);

# Once it answers again, it is tried again after its back-off.
ok(poll_until(30, sub {
	my ($who) = session_query($session, q{
		SELECT r FROM multiquery.race_query('{mq_standby1}', 'SELECT pg_is_in_recovery()')
			AS t(r bool)});
	$who =~ /^t$/m;
}), 'the thawed standby answers again');

# 3b. The standby is down: connection refused.
$standby->stop('immediate');
$calls = $session->query_safe(q{SELECT * FROM race_calls('{mq_primary,mq_standby1}', 12)});
check_calls($calls, 'standby down');

# 4. Every target fails: an error naming each target and why, in time.
$session->query_safe(q{SET multiquery.target_backoff = 0});
$started = time;
my (undef, $err) = session_query($session, q{
	SELECT * FROM multiquery.race_query('{mq_standby1,"host=127.0.0.1 port=1 password=hunter2"}',
		'SELECT 1', NULL, 5000) AS t(x int)});
my $elapsed = time - $started;
like($err, qr/ERROR:  race_query failed: all 2 targets failed/,
	'all targets down: an error');
like($err, qr/mq_standby1: .*Connection refused/, 'naming the down standby');
like($err, qr/host=127\.0\.0\.1 port=1 password=\*\*\*: .*Connection refused/,
	'and the connection string, without its password');
unlike($err, qr/hunter2/, 'the password appears nowhere');
# libpq's two lines stay two sentences on the target's one line of DETAIL.
like($err, qr/mq_standby1: [^\n]*Connection refused; Is the server running/,
	'libpq\'s lines joined with a semicolon, on one line per target');
ok($elapsed < 5, 'the error came within the timeout');

$session->quit;

ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
$primary->stop;
done_testing();
