# The drain's jsonb images (src/core/jsonb_image.cpp) are stored as they are,
# so each must be the very bytes jsonb_in makes of the same text. Random JSON
# values (objects with keys given twice and past 32 pairs, arrays past 32
# elements, numbers in every form numeric takes, escapes, surrogate pairs,
# non-ASCII text, nesting past the encoder's bound) go through the drain into
# one table and through jsonb_in into another (1,500 here; make fuzz runs a
# million or more, MQ_JSONB_VALUES); pageinspect reads both
# tables' stored bytes, which must be equal value for value. Values the
# encoder refuses take jsonb_recv as before, and what jsonb refuses is still
# a dead letter.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $seed = $ENV{MQ_SEED} // 219;
# make test draws a sample; make fuzz (test/fuzz/run.sh) a million or more.
my $count = $ENV{MQ_JSONB_VALUES} // 1500;
note "seed $seed, $count values (MQ_SEED=..., MQ_JSONB_VALUES=... to try others)";
srand($seed);

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = queue_node('primary', $redis, q{
multiquery.drain_streams = 'images'
multiquery.drain_trim = off
});
$node->safe_psql('postgres', q{
	CREATE EXTENSION pageinspect;
	CREATE TABLE drained (id bigint, doc jsonb);
	CREATE TABLE reference (id bigint, doc jsonb);
	-- Queue tables belong to an ordinary role: the drain refuses superusers' tables.
	CREATE ROLE queue_owner;
	ALTER TABLE drained OWNER TO queue_owner;
});

sub pick { return $_[ int(rand(@_)) ]; }

sub number {
	my $r = rand();
	return int(rand(2_000_001)) - 1_000_000 if $r < 0.2;
	return pick(qw(0 -0 0.0 -0.000 1e3 1E-5 1.5e+3 -2.50e-2 0e5 0.000001 1e100 9.99e-100
		12.3400 1e0 10000 -10000.0001 123456789012345678901234567890 1e1000 1e-1000))
		if $r < 0.35;
	return sprintf('%.17g', (rand() - 0.5) * 10**int(rand(80) - 40)) if $r < 0.6;
	return join('', 1 + int(rand(9)), map { int(rand(10)) } 1 .. int(rand(60))) if $r < 0.7;
	return sprintf('%d.%s', int(rand(10000)), join('', map { int(rand(10)) } 0 .. int(rand(70))))
		if $r < 0.85;
	return sprintf('%de%d', 1 + int(rand(99999)), int(rand(401)) - 200);
}

# A JSON string: escapes of every kind, \u escapes (pairs too) and UTF-8.
sub string {
	my @pieces = ('a', 'b', 'Z', '0', ' ', '/', '\\/', '\\\\', '\\"', '\\t', '\\n', '\\b',
		'\\f', '\\r', '\\u00e9', '\\u20AC', '\\ud83d\\ude00', '\\u0041', "\xc3\xa9",
		"\xe2\x82\xac", "\xf0\x9f\x98\x80");
	return '"' . join('', map { pick(@pieces) } 1 .. int(rand(12))) . '"';
}

sub key {
	return pick('"a"', '"b"', '"ab"', '"ba"', '"page"', '"ms"', '""', '"\\u00e9"', "\"\xc3\xa9\"",
		'"x' . ('x' x int(rand(4))) . '"', '"key' . int(rand(50)) . '"');
}

# What is left of the value's size: once spent, only scalars follow, so
# that values stay small without drawing many to keep a few.
my $budget;

sub value {
	my ($depth) = @_;
	my $r = rand();
	if ($depth > 4 || $r < 0.45 || $budget <= 0) {
		my $s = rand();
		my $scalar = $s < 0.35 ? number() : $s < 0.7 ? string() : pick('true', 'false', 'null');
		$budget -= length($scalar);
		return $scalar;
	}
	my $space = pick('', ' ', "\n  ", "\t");
	if ($r < 0.7) {
		my $n = rand() < 0.3 ? pick(0, 1, 31, 32, 33, 40, 70) : int(rand(5));
		my $inner = $n > 5 ? 5 : $depth + 1;  # (long ones hold scalars: values stay small)
		return '[' . join(",$space", map { value($inner) } 1 .. $n) . ']';
	}
	my $n = rand() < 0.3 ? pick(0, 1, 16, 17, 33, 40) : int(rand(6));
	return '{' . join(",$space", map { key() . "$space:" . value($depth + 1) } 1 .. $n) . '}';
}

