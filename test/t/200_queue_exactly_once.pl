# The write queue's exactly-once promise under faults: 100,000 entries, each
# carrying a unique sequence number, pushed while the drain worker is
# SIGKILLed, PostgreSQL is shut down immediately and restarted, Redis is
# restarted, and Redis is unreachable for a while. In the end every number is
# in the table exactly once, in stream order, and nothing is a dead letter.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use Time::HiRes qw(usleep);

my $total = 100_000;
my $chunk = 25_000;

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init;
# The test framework turns restart_after_crash off; a real server has it on.
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
restart_after_crash = on
multiquery.redis_port = ${\ $redis->port}
multiquery.redis_timeout = '1s'
multiquery.drain_database = 'postgres'
multiquery.drain_streams = 'seqs'
multiquery.drain_batch_size = 500
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION multiquery;
	CREATE TABLE seqs (id bigint GENERATED ALWAYS AS IDENTITY, seq int NOT NULL, chunk int);
	-- Queue tables belong to an ordinary role: the drain refuses superusers' tables.
	CREATE ROLE queue_owner;
	ALTER TABLE seqs OWNER TO queue_owner;
});

# Rows arrive: polls (bounded) until the table holds at least $n rows.
sub wait_rows {
	my ($n, $what) = @_;
	ok($node->poll_query_until('postgres', "SELECT count(*) >= $n FROM seqs"), $what);
}

sub worker_pid {
	my $pid = '';
	$node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'multiquery drain'");
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'");
}

# Pushes one chunk of entries, mostly single rows, some several rows per entry.
sub push_chunk {
	my ($number) = @_;
	my $first = ($number - 1) * $chunk + 1;
	my $last = $number * $chunk;
	my @commands;
	my $seq = $first;
	while ($seq <= $last) {
		if ($seq % 10 == 0 && $seq + 2 <= $last) {
			push @commands, ['XADD', 'seqs', '*', 'table', 'public.seqs', 'rows',
				qq{[{"seq": $seq, "chunk": $number}, {"seq": @{[$seq + 1]}, "chunk": $number}, {"seq": @{[$seq + 2]}, "chunk": $number}]}];
			$seq += 3;
		} else {
			push @commands, ['XADD', 'seqs', '*', 'table', 'public.seqs', 'row',
				qq{{"seq": $seq, "chunk": $number}}];
			$seq += 1;
		}
	}
	$redis->pipe(@commands);
}

# 1. SIGKILL of the worker in the middle of a backlog. The postmaster treats
# it as a crash: every backend restarts, and so does the worker.
push_chunk(1);
wait_rows(1, 'the drain has started on chunk 1');
my $pid = worker_pid();
ok(kill('KILL', $pid), "SIGKILL to the drain worker ($pid)");
wait_rows($chunk, 'chunk 1 complete after the worker was killed');
isnt(worker_pid(), $pid, 'the postmaster restarted the worker');

# 2. Immediate shutdown (no checkpoint, no orderly worker exit) and restart.
push_chunk(2);
wait_rows($chunk + 1, 'the drain has started on chunk 2');
$node->stop('immediate');
$node->start;
wait_rows(2 * $chunk, 'chunk 2 complete after an immediate shutdown and restart');

# 3. Redis restarts (its append-only file keeps the stream and the group).
push_chunk(3);
wait_rows(2 * $chunk + 1, 'the drain has started on chunk 3');
$redis->restart;
wait_rows(3 * $chunk, 'chunk 3 complete after a Redis restart');

# 4. Redis unreachable for a while: the worker says so and recovers alone.
push_chunk(4);
wait_rows(3 * $chunk + 1, 'the drain has started on chunk 4');
$redis->stop;
ok($node->poll_query_until('postgres',
		"SELECT state = 'redis unreachable' FROM multiquery.drain_status WHERE stream = 'seqs'"),
	'drain_status says Redis is unreachable');
sleep 3;
$redis->start;
wait_rows($total, 'chunk 4 complete after Redis came back');

# Every entry is now applied and acknowledged: nothing pending in Redis.
ok($node->poll_query_until('postgres',
		"SELECT pending = 0 AND lag = 0 FROM multiquery.drain_status WHERE stream = 'seqs'"),
	'no entry left pending or undelivered in Redis');

is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM seqs'),
	"$total|$total|1|$total", 'every sequence number exactly once: none missing, none doubled');
is($node->safe_psql('postgres', q{
		SELECT count(*) FROM (SELECT seq, lag(seq) OVER (ORDER BY id) AS before FROM seqs) s
		WHERE seq < before}),
	'0', 'rows were inserted in stream order');
is($node->safe_psql('postgres', 'SELECT count(*) FROM multiquery.dead_letters'), '0',
	'no dead letters');

# Redis being down was logged a few times, not once per loop.
my $log = slurp_file($node->logfile);
my $complaints = () = $log =~ /cannot use Redis, retrying in \d+ ms\n[^\n]*DETAIL:  /g;
cmp_ok($complaints, '>=', 1, 'the outage was logged');
cmp_ok($complaints, '<=', 30, "the outage was logged at a sane rate ($complaints lines)");
my $named = () = $log =~
  /(?:WARNING|LOG):  cannot use Redis, retrying in \d+ ms\n[^\n]*DETAIL:  [^\n]*\n[^\n]*CONTEXT:  multiquery drain worker 0\n/g;
is($named, $complaints, 'each complaint names the worker in its CONTEXT line');
ok($log =~ /LOG:  reached Redis again\n[^\n]*CONTEXT:  multiquery drain worker 0\n/,
	'the recovery was logged, naming the worker');

$node->stop;
$redis->stop;
done_testing();
