# A Redis that answers LOADING (restarting with a dataset to load) is a Redis
# not yet available: the worker waits with its usual backoff and shows
# 'redis unreachable' (no ERROR in the log), enqueue() fails with 57P03
# (cannot_connect_now) and nothing is queued, and both go on by themselves
# once the dataset is loaded. The loading is slowed down on purpose
# (key-load-delay) so that it lasts seconds.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $redis = MultiQuery::Redis->new(
	args => ['--key-load-delay', '300', '--loading-process-events-interval-bytes', '1024']);
$redis->start;
# Something to load: 20,000 keys at 0.3 ms each make a loading of ~6 s.
$redis->pipe_generated(20000, sub { ['SET', "ballast:$_[0]", 'x'] });

my $node = queue_node('primary', $redis, qq{
multiquery.drain_streams = 'load'
});
# Owned by an ordinary role: the drain refuses superusers' tables.
$node->safe_psql('postgres', q{CREATE TABLE load (n int); CREATE ROLE queue_owner; ALTER TABLE load OWNER TO queue_owner;});
$node->safe_psql('postgres', q{SELECT multiquery.enqueue('load', '{"n": 1}', 'load')});
ok($node->poll_query_until('postgres', 'SELECT count(*) = 1 FROM load'), 'the worker drains');

sub loading { return $redis->cli('XLEN', 'load') =~ /^LOADING/; }

$redis->stop;
$redis->launch;
my $seen_loading = 0;
for (1 .. 100) {
	last if ($seen_loading = loading());
	usleep(50_000);
}
ok($seen_loading, 'Redis answers LOADING while it loads its dataset');

my ($rc, $out, $err) = $node->psql('postgres',
	q{SELECT multiquery.enqueue('load', '{"n": 2}', 'load')}, extra_params => ['-v', 'VERBOSITY=verbose']);
like($err, qr/57P03.*LOADING/s, 'enqueue() during the load fails with 57P03, saying why');
ok(loading(), '(Redis was still loading then)');
ok($node->poll_query_until('postgres', q{
		SELECT state = 'redis unreachable' FROM multiquery.drain_status WHERE stream = 'load'}),
	'the worker sees an unavailable Redis, not a failed batch');

for (1 .. 600) {
	last unless loading();
	usleep(50_000);
}
ok(!loading(), 'Redis has loaded its dataset');
ok($node->poll_query_until('postgres', q{
		SELECT state = 'running' FROM multiquery.drain_status WHERE stream = 'load'}),
	'the worker runs again by itself');
$node->safe_psql('postgres', q{SELECT multiquery.enqueue('load', '{"n": 3}', 'load')});
ok($node->poll_query_until('postgres', 'SELECT count(*) = 2 FROM load'), 'and drains again');
is($node->safe_psql('postgres', q{SELECT string_agg(n::text, ',' ORDER BY n) FROM load}), '1,3',
	'the refused entry was never queued; the others arrived once');
my @errors = grep { /ERROR:.*LOADING/ } split /\n/, slurp_file($node->logfile);
is(scalar(@errors), 1, 'the only ERROR about the loading Redis in the log is enqueue()\'s own')
  or diag(join("\n", @errors));

$node->stop;
$redis->stop;
done_testing();
