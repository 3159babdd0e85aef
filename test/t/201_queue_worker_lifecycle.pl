# The drain worker's life: it exits promptly on SIGTERM and comes back, the
# postmaster restarts it after a crash, a standby (which has the library
# preloaded through the copied configuration) writes nothing and starts
# draining once promoted, and the inserts run with multiquery.drain_role's
# privileges only.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use Time::HiRes qw(time);

my $redis = MultiQuery::Redis->new;
$redis->start;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
restart_after_crash = on
multiquery.redis_port = ${\ $redis->port}
multiquery.drain_database = 'postgres'
multiquery.drain_streams = 'life'
});
$primary->start;
$primary->safe_psql('postgres', q{
	CREATE EXTENSION multiquery;
	CREATE TABLE life (n int);
	CREATE TABLE failover (n int);
	-- Queue tables belong to an ordinary role: the drain refuses superusers' tables.
	CREATE ROLE queue_owner;
	ALTER TABLE life OWNER TO queue_owner;
	ALTER TABLE failover OWNER TO queue_owner;
});

sub worker_pid {
	my ($node) = @_;
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'multiquery drain'")
	  or return '';
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'");
}

# Waits (at most 10 s) for a process to be gone.
sub gone_within_10s {
	my ($pid) = @_;
	for (1 .. 100) {
		return 1 unless kill(0, $pid);
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

sub enqueue_and_wait {
	my ($node, $n, $what) = @_;
	$node->safe_psql('postgres', "SELECT multiquery.enqueue('life', '{\"n\": $n}', 'life')");
	ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM life WHERE n = $n"), $what);
}

enqueue_and_wait($primary, 1, 'the worker drains');

# SIGTERM (what pg_terminate_backend and a fast shutdown send): a prompt exit.
my $pid = worker_pid($primary);
kill 'TERM', $pid;
ok(gone_within_10s($pid), 'the worker exits within 10 s of SIGTERM');
my $next = worker_pid($primary);
ok($next ne '' && $next ne $pid, 'the postmaster starts it again (bgw_restart_time)');
enqueue_and_wait($primary, 2, 'and it drains again');

# A crash (SIGKILL): the postmaster reinitialises and restarts the worker.
kill 'KILL', $next;
my $after_crash = worker_pid($primary);
ok($after_crash ne '' && $after_crash ne $next, 'after a crash the worker is restarted');
enqueue_and_wait($primary, 3, 'and drains again');
ok($primary->log_contains('background worker "multiquery drain" \(PID \d+\) was terminated by signal 9'),
	'the crash was the worker being killed');

# drain_role: inserts run with its privileges; a table it may not write is never written.
$primary->safe_psql('postgres', q{
	CREATE ROLE drainer;
	CREATE TABLE allowed (n int);
	CREATE TABLE forbidden (n int);
	ALTER TABLE allowed OWNER TO queue_owner;
	ALTER TABLE forbidden OWNER TO queue_owner;
	GRANT INSERT ON allowed TO drainer;
	ALTER SYSTEM SET multiquery.drain_role = 'drainer';
	SELECT pg_reload_conf();
});
$redis->pipe(
	['XADD', 'life', '*', 'table', 'public.forbidden', 'row', '{"n": 1}'],
	['XADD', 'life', '*', 'table', 'public.allowed', 'row', '{"n": 1}']);
ok($primary->poll_query_until('postgres', 'SELECT count(*) = 1 FROM allowed'),
	'the drain role writes the table it may write');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM forbidden'), '0',
	'and never the one it may not');
is($primary->safe_psql('postgres', q{
		SELECT sqlstate || ' ' || (error LIKE 'permission denied for table public.forbidden%')
		FROM multiquery.dead_letters WHERE payload[2] = 'public.forbidden'}),
	'42501 true', 'that entry is a dead letter: permission denied');
# A trigger cannot escalate beyond the drain role either: the insert runs as it.
$primary->safe_psql('postgres', q{
	CREATE TABLE whoami (n int, who text DEFAULT current_user);
	ALTER TABLE whoami OWNER TO queue_owner;
	GRANT INSERT ON whoami TO drainer;
});
$redis->cli('XADD', 'life', '*', 'table', 'whoami', 'row', '{"n": 1}');
ok($primary->poll_query_until('postgres', 'SELECT count(*) = 1 FROM whoami'), 'a row for whoami');
is($primary->safe_psql('postgres', 'SELECT who FROM whoami'), 'drainer',
	'the insert ran as the drain role');
# A drain_role that does not exist: the batch waits, with the error in
# drain_status, and nothing is lost; it lands once the role exists.
my $log_at = -s $primary->logfile;
$primary->safe_psql('postgres', q{
	ALTER SYSTEM SET multiquery.drain_role = 'missing_drainer';
	SELECT pg_reload_conf();
});
$redis->cli('XADD', 'life', '*', 'table', 'public.allowed', 'row', '{"n": 2}');
ok($primary->poll_query_until('postgres', q{
		SELECT bool_or(last_error LIKE 'role "missing_drainer" named by multiquery.drain_role does not exist%')
		FROM multiquery.drain_status}),
	'drain_status names the missing drain role');
ok($primary->wait_for_log(
		qr/ERROR:  role "missing_drainer" named by multiquery.drain_role does not exist\n(?:[^\n]*HINT:  [^\n]*\n)?[^\n]*CONTEXT:  multiquery drain worker 0, stream "life"\n/,
		$log_at),
	'the ERROR in the log names the worker and the stream');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM allowed WHERE n = 2'), '0',
	'and the entry waits');