note 'generating values';
my @docs;
while (@docs < $count) {
	$budget = 1200;
	my $doc = value(0);
	push @docs, $doc if length($doc) < 1500 && $doc ne 'null';  # (null is SQL NULL here)
}
# The encoder's bounds: deeper than 64, more than 1000 digits. jsonb_recv
# reads these as before.
push @docs, ('[' x 70) . '1' . (']' x 70), '7' x 1001, '1e1001', '{"a": ' . ('[' x 65) . (']' x 65) . '}';

note 'sending them';
$redis->pipe_generated(scalar @docs,
	sub { ['XADD', 'images', '*', 'table', 'drained', 'row', qq({"id": $_[0], "doc": $docs[$_[0]]})] });
# Past the encoder's bound and past numeric's: jsonb_recv refuses it, and
# the entry is a dead letter with numeric's SQLSTATE, as before.
my $refused = $redis->cli('XADD', 'images', '*', 'table', 'drained', 'row', '{"id": -1, "doc": [1e200000]}');
my $last = $redis->cli('XADD', 'images', '*', 'table', 'drained', 'row', '{"id": -2, "doc": {"last": true}}');

# In statements of a few thousand values: a million would not fit one.
for (my $from = 0; $from < @docs; $from += 5000) {
	my $to = $from + 4999 < $#docs ? $from + 4999 : $#docs;
	$node->safe_psql('postgres', 'INSERT INTO reference VALUES '
		. join(",\n", map { "($_, \$json\$$docs[$_]\$json\$::jsonb)" } $from .. $to));
}
$node->safe_psql('postgres', q{INSERT INTO reference VALUES (-2, '{"last": true}')});

ok($node->poll_query_until('postgres',
		"SELECT last_id = '$last' FROM multiquery.drain_progress WHERE stream = 'images'"),
	'the stream is drained');
is($node->safe_psql('postgres', 'SELECT count(*) FROM drained'), scalar(@docs) + 1,
	'every value landed');
is($node->safe_psql('postgres', q{SELECT entry_id || ' ' || sqlstate FROM multiquery.dead_letters}),
	"$refused 22003", 'a number numeric cannot hold is a dead letter with 22003');

# Each row's stored attributes, as pageinspect reads them off the pages.
my $stored = q{
	SELECT v[1] AS id, v[2] AS doc
	FROM generate_series(0, (pg_relation_size('%1$s') / 8192)::int - 1) AS page,
	     heap_page_items(get_raw_page('%1$s', page)) AS item,
	     tuple_data_split('%1$s'::regclass, t_data, t_infomask, t_infomask2, t_bits) AS v
	WHERE t_data IS NOT NULL};
my ($drained, $reference) = map { sprintf($stored, $_) } qw(drained reference);
is($node->safe_psql('postgres', "SELECT count(*) FROM ($drained EXCEPT $reference) AS x"), 0,
	'every value drained is stored byte for byte as jsonb_in stores it');
is($node->safe_psql('postgres', "SELECT count(*) FROM ($reference EXCEPT $drained) AS x"), 0,
	'and no stored value is missing');
is($node->safe_psql('postgres', q{
		SELECT count(*) FROM drained d JOIN reference r USING (id)
		WHERE d.doc = r.doc AND d.doc::text = r.doc::text AND d.doc @> r.doc
		  AND (jsonb_typeof(d.doc) <> 'object'
		       OR NOT EXISTS (SELECT FROM jsonb_object_keys(r.doc) AS k WHERE d.doc -> k IS DISTINCT FROM r.doc -> k))}),
	scalar(@docs) + 1, 'and reads back the same: equality, text, containment, key lookups');

done_testing();
