# An entry need not be large in any one value to be large: millions of
# one-byte names and values cost the drain a node each, and empty ones cost
# nothing against drain_max_entry_size at all. Two such entries sit between
# ordinary ones; the worker's anonymous memory (RssAnon) stays under 64 MB
# throughout, both entries become dead letters (54000) that keep their id
# and first names and values, and every other entry arrives once, in order.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;
use MultiQuery::RssSampler;

my $limit_kb = 64 * 1024;
my $pairs = 2_500_000;    # five million strings per entry

my $redis = MultiQuery::Redis->new;
$redis->start;
my $node = queue_node('primary', $redis, qq{
multiquery.drain_streams = 'elsewhere'
multiquery.drain_trim = off
multiquery.redis_timeout = '10s'
});
$node->safe_psql('postgres', q{
	CREATE ROLE queue_owner;
	CREATE TABLE events (seq int PRIMARY KEY, ord bigserial);
	ALTER TABLE events OWNER TO queue_owner;
});
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'multiquery drain'"),
	'the drain worker runs');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'");
my $sampler = MultiQuery::RssSampler->start($pid);

# 1..3, then 2.5 million pairs of one-byte names and values (5 MB of them,
# over the 1 MB limit), 4..6, then 2.5 million pairs of empty ones (within
# the limit by their bytes, not by what they cost to hold), then 7..9.
my @commands;
my $next = 0;
sub add_entry {
	push @commands, ['XADD', 'many', '1-' . ++$next, 'table', 'public.events', @_];
}
add_entry('row', qq({"seq": $_})) for 1 .. 3;
add_entry('row', '{"seq": 101}', ('a', 'b') x $pairs);
my $tiny_id = "1-$next";
add_entry('row', qq({"seq": $_})) for 4 .. 6;
add_entry('row', '{"seq": 102}', ('', '') x $pairs);
my $empty_id = "1-$next";
add_entry('row', qq({"seq": $_})) for 7 .. 9;
my $last_id = "1-$next";
$redis->pipe_generated(scalar @commands, sub { $commands[ $_[0] ] });
@commands = ();

ok(drain_all_at_once($node, 'many', $last_id), 'the drain reaches the last entry');
my $peak = $sampler->peak_kb;
diag("the worker's peak RssAnon: $peak kB");
ok(defined $peak && $peak > 0, 'the sampler read the worker');
cmp_ok($peak, '<', $limit_kb, "the worker's RssAnon stayed under 64 MB");

is($node->safe_psql('postgres', q{SELECT string_agg(seq::text, ',' ORDER BY ord) FROM events}),
	'1,2,3,4,5,6,7,8,9', 'every other entry arrived once, in stream order');
my $letters = $node->safe_psql('postgres', q{
	SELECT entry_id, sqlstate, entry_bytes, error, array_length(payload, 1), payload[1:4]
	FROM multiquery.dead_letters WHERE stream = 'many' ORDER BY entry_id});
my @letters = map { [ split /\|/ ] } split /\n/, $letters;
is(scalar @letters, 2, 'both entries are dead letters');
my $tiny_bytes = length('table') + length('public.events') + length('row') + length('{"seq": 101}')
	+ 2 * $pairs;
is_deeply([ @{ $letters[0] }[ 0 .. 2 ] ], [ $tiny_id, '54000', $tiny_bytes ],
	'the one-byte entry: its id, 54000 and its size, every name and value counted');
like($letters[0][3], qr/^entry is $tiny_bytes bytes, more than multiquery\.drain_max_entry_size/,
	'its error gives the size and the limit');
cmp_ok($letters[0][4], '<=', 16, 'its letter keeps only its first names and values');
is($letters[0][5], '{table,public.events,row,"{\"seq\": 101}"}', 'starting with the first');
is_deeply([ @{ $letters[1] }[ 0 .. 1 ] ], [ $empty_id, '54000' ], 'the empty one: its id and 54000');
is($letters[1][3], 'entry has more names and values than one read of the drain can hold',
	'its error says why, since its bytes are within the limit');

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started,
	'the server never restarted');
is($node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'"),
	$pid, 'the same worker drained it all');
$node->stop;
done_testing();