$primary->safe_psql('postgres', q{
	CREATE ROLE missing_drainer;
	GRANT INSERT ON allowed TO missing_drainer;
});
ok($primary->poll_query_until('postgres', 'SELECT count(*) = 1 FROM allowed WHERE n = 2'),
	'it lands once the role exists');
is($primary->safe_psql('postgres', q{SELECT count(*) FROM multiquery.dead_letters WHERE payload[2] = 'public.allowed'}),
	'0', 'and it was never a dead letter');

# The throttle: at 500 rows/s, 1,500 rows cannot land in under ~2.5 s
# (three seconds' worth, less the tenth of a second the bucket may burst).
$primary->safe_psql('postgres', q{
	ALTER SYSTEM RESET multiquery.drain_role;
	ALTER SYSTEM SET multiquery.drain_max_rows_per_sec = 500;
	SELECT pg_reload_conf();
});
sleep 1;    # the worker reloads on its next turn
my $start = time;
$redis->pipe(map { ['XADD', 'life', '*', 'table', 'life', 'row', qq{{"n": @{[1000 + $_]}}}] } 1 .. 1500);
ok($primary->poll_query_until('postgres', 'SELECT count(*) = 1500 FROM life WHERE n > 1000'),
	'throttled rows all arrive');
my $took = time - $start;
cmp_ok($took, '>=', 2.5, sprintf('the throttle held them back (%.1f s for 1500 rows at 500/s)', $took));
$primary->safe_psql('postgres', q{
	ALTER SYSTEM RESET multiquery.drain_max_rows_per_sec;
	SELECT pg_reload_conf();
});

# A standby copies the configuration and the preload, but its worker must
# write nothing: it reads another stream here, which the primary does not.
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', "multiquery.drain_streams = 'failover'");
$standby->start;
$primary->wait_for_catchup($standby);
$redis->pipe(map { ['XADD', 'failover', '*', 'table', 'failover', 'row', qq{{"n": $_}}] } 1 .. 10);
sleep 2;
is($standby->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'multiquery drain'"),
	'0', 'no drain worker runs on the standby');
like($redis->cli('XINFO', 'GROUPS', 'failover'), qr/^(ERR no such key)?$/,
	'nobody read the standby\'s stream');

$primary->stop('immediate');
$standby->promote;
ok($standby->poll_query_until('postgres', 'SELECT count(*) = 10 FROM failover'),
	'once promoted, the former standby drains the stream');
is($standby->safe_psql('postgres', 'SELECT string_agg(n::text, \',\' ORDER BY n) FROM failover'),
	'1,2,3,4,5,6,7,8,9,10', 'every entry once');

$standby->stop;
$redis->stop;
done_testing();
