# The source of a table move through a raced foreign table: its race group
# names a standby first, whose replay is paused, yet table_diff and
# table_sync read the primary (a stale source would revert rows). With
# multiquery.drain_replica_lag_limit set, a sync writes nothing while a
# standby is further behind than the limit, and finishes once replay resumes.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
my ($primary_port, $standby_port) = ($primary->port, $standby->port);
$primary->safe_psql('postgres', 'CREATE DATABASE olddb');
$primary->safe_psql('olddb', q{
	CREATE TABLE accounts (id bigint PRIMARY KEY, owner text, balance numeric);
	INSERT INTO accounts SELECT g, 'o' || g, g * 10 FROM generate_series(1, 2000) g;
	CREATE TABLE ballast (filler text);
});
$primary->safe_psql('postgres', qq{
	CREATE SERVER old_primary FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$primary_port', dbname 'olddb');
	CREATE SERVER old_standby FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$standby_port', dbname 'olddb');
	CREATE USER MAPPING FOR PUBLIC SERVER old_primary;
	CREATE USER MAPPING FOR PUBLIC SERVER old_standby;
	CREATE SERVER old_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'old_standby, old_primary');
	CREATE SCHEMA old_db;
	CREATE FOREIGN TABLE old_db.accounts (id bigint, owner text, balance numeric)
		SERVER old_reads OPTIONS (schema_name 'public', table_name 'accounts');
	CREATE FOREIGN TABLE standby_only (id bigint, owner text, balance numeric)
		SERVER old_standby OPTIONS (schema_name 'public', table_name 'accounts');
	CREATE TABLE accounts (id bigint PRIMARY KEY, owner text, balance numeric);
	CREATE TABLE standby_copy (id bigint PRIMARY KEY, owner text, balance numeric);
});
$primary->wait_for_catchup($standby);

sub pause_replay {
	$standby->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
	poll_until(20, sub {
		$standby->safe_psql('postgres', 'SELECT pg_get_wal_replay_pause_state()') eq 'paused' })
	  or die 'replay did not pause';
}

sub except_both {
	return $primary->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM (TABLE accounts EXCEPT SELECT * FROM old_db.accounts) a) || '/' ||
		       (SELECT count(*) FROM (SELECT * FROM old_db.accounts EXCEPT TABLE accounts) b)});
}

# The standby stops replaying; the source changes on the primary.
pause_replay();
$primary->safe_psql('olddb', q{
	UPDATE accounts SET balance = -1 WHERE id <= 100;
	DELETE FROM accounts WHERE id > 1900;
	INSERT INTO accounts VALUES (5000, 'fresh', 1);
});
my $primary_view = $primary->safe_psql('olddb', 'SELECT count(*) || ' . q{'/'} . ' || sum(balance) FROM accounts');
isnt($standby->safe_psql('olddb', 'SELECT count(*) || ' . q{'/'} . ' || sum(balance) FROM accounts'),
	$primary_view, 'the standby lags behind the primary');

is($primary->safe_psql('postgres',
		q{SELECT count(*) FROM multiquery.table_diff('accounts', 'old_db.accounts')}),
	'1901', 'table_diff reads the primary through a group that names the standby first');
$primary->safe_psql('postgres', q{CALL multiquery.table_sync('accounts', 'old_db.accounts')});
is($primary->safe_psql('postgres', 'SELECT count(*) || ' . q{'/'} . ' || sum(balance) FROM accounts'),
	$primary_view, "table_sync copies the primary's rows, not the lagging standby's");
is($primary->safe_psql('olddb', q{SELECT count(*) FROM accounts WHERE balance = -1}), '100',
	'(the primary has the new balances)');
my ($out, $err);
$primary->psql('postgres', q{SELECT * FROM multiquery.table_diff('standby_copy', 'standby_only')},
	stdout => \$out, stderr => \$err);
like($err, qr/could not reach the source's primary through foreign server "old_standby".*\n.*in recovery/,
	'a source whose only server is a standby is refused');

# Replica lag pacing: a standby further behind than the limit holds the sync.
$primary->append_conf('postgresql.conf', "multiquery.drain_replica_lag_limit = '64kB'");
$primary->reload;
$primary->safe_psql('postgres', 'TRUNCATE accounts');
$primary->safe_psql('olddb', q{INSERT INTO ballast SELECT repeat('x', 1000) FROM generate_series(1, 500)});
ok($primary->poll_query_until('postgres', q{
		SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) > 128 * 1024 FROM pg_stat_replication}),
	'the standby falls further behind than the limit');
my $sync = $primary->background_psql('postgres', on_error_stop => 0);
my $pid = $sync->query_safe('SELECT pg_backend_pid()');
$sync->query_until(qr/started/,
	"\\echo started\nCALL multiquery.table_sync('accounts', 'old_db.accounts');\n\\echo finished\n");
ok(poll_until(20, sub {
	$primary->safe_psql('postgres', "SELECT phase FROM multiquery.table_sync_progress WHERE pid = $pid")
	  eq 'waiting for standbys' }), 'the sync waits for the standbys');
sleep 2;
is($primary->safe_psql('postgres', "SELECT chunks_done || ' ' || rows_inserted FROM multiquery.table_sync_progress
	WHERE pid = $pid") . ' ' . $primary->safe_psql('postgres', 'SELECT count(*) FROM accounts'),
	'0 0 0', 'and writes nothing while replay is paused');
$standby->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
ok(pump_until($sync->{run}, $sync->{timeout}, \$sync->{stdout}, qr/finished/),
	'once replay resumes, the sync finishes');
$primary->wait_for_catchup($standby);
is(except_both(), '0/0', 'and the tables are equal');
$sync->quit;

ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
$standby->stop;
$primary->stop;
done_testing();
