# The operator's order of things: the drain worker starts with the server,
# before anyone has run CREATE EXTENSION in multiquery.drain_database. It
# waits, says so in drain_status (readable from any database with the
# extension), keeps the log quiet, and drains what was queued meanwhile once
# the extension and the table exist.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use MultiQuery::Redis;

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
multiquery.redis_port = ${\ $redis->port}
multiquery.drain_database = 'later'
multiquery.drain_streams = 'later'
multiquery.drain_trim = off
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE later');
# drain_status lives in shared memory: any database with the extension shows it.
$node->safe_psql('postgres', 'CREATE EXTENSION multiquery');
$redis->cli('XADD', 'later', '1-1', 'table', 'public.t', 'row', '{"n": 1}');

ok($node->poll_query_until('postgres', q{
		SELECT bool_and(state = 'waiting: extension not created in multiquery.drain_database')
		FROM multiquery.drain_status}),
	'drain_status says the worker waits for the extension');
my $log_at = -s $node->logfile;
usleep(2_000_000);
my $errors = () = slurp_file($node->logfile, $log_at) =~ /ERROR|FATAL/g;
is($errors, 0, 'and waits quietly: no error in the log for two seconds');

# Owned by an ordinary role: the drain refuses superusers' tables.
$node->safe_psql('later', 'CREATE EXTENSION multiquery; CREATE TABLE t (n int); '
	. 'CREATE ROLE queue_owner; ALTER TABLE t OWNER TO queue_owner');
ok($node->poll_query_until('later', 'SELECT count(*) = 1 FROM t'),
	'once the extension and the table exist, the queued entry lands');
ok($node->poll_query_until('postgres', q{
		SELECT bool_and(state = 'running') FROM multiquery.drain_status}),
	'and drain_status says running');
ok(!$node->log_contains('terminated by signal'), 'no backend crashed');

done_testing();
