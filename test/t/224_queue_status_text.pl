# drain_status keeps its texts in fixed fields of shared memory: a text too
# long for its field is cut at a character boundary, never inside a UTF-8
# character. The worker's Redis user is a long name of two-byte characters,
# so its failure to authenticate is a last_error longer than the field; the
# name is padded so that a cut at the field's last byte would fall in the
# middle of a character.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $field_bytes = 511;    # last_error's field, less its terminating zero

my $redis = MultiQuery::Redis->new;
$redis->start;

my $prefix = 'could not authenticate to Redis at 127.0.0.1:' . $redis->port . ' as user "';
my $pad = ($field_bytes - length($prefix)) % 2 ? '' : 'x';
my $user = $pad . ("\x{e9}" x 300);
my $user_bytes = $user;
utf8::encode($user_bytes);

my $node = queue_node('primary', $redis, qq{
multiquery.drain_streams = 'status_text'
multiquery.redis_user = '$user_bytes'
});

ok($node->poll_query_until('postgres', q{
		SELECT last_error IS NOT NULL FROM multiquery.drain_status WHERE stream = 'status_text'}),
	'the failure to authenticate is the last error');
my $valid = $node->safe_psql('postgres', q{
	SELECT pg_catalog.convert_from(pg_catalog.textsend(last_error), 'UTF8') = last_error
	FROM multiquery.drain_status WHERE stream = 'status_text'});
is($valid, 't', 'last_error is valid UTF-8');
my $bytes = $node->safe_psql('postgres', q{
	SELECT octet_length(last_error) FROM multiquery.drain_status WHERE stream = 'status_text'});
is($bytes, $field_bytes - 1, 'it is cut before the character that would not fit whole');
my $shown = $node->safe_psql('postgres', q{
	SELECT last_error FROM multiquery.drain_status WHERE stream = 'status_text'});
utf8::decode($shown);
is($shown, substr($prefix . $user, 0, length($shown)), 'and is the start of the message');

$node->stop;
done_testing();
