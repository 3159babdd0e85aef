# Redis high availability through Sentinel: real redis-server master and
# replica and a real redis-server --sentinel. The worker and enqueue() find
# the master through Sentinel (multiquery.redis_host points nowhere). The
# master is killed with SIGKILL while the worker drains and a producer writes
# (XADD, then WAIT for the replica): every entry Redis acknowledged as
# replicated, and every entry the new master took, arrives exactly once;
# nothing arrives twice; enqueue() in a session that knew the old master
# works against the new one.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use MultiQuery::Redis;
use MultiQuery::Sentinel;

my $master = MultiQuery::Redis->new;
$master->start;
my $replica = MultiQuery::Redis->new(args => ['--replicaof', '127.0.0.1', $master->port]);
$replica->start;
my $sentinel = MultiQuery::Sentinel->new('queue', $master->port);
$sentinel->start;
for (1 .. 100) {
	last if $master->cli('INFO', 'replication') =~ /connected_slaves:1/;
	usleep(100_000);
}
like($master->cli('INFO', 'replication'), qr/connected_slaves:1/, 'the replica follows the master');
is($sentinel->master_port, $master->port, 'the sentinel names the master');

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
multiquery.redis_port = 1
multiquery.redis_sentinels = '127.0.0.1:${\ $sentinel->port}'
multiquery.redis_master_name = 'queue'
multiquery.redis_timeout = '1s'
multiquery.drain_database = 'postgres'
multiquery.drain_streams = 'ha'
multiquery.drain_batch_size = 50
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION multiquery;
	CREATE TABLE ha (seq int);
	-- Queue tables belong to an ordinary role: the drain refuses superusers' tables.
	CREATE ROLE queue_owner;
	ALTER TABLE ha OWNER TO queue_owner;
});

# A session that enqueues before the failover and again after it.
my $session = $node->background_psql('postgres');
$session->query_safe(q{SELECT multiquery.enqueue('ha', '{"seq": -1}', 'ha')});
ok($node->poll_query_until('postgres', 'SELECT count(*) = 1 FROM ha WHERE seq = -1'),
	'enqueue() and the worker reach the master through Sentinel');

# The producer: XADD then WAIT 1 on one connection, as an application that
# wants its entries replicated would; it follows Sentinel when its master
# goes. An entry whose XADD got no answer is never re-sent (it may exist).
my (%replicated, %taken_by_new_master);
my ($seq, $socket, $port) = (0, undef, $sentinel->master_port);
my $failed_over = 0;
sub produce {
	my ($count) = @_;
	for (1 .. $count) {
		$seq++;
		$socket //= MultiQuery::Sentinel::connect_client($port);
		my $id = $socket
		  ? MultiQuery::Sentinel::command($socket, 'XADD', 'ha', '*', 'table', 'ha', 'row', qq({"seq": $seq}))
		  : undef;
		if (!defined $id || ref $id) {
			$socket = undef;
			$port = $sentinel->master_port // $port;
			usleep(20_000);
			next;
		}
		if ($port != $master->port) {
			$taken_by_new_master{$seq} = 1;
			next;
		}
		my $copies = MultiQuery::Sentinel::command($socket, 'WAIT', 1, 1000);
		$replicated{$seq} = 1 if defined $copies && !ref $copies && $copies >= 1;
	}
}

produce(1000);
cmp_ok(scalar(keys %replicated), '>=', 990, 'before the failover the replica acknowledges the entries');
$master->kill9;
my $deadline = time + 60;
while (keys(%taken_by_new_master) < 500 && time < $deadline) {
	produce(20);
}
cmp_ok(scalar(keys %taken_by_new_master), '>=', 500, 'Sentinel promoted the replica; the producer writes there');
is($sentinel->master_port, $replica->port, 'the sentinel names the former replica');

my @expected = sort { $a <=> $b } (keys %replicated, keys %taken_by_new_master);
my $wanted = join(',', @expected);
ok($node->poll_query_until('postgres', qq{
		SELECT count(*) = 0 FROM unnest('{$wanted}'::int[]) AS w(seq)
		WHERE NOT EXISTS (SELECT FROM ha WHERE ha.seq = w.seq)}),
	'every replicated or newly taken entry arrives (' . scalar(@expected) . ' entries)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM (SELECT seq FROM ha GROUP BY seq HAVING count(*) > 1) d'),
	'0', 'no entry arrives twice');

$session->query_safe(q{SELECT multiquery.enqueue('ha', '{"seq": -2}', 'ha')});
ok($node->poll_query_until('postgres', 'SELECT count(*) = 1 FROM ha WHERE seq = -2'),
	'enqueue() in the same session works against the new master');
$session->quit;

# A configured master that is in fact a replica is never written to.
my $lonely = MultiQuery::Redis->new(args => ['--replicaof', '127.0.0.1', $replica->port]);
$lonely->start;
my ($rc, $out, $err) = $node->psql('postgres', qq{
	SET multiquery.redis_sentinels = '';
	SET multiquery.redis_port = ${\ $lonely->port};
	SELECT multiquery.enqueue('ha', '{"seq": -3}', 'ha')});
like($err, qr/READONLY/, 'enqueue() to a replica fails, saying why');

$node->stop;
$sentinel->stop;
$replica->stop;
$lonely->stop;
done_testing();
