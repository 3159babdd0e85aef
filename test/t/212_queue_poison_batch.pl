# Poison entries inside one large batch (issue 12): a COPY that fails is not
# halved down to the bad entry any more, it is split around the row CopyFrom
# names, in slices. What must not change: every good entry lands exactly
# once and in stream order, each poison entry (first, middle and last of the
# batch, of several kinds, a multi-row entry with one bad row, two tables
# interleaved) is parked with its SQLSTATE and nothing else is. And the work
# stays bounded: a BEFORE trigger counts in a sequence (which a rollback
# does not undo) how many rows were tried, so a halving that tries the
# batch's rows again and again fails the last check.
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
});
$node->safe_psql('postgres', q{
	CREATE TABLE main_t (n int PRIMARY KEY, v int CHECK (v >= 0), ord bigserial);
	CREATE TABLE side_t (n int, part int, ord bigserial);
	-- Queue tables belong to an ordinary role: the drain refuses superusers' tables.
	CREATE ROLE queue_owner;
	ALTER TABLE main_t OWNER TO queue_owner;
	ALTER TABLE side_t OWNER TO queue_owner;
});
count_tries($node, 'main_t', 'side_t');

# Entry $i (0-based): every tenth goes to side_t as two rows; the others are
# one row of main_t. Poison: the first entry (text into an int, 22P02), the
# middle one (a CHECK violation, 23514), a side_t entry whose second row is
# bad (22P02: the entry is parked whole, its good row too), and the last one
# (a key the batch already inserted: 23505, found when CopyFrom flushes).
my %poison = (0 => '22P02', 505 => '23514', 730 => '22P02', $entries - 1 => '23505');
my (@main_good, @side_good, @commands);
my $side_rows = 0;
for my $i (0 .. $entries - 1) {
	my ($table, $field, $value);
	if ($i % 10 == 0 && $i > 0) {
		my $second = $i == 730 ? '"bad"' : $i + 1;
		($table, $field, $value) = ('side_t', 'rows',
			qq([{"n": $i, "part": 1}, {"n": $i, "part": $second}]));
		$side_rows += 2 unless $poison{$i};
		push @side_good, $i unless $poison{$i};
	} else {
		my $row = qq({"n": $i, "v": $i});
		$row = qq({"n": 0, "v": "poison"}) if $i == 0;
		$row = qq({"n": $i, "v": -1}) if $i == 505;
		$row = qq({"n": 5, "v": 5}) if $i == $entries - 1;
		($table, $field, $value) = ('main_t', 'row', $row);
		push @main_good, $i unless $poison{$i};
	}
	push @commands, [ 'XADD', 'poison', '1-' . ($i + 1), 'table', $table, $field, $value ];
}
$redis->pipe(@commands);

# All of it at once: one batch.
ok(drain_all_at_once($node, 'poison', "1-$entries"), 'the batch is committed');

is($node->safe_psql('postgres', q{SELECT string_agg(n::text, ',' ORDER BY ord) FROM main_t}),
	join(',', @main_good), 'every good main_t entry landed once, in stream order');
is($node->safe_psql('postgres', q{SELECT string_agg(n || '.' || part, ',' ORDER BY ord) FROM side_t}),
	join(',', map { ("$_.1", "$_." . ($_ + 1)) } @side_good),
	'every good side_t entry landed once (both rows), in stream order');
is($node->safe_psql('postgres', q{
		SELECT string_agg(entry_id || ':' || sqlstate, ',' ORDER BY split_part(entry_id, '-', 2)::int)
		FROM multiquery.dead_letters WHERE stream = 'poison'}),
	join(',', map { '1-' . ($_ + 1) . ":$poison{$_}" } sort { $a <=> $b } keys %poison),
	'exactly the poison entries are dead letters, each with its SQLSTATE');
is($node->safe_psql('postgres', q{
		SELECT entries_applied || '/' || dead_letters FROM multiquery.drain_progress WHERE stream = 'poison'}),
	($entries - keys %poison) . '/' . scalar(keys %poison), 'drain_progress counts them');

# Rows tried: every row once, plus, for each poison entry, the rows before
# it in its slice once more (a 250-entry slice is tried, fails at the poison
# entry, and its entries before it are tried again): here 1,470 of 1,100
# rows. The halving this replaced tried the rows near each poison entry
# about log2(batch) times: 2,036 here.
my $rows = scalar(@main_good) + $side_rows;
my $tried = rows_tried($node);
cmp_ok($tried, '<=', int(1.4 * ($entries + 100)),
	"rows tried for a $entries-entry batch with " . scalar(keys %poison)
	  . " poison entries stay bounded ($tried tried, $rows landed)");

done_testing();
