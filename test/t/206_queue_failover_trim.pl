# The write queue across a PostgreSQL failover, and Redis' memory.
# - Applied entries leave the stream (XTRIM MINID) once their commit is on
#   every standby the primary knows: a stopped standby's replication slot
#   holds them back.
# - The read position is PostgreSQL's committed progress, not the consumer
#   group's: the primary applies and acknowledges a batch that never reaches
#   the (stopped) standby, crashes, the standby is promoted, and it applies
#   that batch again, so every entry arrives exactly once.
# - A stream recreated below the recorded progress is reported, and nothing
#   is applied twice.
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
multiquery.drain_streams = 'events'
multiquery.drain_batch_size = 100
});
$primary->start;
$primary->safe_psql('postgres', q{
	CREATE EXTENSION multiquery;
	CREATE TABLE events (seq int);
	-- Queue tables belong to an ordinary role: the drain refuses superusers' tables.
	CREATE ROLE queue_owner;
	ALTER TABLE events OWNER TO queue_owner;
	SELECT pg_create_physical_replication_slot('standby_slot');
});
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', "primary_slot_name = 'standby_slot'");
$standby->start;

my $next = 1;
sub push_entries {
	my ($n) = @_;
	my $first = $next;
	$next += $n;
	$redis->pipe(map { ['XADD', 'events', '*', 'table', 'events', 'row', qq({"seq": $_})] }
		  $first .. $next - 1);
}

sub xlen { return $redis->cli('XLEN', 'events'); }

sub wait_for {
	my ($what, $test) = @_;
	for (1 .. 300) {
		return 1 if $test->();
		select(undef, undef, undef, 0.1);
	}
	diag("gave up waiting for $what");
	return 0;
}

# --- trimming --------------------------------------------------------------
push_entries(1000);
ok($primary->poll_query_until('postgres', 'SELECT count(*) = 1000 FROM events'),
	'the primary applies 1000 entries');
ok(wait_for('the trim', sub { xlen() eq '0' }),
	'with the standby streaming, the applied entries leave the stream');
is($primary->safe_psql('postgres', q{
		SELECT trimmed_to = last_applied_id FROM multiquery.drain_status WHERE stream = 'events'}),
	't', 'drain_status says the stream is trimmed up to the last applied entry');

# The standby stops; its slot keeps what it has not received.
$primary->wait_for_catchup($standby);
$standby->stop;
push_entries(500);
ok($primary->poll_query_until('postgres', 'SELECT count(*) = 1500 FROM events'),
	'the primary applies 500 more with the standby down');
sleep 2;    # several trim rounds
is(xlen(), '500', 'the stopped standby\'s slot keeps those 500 entries in the stream');
is($primary->safe_psql('postgres', q{
		SELECT count(*) FROM pg_stat_replication}), '0', '(no standby is connected)');

# --- failover --------------------------------------------------------------
# The primary committed and acknowledged the 500; its WAL never reached the
# standby. It crashes; the standby is promoted with none of those rows.
$primary->stop('immediate');
$standby->start;
is($standby->safe_psql('postgres', 'SELECT count(*) FROM events'), '1000',
	'the standby lacks the last 500 rows');
$standby->promote;
ok($standby->poll_query_until('postgres', 'SELECT count(*) = 1500 FROM events'),
	'its worker re-reads from its own committed progress and applies them');
push_entries(100);
ok($standby->poll_query_until('postgres', 'SELECT count(*) = 1600 FROM events'),
	'and goes on with new entries');
is($standby->safe_psql('postgres', q{
		SELECT count(DISTINCT seq) || ' ' || min(seq) || ' ' || max(seq) FROM events}),
	'1600 1 1600', 'every entry exactly once across the failover');
is($standby->safe_psql('postgres', q{
		SELECT count(*) FROM (SELECT seq, lag(seq) OVER (ORDER BY ctid) AS before FROM events) s
		WHERE before IS NOT NULL AND seq <> before + 1}), '0', 'in stream order');
ok(wait_for('the trim after failover', sub { xlen() eq '0' }),
	'the new primary (no standby) trims what it applied');

# With trimming off nothing more leaves; the setting is read on reload.
$standby->safe_psql('postgres', q{ALTER SYSTEM SET multiquery.drain_trim = off; SELECT pg_reload_conf()});
sleep 1;
push_entries(50);
ok($standby->poll_query_until('postgres', 'SELECT count(*) = 1650 FROM events'), '50 more applied');
sleep 2;
is(xlen(), '50', 'with drain_trim off, applied entries stay in the stream');
$standby->safe_psql('postgres', q{ALTER SYSTEM RESET multiquery.drain_trim; SELECT pg_reload_conf()});
ok(wait_for('the trim once on again', sub { xlen() eq '0' }), 'on again, they go');

# --- a stream recreated below the recorded progress ------------------------
$redis->cli('DEL', 'events');
$redis->cli('XADD', 'events', '1-1', 'table', 'events', 'row', '{"seq": -1}');
ok($standby->poll_query_until('postgres', q{
		SELECT state = 'stream behind drain_progress' FROM multiquery.drain_status WHERE stream = 'events'}),
	'drain_status reports the stream behind the recorded progress');
ok($standby->log_contains('stream behind drain_progress'), 'and the log says so');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM events WHERE seq = -1'), '0',
	'and nothing is applied twice (the low id is skipped)');

$standby->stop;
$redis->stop;
done_testing();
