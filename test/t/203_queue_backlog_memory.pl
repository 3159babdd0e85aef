# The drain worker's memory stays bounded whatever the backlog: 1,000,000
# entries wait in the stream before the worker may read any (the extension is
# created only after they are pushed, and until then the worker leaves Redis
# alone), then it drains them all while its anonymous memory (RssAnon: heap,
# not the shared buffers it touches) is sampled about every 100 ms. Every
# entry carries a unique sequence number, so the count also proves that none
# is lost or doubled on the way.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use Time::HiRes qw(time usleep);

my $total = 1_000_000;
my $limit_kb = 64 * 1024;    # the issue's bound for one worker
my $drain_limit_s = 120;     # turns a stuck drain into a failure, not a hang

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init;
# The batch size is left at its default: the bound must hold as shipped.
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
multiquery.redis_port = ${\ $redis->port}
multiquery.drain_database = 'postgres'
multiquery.drain_streams = 'backlog'
});
$node->start;

# The worker runs, but without the extension in its database it waits.
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'multiquery drain'"),
	'the drain worker runs');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'");

# The worker's anonymous resident memory in kB, or undef once it is gone.
sub rss_anon_kb {
	open my $fh, '<', "/proc/$pid/status" or return undef;
	while (my $line = <$fh>) {
		return $1 if $line =~ /^RssAnon:\s+(\d+)\s+kB/;
	}
	return undef;
}
my $idle_kb = rss_anon_kb();
ok(defined $idle_kb, "the worker's RssAnon can be read ($pid)");

my $start = time;
$redis->pipe_generated($total, sub {
	my $seq = $_[0] + 1;
	return ['XADD', 'backlog', '*', 'table', 'public.backlog', 'row',
		qq{{"seq": $seq, "kind": "click", "at": "2024-01-01T00:00:00Z"}}];
});
diag(sprintf('pushed %d entries in %.1f s', $total, time - $start));
is($redis->cli('XLEN', 'backlog'), $total, 'the whole backlog is in the stream');
is($redis->cli('XINFO', 'GROUPS', 'backlog'), '', 'and nobody has read any of it yet');
my ($last_id) = split /\n/, $redis->cli('XREVRANGE', 'backlog', '+', '-', 'COUNT', '1');

# Now the worker may start: it looks for the extension once a second.
$node->safe_psql('postgres', q{
	CREATE TABLE backlog (seq int NOT NULL, kind text, at timestamptz);
	-- Queue tables belong to an ordinary role: the drain refuses superusers' tables.
	CREATE ROLE queue_owner;
	ALTER TABLE backlog OWNER TO queue_owner;
	CREATE EXTENSION multiquery;
});

# Samples the worker's memory every ~100 ms and drain_status (a psql run,
# so less often once the first backlog figure is in) until it is all applied.
my ($peak_kb, $samples, $first_backlog, $done, $lost) = (0, 0, undef, 0, 0);
my $status;
$start = time;
for (my $i = 0; time - $start < $drain_limit_s; ++$i) {
	my $kb = rss_anon_kb();
	if (!defined $kb) {
		$lost = 1;
		last;
	}
	$peak_kb = $kb if $kb > $peak_kb;
	++$samples;
	if (!defined $first_backlog || $i % 10 == 0) {
		$status = $node->safe_psql('postgres', q{
			SELECT rows_applied, pending, lag, dead_letters, last_applied_id, state
			FROM multiquery.drain_status WHERE stream = 'backlog'});
		my ($rows, $pending, $lag) = split /\|/, $status;
		$first_backlog = $pending + $lag
		  if !defined $first_backlog && $pending ne '' && $lag ne '';
		if ($rows == $total && $pending eq '0' && $lag eq '0') {
			$done = 1;
			last;
		}
	}
	usleep(100_000);
}
my $took = time - $start;
ok(!$lost, 'the worker never went away while draining');
ok($done, "the backlog drained within $drain_limit_s s (drain_status: $status)");
diag(sprintf('drained %d entries in %.1f s; worker RssAnon %d kB idle, peak %d kB (%.1f MB) over %d samples',
		$total, $took, $idle_kb, $peak_kb, $peak_kb / 1024, $samples));
cmp_ok($peak_kb, '<', $limit_kb, "the worker's peak RssAnon stayed below 64 MB ($peak_kb kB)");
cmp_ok($samples, '>=', 10, 'memory was sampled throughout the drain');

# drain_status saw the backlog large at the start and empty at the end.
cmp_ok($first_backlog // 0, '>=', $total / 2,
	'drain_status showed the backlog (pending + lag) large at first: ' . ($first_backlog // 'never'));
my (undef, undef, undef, $dead, $applied_id) = split /\|/, $status;
is($dead, '0', 'drain_status counts no dead letters');
is($applied_id, $last_id, 'the last applied entry is the last one pushed');
is($node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'"),
	$pid, 'the same worker drained it all (no crash, no restart)');

is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM backlog'),
	"$total|$total|1|$total", 'every sequence number exactly once: none missing, none doubled');
is($node->safe_psql('postgres', 'SELECT count(*) FROM multiquery.dead_letters'), '0',
	'no dead letters');
is((split /\n/, $redis->cli('XPENDING', 'backlog', 'multiquery'))[0], '0',
	'Redis holds nothing unacknowledged');

$node->stop;
$redis->stop;
done_testing();
