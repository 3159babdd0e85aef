# A hung Redis (SIGSTOPped: it accepts connections and answers nothing) must
# not hold anyone for multiquery.redis_timeout: statement_timeout and
# pg_cancel_backend stop enqueue() promptly, and the drain worker exits
# promptly on SIGTERM, so a fast shutdown is fast. Once Redis runs again,
# everything works and every acknowledged entry lands exactly once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use MultiQuery::Redis;
use Time::HiRes qw(time usleep);

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = PostgreSQL::Test::Cluster->new('hung_redis');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
multiquery.redis_port = ${\ $redis->port}
multiquery.redis_timeout = '60s'
multiquery.drain_database = 'postgres'
multiquery.drain_streams = 'hung'
});
$node->start;
# Owned by an ordinary role: the drain refuses superusers' tables.
$node->safe_psql('postgres', 'CREATE EXTENSION multiquery; CREATE TABLE hung (n int); '
	. 'CREATE ROLE queue_owner; ALTER TABLE hung OWNER TO queue_owner');

sub enqueue {
	my ($n) = @_;
	return $node->safe_psql('postgres', qq{SELECT multiquery.enqueue('hung', '{"n": $n}')});
}

sub drain_pid {
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'multiquery drain'")
	  or return '';
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'");
}

sub gone_within_10s {
	my ($pid) = @_;
	for (1 .. 100) {
		return 1 unless kill(0, $pid);
		usleep(100_000);
	}
	return 0;
}

enqueue($_) for 1 .. 10;
ok($node->poll_query_until('postgres', 'SELECT count(*) = 10 FROM hung'), 'the worker drains');

$redis->freeze;

# (1) statement_timeout ends an enqueue() waiting for the hung Redis.
my $start = time;
my ($ret, $out, $err) = $node->psql('postgres',
	qq{SET statement_timeout = '300ms'; SELECT multiquery.enqueue('hung', '{"n": 1001}')},
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
my $took = time - $start;
like($err, qr/ERROR:  57014: canceling statement due to statement timeout/,
	'statement_timeout cancels enqueue() on a hung Redis');
cmp_ok($took, '<', 10, sprintf('promptly (%.1f s, redis_timeout is 60 s)', $took));

# (2) pg_cancel_backend ends an enqueue() blocked on the hung Redis.
my ($cancel_out, $cancel_err) = ('', '');
my $psql = IPC::Run::start(
	[ 'psql', '-X', '-v', 'VERBOSITY=verbose', '-d', $node->connstr('postgres'), '-c',
		qq{SELECT multiquery.enqueue('hung', '{"n": 1002}')} ],
	'>', \$cancel_out, '2>', \$cancel_err, IPC::Run::timeout(180));
my $blocked = q{SELECT pid FROM pg_stat_activity
	WHERE query LIKE '%"n": 1002%' AND state = 'active' AND pid <> pg_backend_pid()};
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM ($blocked) b"),
	'a session is in enqueue()');
sleep 1;    # well inside the wait for Redis by now
$start = time;
$node->safe_psql('postgres', "SELECT pg_cancel_backend(pid) FROM ($blocked) b");
$psql->finish;
$took = time - $start;
like($cancel_err, qr/ERROR:  57014: canceling statement due to user request/,
	'pg_cancel_backend cancels enqueue() on a hung Redis');
cmp_ok($took, '<', 10, sprintf('promptly (%.1f s)', $took));

# (3) The worker, stuck on the hung Redis, exits promptly on SIGTERM...
my $pid = drain_pid();
sleep 1;    # its next poll of the stream is waiting for Redis now
kill 'TERM', $pid;
ok(gone_within_10s($pid), 'the worker exits within 10 s of SIGTERM while Redis hangs');
# ... and so does a fast shutdown, with the restarted worker stuck again.
my $next = drain_pid();
ok($next ne '' && $next ne $pid, 'the worker is restarted');
sleep 1;
$start = time;
$node->stop('fast');
$took = time - $start;
cmp_ok($took, '<', 10, sprintf('pg_ctl stop -m fast completes promptly (%.1f s)', $took));

# Redis runs again: everything works, and every entry whose enqueue()
# returned lands exactly once. A cancelled enqueue() may or may not have
# reached Redis (its XADD was sent, the answer was never read): at most once.
$redis->thaw;
$node->start;
enqueue($_) for 11 .. 20;
ok($node->poll_query_until('postgres', 'SELECT count(DISTINCT n) = 20 FROM hung WHERE n <= 20'),
	'after SIGCONT enqueue() works and the worker drains');
is($node->safe_psql('postgres', 'SELECT count(*) FROM hung WHERE n <= 20'), '20',
	'each acknowledged entry exactly once');
cmp_ok($node->safe_psql('postgres', 'SELECT max(c) FROM (SELECT count(*) AS c FROM hung GROUP BY n) x'),
	'<=', 1, 'no entry twice, the cancelled ones included');

$node->stop;
$redis->stop;
done_testing();
