# Binary COPY and poison (issue 12): a row the binary converter refuses
# among rows it took (a string where the table has an integer) is tried
# alone before its range, so that the rows before it are not inserted,
# rolled back and inserted again. A BEFORE trigger counts in a sequence
# (which a rollback does not undo) the rows tried: every good row exactly
# once. A row the binary converter refuses that is not poison (a timestamp
# without an offset) lands all the same, in stream order, and so does a
# poison entry that is the first of its range.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $entries = 1000;

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = queue_node('primary', $redis, qq{
multiquery.drain_streams = 'elsewhere'
multiquery.drain_batch_size = $entries
multiquery.drain_trim = off
timezone = 'UTC'
});
$node->safe_psql('postgres',
	q{CREATE TABLE bin_t (n int PRIMARY KEY, v int, ts timestamptz, ord bigserial);
	  CREATE ROLE queue_owner;    -- the drain refuses superusers' tables
	  ALTER TABLE bin_t OWNER TO queue_owner});
count_tries($node, 'bin_t');

# Poison (text into an int, 22P02): in the middle of a slice, two in a row,
# and the first entry of a slice (250). Entry 600 has a timestamp without an
# offset: the binary converter leaves it to COPY text, where it is valid.
my %poison = map { $_ => '22P02' } (100, 250, 400, 401, 777);
my (@good, @commands);
for my $i (0 .. $entries - 1) {
	my $v = $poison{$i} ? '"poison"' : $i;
	my $ts = $i == 600 ? '2026-01-01 12:00:00' : '2026-01-01T00:00:00.5+01:00';
	push @good, $i unless $poison{$i};
	push @commands, [ 'XADD', 'suspects', '1-' . ($i + 1), 'table', 'bin_t', 'row',
		qq({"n": $i, "v": $v, "ts": "$ts"}) ];
}
$redis->pipe(@commands);
ok(drain_all_at_once($node, 'suspects', "1-$entries"), 'the batch is committed');

is($node->safe_psql('postgres', q{SELECT string_agg(n::text, ',' ORDER BY ord) FROM bin_t}),
	join(',', @good), 'every good entry landed once, in stream order');
is($node->safe_psql('postgres', q{SELECT count(*) FROM bin_t WHERE v = n}),
	scalar(@good), 'with its value');
is($node->safe_psql('postgres', q{
		SET TimeZone = 'UTC';
		SELECT ts = '2026-01-01 12:00:00+00'::timestamptz FROM bin_t WHERE n = 600}),
	't', 'a timestamp without an offset means what the server makes of it (its TimeZone)');
is($node->safe_psql('postgres', q{
		SELECT count(*) FROM bin_t WHERE n <> 600 AND ts <> '2025-12-31 23:00:00.5+00'}),
	'0', 'timestamps with an offset, written in binary, are the same instant');
is($node->safe_psql('postgres', q{
		SELECT string_agg(entry_id || ':' || sqlstate, ',' ORDER BY split_part(entry_id, '-', 2)::int)
		FROM multiquery.dead_letters WHERE stream = 'suspects'}),
	join(',', map { '1-' . ($_ + 1) . ":$poison{$_}" } sort { $a <=> $b } keys %poison),
	'exactly the poison entries are dead letters, each with its SQLSTATE');
is(rows_tried($node), scalar(@good),
	'every good row was tried exactly once: none was inserted and rolled back');

done_testing();
