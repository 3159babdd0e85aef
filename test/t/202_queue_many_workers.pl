# Several drain workers share the streams (each stream read by exactly one,
# so its order holds), and Redis killed with SIGKILL mid-drain loses nothing
# that it had acknowledged to producers (append-only file, fsync always).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = queue_node('primary', $redis, qq{
multiquery.drain_streams = 'a, b, c, d'
multiquery.drain_workers = 2
multiquery.drain_batch_size = 100
});
$node->safe_psql('postgres', q{
	CREATE TABLE rows_in (id bigint GENERATED ALWAYS AS IDENTITY, stream text, seq int);
	-- Queue tables belong to an ordinary role: the drain refuses superusers' tables.
	CREATE ROLE queue_owner;
	ALTER TABLE rows_in OWNER TO queue_owner;
});

ok($node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = 'multiquery drain'"),
	'two drain workers run');
ok($node->poll_query_until('postgres', 'SELECT count(*) = 4 FROM multiquery.drain_status'),
	'drain_status shows the four streams');
is($node->safe_psql('postgres',
		'SELECT count(DISTINCT stream) || \' \' || count(DISTINCT worker) FROM multiquery.drain_status'),
	'4 2', 'each stream belongs to one worker, and both workers have streams');

my $per_stream = 5000;
my @commands;
for my $seq (1 .. $per_stream) {
	for my $stream (qw(a b c d)) {
		push @commands, ['XADD', $stream, '*', 'table', 'rows_in', 'row',
			qq{{"stream": "$stream", "seq": $seq}}];
	}
}
$redis->pipe(@commands);
ok($node->poll_query_until('postgres', 'SELECT count(*) > 0 FROM rows_in'), 'the drain started');
$redis->kill9;
$redis->start;
my $total = 4 * $per_stream;
ok($node->poll_query_until('postgres', "SELECT count(*) >= $total FROM rows_in"),
	'every entry arrives after Redis was killed and restarted');
ok($node->poll_query_until('postgres',
		'SELECT bool_and(pending = 0 AND lag = 0) FROM multiquery.drain_status'),
	'nothing left pending');
is($node->safe_psql('postgres', q{
		SELECT count(*) || ' ' || count(DISTINCT (stream, seq)) FROM rows_in}),
	"$total $total", 'every entry exactly once');
is($node->safe_psql('postgres', q{
		SELECT count(*) FROM (
			SELECT seq, lag(seq) OVER (PARTITION BY stream ORDER BY id) AS before FROM rows_in) s
		WHERE seq <> before + 1}),
	'0', 'each stream in its own order, with no gap');

$node->stop;
$redis->stop;
done_testing();
