# Entries lost in Redis before the drain read them: deleted by hand (XDEL)
# past what PostgreSQL has applied, while the server was down. The drain
# cannot bring them back, but it must not pass over the gap in silence: when
# it takes the stream up again, a WARNING names the stream and the last
# entry applied, and the entries after the gap are applied as usual.
#
# Entries removed by XTRIM (or XADD MAXLEN) leave max-deleted-entry-id as
# it was; they are counted instead, once the drain has read to the end of
# the stream (test 220, docs/write_queue.md).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = queue_node('primary', $redis, q{
multiquery.drain_streams = 'gap'
multiquery.drain_trim = off
});
# Owned by an ordinary role: the drain refuses superusers' tables.
$node->safe_psql('postgres', 'CREATE TABLE t (n int); CREATE ROLE queue_owner; ALTER TABLE t OWNER TO queue_owner');

$redis->cli('XADD', 'gap', '1-1', 'table', 'public.t', 'row', '{"n": 1}');
ok($node->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t'), 'the first entry is applied');

# While the server is down, entries 1-2 and 1-3 are added and deleted
# before the drain reads them.
$node->stop;
$redis->cli('XADD', 'gap', "1-$_", 'table', 'public.t', 'row', qq({"n": $_})) for 2 .. 4;
is($redis->cli('XDEL', 'gap', '1-2', '1-3'), '2', 'two entries deleted by hand, never applied');
my $log_at = -s $node->logfile;
$node->start;

ok($node->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t WHERE n = 4'),
	'the entry after the gap is applied');
is($node->safe_psql('postgres', 'SELECT string_agg(n::text, \',\' ORDER BY n) FROM t'), '1,4',
	'and only it: the deleted entries are gone');
ok($node->wait_for_log(qr/WARNING:  stream trimmed past drain_progress\n/, $log_at),
	'a WARNING names the gap');
like(slurp_file($node->logfile, $log_at),
	qr/WARNING:  stream trimmed past drain_progress\n(?:[^\n]*(?:DETAIL|HINT):  [^\n]*\n)*[^\n]*CONTEXT:  multiquery drain worker 0, stream "gap"\n/,
	'its CONTEXT line names the worker and the stream');
like(slurp_file($node->logfile, $log_at),
	qr/DETAIL:  Redis stream "gap" has lost 2 entries after 1-1, the last one applied here/,
	'with the stream, how many, and the last entry applied');
is($node->safe_psql('postgres',
		q{SELECT entries_removed_unread FROM multiquery.drain_status WHERE stream = 'gap'}),
	'2', 'drain_status counts the two entries removed unread');
sleep 2;    # two more of the worker's checks of the stream's counts
is($node->safe_psql('postgres',
		q{SELECT entries_removed_unread FROM multiquery.drain_status WHERE stream = 'gap'}),
	'2', 'once: the worker\'s count of the entries the group was given does not find them again');
is(() = slurp_file($node->logfile, $log_at) =~ /WARNING:  stream (?:trimmed past drain_progress|entries removed unread)/g,
	1, 'and they are reported once');

done_testing();
