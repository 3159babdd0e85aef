# Pacing by replica lag: with multiquery.drain_replica_lag_limit set, the
# worker applies nothing while a standby has more WAL than that left to
# replay (here: replay paused with pg_wal_replay_pause() while the primary
# writes), says so in drain_status, and resumes by itself once the standby
# has caught up. With the limit at 0 (the default) it never waits.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;

my $redis = MultiQuery::Redis->new;
$redis->start;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
multiquery.redis_port = ${\ $redis->port}
multiquery.drain_database = 'postgres'
multiquery.drain_streams = 'paced'
multiquery.drain_replica_lag_limit = '1MB'
});
$primary->start;
$primary->safe_psql('postgres', q{
	CREATE EXTENSION multiquery;
	CREATE TABLE paced (n int);
	CREATE TABLE ballast (filler text);
	-- Queue tables belong to an ordinary role: the drain refuses superusers' tables.
	CREATE ROLE queue_owner;
	ALTER TABLE paced OWNER TO queue_owner;
	ALTER TABLE ballast OWNER TO queue_owner;
	SELECT pg_create_physical_replication_slot('standby_slot');
});
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', "primary_slot_name = 'standby_slot'");
$standby->start;
$primary->wait_for_catchup($standby);

sub xadd { $redis->cli('XADD', 'paced', '*', 'table', 'paced', 'row', qq({"n": $_[0]})); }
sub state {
	return $primary->safe_psql('postgres', q{SELECT state FROM multiquery.drain_status WHERE stream = 'paced'});
}

xadd(1);
ok($primary->poll_query_until('postgres', 'SELECT count(*) = 1 FROM paced'),
	'with the standby caught up, the worker drains');

# Replay stops on the standby while the primary writes 4 MB of WAL.
$standby->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
$primary->safe_psql('postgres', q{INSERT INTO ballast SELECT repeat('x', 1000) FROM generate_series(1, 4000)});
ok($primary->poll_query_until('postgres', q{
		SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) > 2 * 1024 * 1024
		FROM pg_stat_replication}),
	'the standby falls more than the limit behind');
ok($primary->poll_query_until('postgres', q{
		SELECT state = 'paused: replica lag' FROM multiquery.drain_status WHERE stream = 'paced'}),
	'drain_status says the drain is paused for the replica');
# Only now: the worker looks at the lag every 100 ms, so an entry sent the
# moment the standby fell behind could still have gone through.
xadd(2);
sleep 2;
is($primary->safe_psql('postgres', 'SELECT count(*) FROM paced WHERE n = 2'), '0',
	'and nothing is applied while the standby is behind');

$standby->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
ok($primary->poll_query_until('postgres', 'SELECT count(*) = 1 FROM paced WHERE n = 2'),
	'once the standby replays again, the drain resumes by itself');
ok($primary->poll_query_until('postgres', q{
		SELECT state = 'running' FROM multiquery.drain_status WHERE stream = 'paced'}),
	'and says it runs');

# A standby that is down but holds a slot counts too; the limit at 0 turns pacing off.
$standby->stop;
$primary->safe_psql('postgres', q{INSERT INTO ballast SELECT repeat('x', 1000) FROM generate_series(1, 4000)});
xadd(3);
ok($primary->poll_query_until('postgres', q{
		SELECT state = 'paused: replica lag' FROM multiquery.drain_status WHERE stream = 'paced'}),
	'a stopped standby behind by its slot pauses the drain as well');
$primary->safe_psql('postgres', q{ALTER SYSTEM SET multiquery.drain_replica_lag_limit = 0; SELECT pg_reload_conf()});
ok($primary->poll_query_until('postgres', 'SELECT count(*) = 1 FROM paced WHERE n = 3'),
	'with the limit at 0 the drain does not wait for replicas');

$primary->stop;
$redis->stop;
done_testing();
