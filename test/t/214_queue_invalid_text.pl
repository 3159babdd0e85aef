# A hostile producer's bytes: entries whose table or row is not valid text in
# the database's encoding (broken UTF-8, a surrogate, an overlong form, a NUL
# byte, a bad byte past the first eight) are parked as dead letters with
# SQLSTATE 22021, their fields kept in hex, while the good entries around
# them land, multibyte text intact. In a UTF-8 database the drain checks the
# bytes itself (core/json_text.cpp); in any other encoding PostgreSQL does:
# both are run here.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $redis = MultiQuery::Redis->new;
$redis->start;

# [table, row, expected in UTF-8: undef = lands, else the dead letter's SQLSTATE]
my $long = 'x' x 17;
my @entries = (
	[ 'txt_t', qq({"n": 1, "s": "plain"}) ],
	[ 'txt_t', qq({"n": 2, "s": "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"}) ],
	[ 'txt_t', qq({"n": 3, "s": "$long$long$long"}) ],
	[ 'txt_t', qq({"n": 4, "s": "\\u00e9"}) ],
	[ 'txt_t', qq({"n": 5, "s": "bad \xC3\x28 continuation"}), '22021' ],
	[ 'txt_t', qq({"n": 6, "s": "surrogate \xED\xA0\x80"}), '22021' ],
	[ 'txt_t', qq({"n": 7, "s": "nul \x00 byte"}), '22021' ],
	[ "txt_t\xFF", qq({"n": 8, "s": "bad table name"}), '22021' ],
	[ 'txt_t', qq({"n": 9, "s": "overlong \xC0\xAF"}), '22021' ],
	[ 'txt_t', qq({"n": 10, "s": "$long\xFF$long"}), '22021' ],
	[ 'txt_t', qq({"n": 11, "s": "after"}) ],
);
my $last = '1-' . scalar(@entries);

sub load {
	my ($stream) = @_;
	$redis->pipe(map {
		[ 'XADD', $stream, '1-' . ($_ + 1), 'table', $entries[$_][0], 'row', $entries[$_][1] ]
	} 0 .. $#entries);
}

sub node_with {
	my ($name, $encoding) = @_;
	my $node = queue_node($name, $redis, q{
multiquery.drain_streams = 'elsewhere'
multiquery.drain_trim = off
}, extra => [ "--encoding=$encoding", '--locale=C' ]);
	is($node->safe_psql('postgres', 'SHOW server_encoding'), $encoding, "$name: a $encoding database");
	# Owned by an ordinary role: the drain refuses superusers' tables.
	$node->safe_psql('postgres', 'CREATE TABLE txt_t (n int PRIMARY KEY, s text); '
		. 'CREATE ROLE queue_owner; ALTER TABLE txt_t OWNER TO queue_owner');
	return $node;
}

# UTF-8: the drain's own check.
my $utf8 = node_with('utf8', 'UTF8');
load('texts_utf8');
ok(drain_all_at_once($utf8, 'texts_utf8', $last), 'UTF-8: the batch is committed');
my @landed = map { $_ + 1 } grep { !defined $entries[$_][2] } 0 .. $#entries;
is($utf8->safe_psql('postgres', q{SELECT string_agg(n::text, ',' ORDER BY n) FROM txt_t}),
	join(',', @landed), 'UTF-8: exactly the good entries landed');
is($utf8->safe_psql('postgres',
		q{SELECT encode(convert_to(s, 'UTF8'), 'hex') FROM txt_t WHERE n = 2}),
	unpack('H*', "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
	'UTF-8: two-, three- and four-byte characters land byte for byte');
is($utf8->safe_psql('postgres', q{SELECT s FROM txt_t WHERE n = 4}), "\xC3\xA9",
	'UTF-8: an escaped character lands decoded');
is($utf8->safe_psql('postgres', q{
		SELECT string_agg(entry_id || ':' || sqlstate, ',' ORDER BY split_part(entry_id, '-', 2)::int)
		FROM multiquery.dead_letters WHERE stream = 'texts_utf8'}),
	join(',', map { '1-' . ($_ + 1) . ":$entries[$_][2]" } grep { defined $entries[$_][2] } 0 .. $#entries),
	'UTF-8: every entry with bytes that are not text is a dead letter with 22021');
# The dead letter keeps what is text as it is and the rest in hex, so that
# nothing of the entry is lost.
is($utf8->safe_psql('postgres', q{
		SELECT payload[1] || '|' || payload[2] || '|' || payload[3] || '|' || payload[4]
		FROM multiquery.dead_letters WHERE stream = 'texts_utf8' AND entry_id = '1-5'}),
	'table|txt_t|row|\\x' . unpack('H*', $entries[4][1]), 'UTF-8: the bad row is kept in hex');
is($utf8->safe_psql('postgres', q{
		SELECT payload[2] FROM multiquery.dead_letters WHERE stream = 'texts_utf8' AND entry_id = '1-8'}),
	'\\x' . unpack('H*', $entries[7][0]), 'UTF-8: the bad table name is kept in hex');
is($utf8->safe_psql('postgres', q{
		SELECT entries_applied || '/' || dead_letters FROM multiquery.drain_progress WHERE stream = 'texts_utf8'}),
	scalar(@landed) . '/' . (@entries - @landed), 'UTF-8: drain_progress counts both');
$utf8->stop;

# SQL_ASCII: PostgreSQL's check, which takes any byte but NUL. Whatever the
# JSON parser then makes of the high bytes, every entry is settled once, and
# the NUL is refused as before.
my $ascii = node_with('sql_ascii', 'SQL_ASCII');
load('texts_ascii');
ok(drain_all_at_once($ascii, 'texts_ascii', $last), 'SQL_ASCII: the batch is committed');
is($ascii->safe_psql('postgres', q{
		SELECT sqlstate FROM multiquery.dead_letters WHERE stream = 'texts_ascii' AND entry_id = '1-7'}),
	'22021', 'SQL_ASCII: the entry with a NUL byte is a dead letter with 22021');
is($ascii->safe_psql('postgres', q{SELECT string_agg(n::text, ',' ORDER BY n) FROM txt_t WHERE n IN (1, 3, 11)}),
	'1,3,11', 'SQL_ASCII: the ASCII entries landed');
is($ascii->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM txt_t) + (SELECT count(*) FROM multiquery.dead_letters
		WHERE stream = 'texts_ascii')}),
	scalar(@entries), 'SQL_ASCII: every entry either landed or is a dead letter');
$ascii->stop;

done_testing();
