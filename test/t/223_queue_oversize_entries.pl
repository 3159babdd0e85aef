# Entries too large to hold cannot take the drain's memory, nor the server,
# down. Two 300 MB entries sit between ordinary ones; then 40 entries just
# under multiquery.drain_max_entry_size, which one read would otherwise hold
# together (36 MB). Throughout, the worker's anonymous memory (RssAnon: its
# heap, not the shared buffers it touches) is sampled every few
# milliseconds by a process of its own and must stay under 64 MB. The large
# entries become dead letters that keep their id, their size and their
# first bytes, and that retry_dead_letters() refuses to send back cut; every
# other entry arrives once and in order; the server never restarts.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;
use MultiQuery::RssSampler;

my $limit_kb = 64 * 1024;
my $big_bytes = 300 * 1024 * 1024;

my $redis = MultiQuery::Redis->new;
$redis->start;

# The limits are left at their defaults: the bound must hold as shipped.
# redis_timeout is raised: a loaded machine may hold Redis silent past the
# default 2 s, which is not what the connection check below is about (a
# reply misread while an entry streams past would lose the connection).
my $node = queue_node('primary', $redis, qq{
multiquery.drain_streams = 'elsewhere'
multiquery.drain_trim = off
multiquery.redis_timeout = '10s'
});
$node->safe_psql('postgres', q{
	CREATE ROLE queue_owner;
	CREATE TABLE events (seq int PRIMARY KEY, pad text, ord bigserial);
	ALTER TABLE events OWNER TO queue_owner;
});
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'multiquery drain'"),
	'the drain worker runs');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'");

my $sampler = MultiQuery::RssSampler->start($pid);

# Ordinary entries 1..15 with two 300 MB ones among them (seq 105 and 110),
# then 40 of 900 kB, each under the 1 MB limit, 36 MB in all.
my $pad = 'x' x $big_bytes;
my (@commands, %big);
my $next = 0;
sub add_entry {
	my ($row) = @_;
	my $id = '1-' . ++$next;
	push @commands, ['XADD', 'big', $id, 'table', 'public.events', 'row', $row];
	return $id;
}
for my $i (1 .. 15) {
	add_entry(qq({"seq": $i}));
	if ($i == 5 || $i == 10) {
		my $id = add_entry(qq({"seq": ${\ ($i + 100)}, "pad": "$pad"}));
		$big{$id} = $commands[-1][-1];
	}
}
my $mid = 'm' x (900 * 1024);
add_entry(qq({"seq": ${\ (1000 + $_)}, "pad": "$mid"})) for 1 .. 40;
my $last_id = "1-$next";
undef $pad;
$redis->pipe_generated(scalar @commands, sub { $commands[ $_[0] ] });

# Only once all of it is in Redis: Redis, busy taking in 600 MB, may well
# be silent for longer than redis_timeout, which is not what is tested.
my $log_from = -s $node->logfile;
ok(drain_all_at_once($node, 'big', $last_id), 'the drain reaches the last entry');
my $peak = $sampler->peak_kb;
diag("the worker's peak RssAnon: $peak kB");
ok(defined $peak && $peak > 0, 'the sampler read the worker');
cmp_ok($peak, '<', $limit_kb, "the worker's RssAnon stayed under 64 MB");

is($node->safe_psql('postgres', 'SELECT string_agg(seq::text, \',\' ORDER BY ord) FROM events'),
	join(',', 1 .. 15, map { 1000 + $_ } 1 .. 40),
	'every other entry arrived once, in stream order');
is($node->safe_psql('postgres', q{
		SELECT string_agg(format('%s %s %s', entry_id, sqlstate, entry_bytes), ',' ORDER BY entry_id)
		FROM multiquery.dead_letters WHERE stream = 'big'}),
	join(',', map { "$_ 54000 " . (length('table') + length('public.events') + length('row') + length($big{$_})) }
		sort { $a cmp $b } keys %big),
	'each large entry is a dead letter with its id, 54000 and its size');
my ($prefix, $error) = split /\|/, $node->safe_psql('postgres', q{
	SELECT payload[4], error FROM multiquery.dead_letters WHERE entry_id = '1-6'});
is($prefix, substr($big{'1-6'}, 0, 256), 'the letter keeps the first 256 bytes of the value');
like($error, qr/^entry is \d+ bytes, more than multiquery\.drain_max_entry_size \(1048576 bytes\)$/,
	'its error gives the size and the limit');

# Sent back, the cut letter would be another entry: it is refused, and stays.
my ($stdout, $stderr);
$node->psql('postgres', q{SELECT multiquery.retry_dead_letters(stream => 'big')},
	stdout => \$stdout, stderr => \$stderr);
is($stdout, '0', 'retry_dead_letters sends no cut letter back');
like($stderr, qr/WARNING:  dead letter \d+ cannot be retried.*DETAIL:  Its entry was \d+ bytes/s,
	'and says why');
is($redis->cli('XLEN', 'big'), scalar(@commands), 'nothing was added to the stream');
is($node->safe_psql('postgres', q{SELECT count(*) FROM multiquery.dead_letters WHERE stream = 'big'}),
	'2', 'the letters stay');

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started,
	'the server never restarted');
is($node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'"),
	$pid, 'the same worker drained it all');
unlike(slurp_file($node->logfile), qr/out of memory|terminated by signal/,
	'the log shows no memory failure');
# Streaming past a large entry leaves the connection where the next reply
# starts: it is never given up.
unlike(slurp_file($node->logfile, $log_from), qr/cannot use Redis/,
	'the connection was never given up while large replies streamed');

$node->stop;
done_testing();
