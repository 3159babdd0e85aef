# The drain reads every entry's JSON with its own lexer (src/core/json_lexer.cpp)
# before PostgreSQL sees it, so the lexer must take exactly what jsonb_in
# takes. Random JSON documents, and the same cut short, with a byte changed
# or with a piece spliced in that PostgreSQL's lexer reads its own way
# (\u0000, lone surrogates, numbers such as 01 or 1., words run on past a
# literal, control bytes in strings), go through the drain as rows; each
# row's text is also given to jsonb_in. What jsonb_in takes must land, with
# the value jsonb_in makes of it; what it refuses must be a dead letter,
# refused by the drain's own check wherever jsonb_in's lexer refused it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $seed = $ENV{MQ_SEED} // 225;
note "seed $seed (MQ_SEED=... to try another)";
srand($seed);

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = queue_node('primary', $redis, q{
multiquery.drain_streams = 'elsewhere'
multiquery.drain_trim = off
});
$node->safe_psql('postgres', q{
	CREATE TABLE lexed (id bigint, doc jsonb);
	-- Queue tables belong to an ordinary role: the drain refuses superusers' tables.
	CREATE ROLE queue_owner;
	ALTER TABLE lexed OWNER TO queue_owner;
	CREATE TABLE candidate (id bigint PRIMARY KEY, row text NOT NULL);
	-- jsonb_in's verdict on a text: ok, or the SQLSTATE it raised.
	CREATE FUNCTION jsonb_verdict(t text) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM t::jsonb;
		RETURN 'ok';
	EXCEPTION WHEN others THEN
		RETURN SQLSTATE;
	END $$;
});

sub pick { return $_[ int(rand(@_)) ]; }

sub scalar_value {
	my $r = rand();
	return pick(qw(0 -0 1 -12 0.5 1e5 1E-5 -2.50e+2 123456789012345678901234567890 1e1000))
		if $r < 0.3;
	return pick('true', 'false', 'null') if $r < 0.45;
	my @pieces = ('a', 'Z', ' ', '/', '\\/', '\\\\', '\\"', '\\t', '\\n', '\\b', '\\f', '\\r',
		'\\u00e9', '\\u20AC', '\\ud83d\\ude00', '\\u0041', "\xc3\xa9", "\xe2\x82\xac", '{', ']');
	return '"' . join('', map { pick(@pieces) } 1 .. int(rand(10))) . '"';
}

sub value {
	my ($depth) = @_;
	my $r = rand();
	return scalar_value() if $depth > 3 || $r < 0.5;
	my $space = pick('', ' ', "\n", "\t", "\r\n ");
	my $n = int(rand(5));
	return '[' . join(",$space", map { value($depth + 1) } 1 .. $n) . ']' if $r < 0.75;
	return '{' . join(",$space", map { pick('"a"', '"b"', '"\\u00e9"', '""') . "$space:" . value($depth + 1) } 1 .. $n) . '}';
}

# Pieces PostgreSQL's lexer reads its own way, spliced in anywhere.
my @splices = ('\\u0000', '\\ud800', '\\udc00', '\\ud800\\u0041', '\\uD83D\\uDE00', '\\u12', '\\x',
	'01', '-0', '1.', '.5', '+1', '1e', '1e+', '--1', 'tru', 'truex', 'nul', 'null_', 'NaN',
	"\x01", "\t", "\x1f", '"', '\\', '\\u', ',', ':', '[', ']', '{', '}', ' ', '1', 'e', '0x1',
	"\xc3\xa9", '"\\u0000"', '"\\ud800"', '[1,]', '{"a"}', '{"a":1,}');

sub mutate {
	my ($doc) = @_;
	my $at = int(rand(length($doc) + 1));
	my $r = rand();
	return substr($doc, 0, $at) if $r < 0.2;
	return substr($doc, 0, $at) . pick(@splices) . substr($doc, $at + ($at < length($doc) && rand() < 0.5 ? 1 : 0))
		if $r < 0.9;
	return pick(@splices);
}

note 'generating documents';
my @rows;
while (@rows < 3000) {
	my $doc = value(0);
	$doc = mutate($doc) if rand() < 0.6;
	next if $doc =~ /\$json\$/;
	next unless utf8::decode(my $text = $doc);  # (a cut may split a character: not text)
	push @rows, '{"id": ' . scalar(@rows) . ', "doc": ' . $doc . '}';
}
$node->safe_psql('postgres', 'INSERT INTO candidate VALUES '
	. join(",\n", map { "($_, \$json\$$rows[$_]\$json\$)" } 0 .. $#rows));

# A mutation may make a row that jsonb_in takes with another id or another
# key: the drain would rightly put it elsewhere or refuse the key. Only rows
# jsonb_in refuses, or that name exactly their id and a doc, are sent.
my %verdict = map { split /\|/ } split /\n/, $node->safe_psql('postgres', q{
	SELECT id || '|' || v FROM (SELECT id, row, jsonb_verdict(row) AS v FROM candidate) AS c
	WHERE CASE WHEN v <> 'ok' THEN true
	           ELSE (row::jsonb - 'id' - 'doc') = '{}' AND row::jsonb -> 'id' = to_jsonb(id)
	                AND row::jsonb -> 'doc' <> 'null' END});
my @sent = sort { $a <=> $b } keys %verdict;
my @taken = grep { $verdict{$_} eq 'ok' } @sent;
my @refused = grep { $verdict{$_} ne 'ok' } @sent;
my @lexer_refused = grep { $verdict{$_} eq '22P02' || $verdict{$_} eq '22P05' } @sent;
note scalar(@sent) . ' rows sent: ' . scalar(@taken) . ' that jsonb_in takes, '
	. scalar(@refused) . ' it refuses (' . scalar(@lexer_refused) . ' in its lexer)';
cmp_ok(scalar(@taken), '>', 500, 'many rows jsonb_in takes');
cmp_ok(scalar(@lexer_refused), '>', 500, 'many rows its lexer refuses');

$node->safe_psql('postgres', 'DELETE FROM candidate WHERE id NOT IN (' . join(',', @sent) . ')');
$redis->pipe(map { [ 'XADD', 'lexed', '1-' . ($_ + 1), 'table', 'lexed', 'row', $rows[$_] ] } @sent);
my $last = '1-' . ($sent[-1] + 1);
ok(drain_all_at_once($node, 'lexed', $last), 'the stream is drained');

is($node->safe_psql('postgres', q{SELECT string_agg(id::text, ',' ORDER BY id) FROM lexed}),
	join(',', @taken), 'exactly the rows jsonb_in takes landed');
# (The filter runs before the cast: only texts jsonb_in takes are cast.)
$node->safe_psql('postgres', 'CREATE TABLE expected AS SELECT id, row::jsonb -> \'doc\' AS doc '
	. 'FROM candidate WHERE id IN (' . join(',', @taken) . ')');
is($node->safe_psql('postgres', q{
		SELECT count(*) FROM lexed l JOIN expected e USING (id)
		WHERE l.doc = e.doc AND l.doc::text = e.doc::text}),
	scalar(@taken), 'each with the value jsonb_in makes of it');
is($node->safe_psql('postgres', q{
		SELECT string_agg((split_part(entry_id, '-', 2)::int - 1)::text, ',' ORDER BY split_part(entry_id, '-', 2)::int)
		FROM multiquery.dead_letters WHERE stream = 'lexed'}),
	join(',', @refused), 'exactly the rows jsonb_in refuses are dead letters');
is($node->safe_psql('postgres', q{
		SELECT string_agg((split_part(entry_id, '-', 2)::int - 1)::text, ',' ORDER BY split_part(entry_id, '-', 2)::int)
		FROM multiquery.dead_letters
		WHERE stream = 'lexed' AND sqlstate = '22P02' AND error LIKE 'invalid JSON in the "row" field: %'}),
	join(',', @lexer_refused),
	"what jsonb_in's lexer refuses, the drain's own check refuses (22P02)");

done_testing();
