# Read-your-writes (min_lsn) and the replica lag bound on a real primary and
# streaming standby. A standby with WAL replay paused is a deterministic stale
# replica: the primary sleeps only when it is not in recovery, so without a
# policy the standby wins; with min_lsn the answer must come from the primary
# and contain the write; with multiquery.max_replica_lag the lagging standby
# is only probed until it has caught up.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
$standby->append_conf('postgresql.conf', "log_statement = 'all'\n");
$standby->reload;
$primary->safe_psql('postgres', q{
	CREATE TABLE notes (id int PRIMARY KEY, body text);
	INSERT INTO notes VALUES (1, 'old');
});
$primary->wait_for_catchup($standby);

# Which server answered, and whether it saw note $1; the primary is slow.
my $query = q{SELECT pg_is_in_recovery(), (SELECT count(*) FROM notes WHERE id = $1)
	FROM (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 0 ELSE 1 END)) AS slow};
my $race = sub {
	my ($session, $id, $extra) = @_;
	$extra //= '';
	return session_query($session, qq{
		SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}', '$query', '{$id}' $extra)
			AS t(in_recovery bool, seen bigint)});
};
my $pause = sub {
	$standby->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
	ok(poll_until(20, sub {
		$standby->safe_psql('postgres', 'SELECT pg_get_wal_replay_pause_state()') eq 'paused' }),
		'replay is paused on the standby');
};
my $stats = sub {
	my ($target) = @_;
	return $primary->safe_psql('postgres',
		"SELECT errors, coalesce(last_error, '') FROM multiquery.race_stats WHERE target = '$target'");
};
my $standby_executed = sub {
	my ($marker) = @_;
	my $log = slurp_file($standby->logfile);
	my @hits = $log =~ /execute [^\s:]+: [^\n]*\Q$marker\E/g;
	return scalar @hits;
};

my $session = $primary->background_psql('postgres', on_error_stop => 0);

# 1. Stale standby: the write is on the primary only.
$pause->();
$primary->safe_psql('postgres', q{INSERT INTO notes VALUES (2, 'just written')});
my $lsn = $primary->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
my ($out, $err) = $race->($session, 2);
is($out, 't|0', 'without min_lsn the paused standby wins, and misses the write');
($out, $err) = $race->($session, 2, ", min_lsn => '$lsn'");
is($out, 'f|1', 'with min_lsn the answer comes from the primary and contains the write');
my ($errors, $last_error) = split /\|/, $stats->('mq_standby1');
like($last_error, qr{^stale: replayed [0-9A-F]+/[0-9A-F]+ < min_lsn \Q$lsn\E$},
	'the standby counts as failed in race_stats, as stale');
is($errors, '1', 'once');

# 1b. The same policy for the whole session: multiquery.min_lsn.
$session->query_safe(qq{SET multiquery.min_lsn = '$lsn'});
($out, $err) = $race->($session, 2);
is($out, 'f|1', 'with multiquery.min_lsn set, a race without min_lsn is read-your-writes too');
($out, $err) = $race->($session, 2, q{, min_lsn => '0/0'});
is($out, 't|0', "race_query's own min_lsn argument wins over the setting");
$session->query_safe('RESET multiquery.min_lsn');
($out, $err) = $race->($session, 2);
is($out, 't|0', 'once it is reset, the paused standby answers again');
($out, $err) = session_query($session, q{SET multiquery.min_lsn = 'yesterday'});
like($err, qr/invalid value for parameter "multiquery.min_lsn": "yesterday"/,
	'a value that is not an LSN is refused');

# 2. Only stale targets: the error says so.
($out, $err) = session_query($session, qq{
	SELECT * FROM multiquery.race_query('{mq_standby1}', 'SELECT 1', min_lsn => '$lsn') AS t(x int)});
like($err, qr/ERROR:  race_query failed: no target was fresh enough\nDETAIL:  mq_standby1: stale: replayed/,
	'a lone stale target fails the race, and the error says why');
($out, $err) = session_query($session, qq{
	\\set VERBOSITY verbose
	SELECT * FROM multiquery.race_query('{mq_standby1,mq_primary}', 'SELECT 1 / 0', min_lsn => 'FFFF/0')
		AS t(x int)});
like($err, qr/ERROR:  55000: race_query failed: no target was fresh enough/,
	'no target fresh enough: SQLSTATE 55000; the stale answers (a division by zero) are never read');
like($err, qr{mq_standby1: stale: replayed [0-9A-F]+/[0-9A-F]+ < min_lsn FFFF/0}, 'DETAIL: how far the standby got');
like($err, qr{mq_primary: stale: inserted [0-9A-F]+/[0-9A-F]+ < min_lsn FFFF/0}, 'and the primary');
$session->query_safe('\set VERBOSITY default');

# 3. Replay resumed: the standby catches up and may win again (staleness is
# judged per race, never backed off).
$standby->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
$primary->wait_for_catchup($standby);
($out, $err) = $race->($session, 2, ", min_lsn => '$lsn'");
is($out, 't|1', 'once it has replayed min_lsn the standby wins again, with the write');

# 4. Lag bound: replay paused and the standby's last replayed transaction
# long enough ago; its lag is over the bound.
$session->query_safe(q{SET multiquery.max_replica_lag = '500ms'});
$pause->();
$primary->safe_psql('postgres', q{INSERT INTO notes VALUES (3, 'while paused')});
ok(poll_until(20, sub { $standby->safe_psql('postgres', q{
	SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()
	   AND clock_timestamp() - pg_last_xact_replay_timestamp() > interval '1s'}) eq 't' }),
	'the standby has received WAL it has not replayed, and its last replay is over 1 s old');
($out, $err) = $race->($session, 1, q{/* lag-race-1 */});
is($out, 'f|1', 'a standby over the lag bound does not answer: the slow primary does');
($errors, $last_error) = split /\|/, $stats->('mq_standby1');
like($last_error, qr/^lagging: replay lag \d+ ms > multiquery.max_replica_lag 500 ms$/,
	'race_stats says why');
my $query_marked = $query =~ s/AS slow/AS slow_lag_race_2/r;
($out, $err) = session_query($session, qq{
	SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}', '$query_marked', '{1}')
		AS t(in_recovery bool, seen bigint)});
is($out, 'f|1', 'the next race is answered by the primary too');
is($standby_executed->('slow_lag_race_2'), 0,
	'and the lagging standby was not even sent the query (only its probe)');
ok($standby_executed->('pg_last_xact_replay_timestamp') >= 2, 'the probes did reach it');

# 5. Caught up: the next probe readmits it in the same race.
$standby->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
$primary->wait_for_catchup($standby);
($out, $err) = $race->($session, 3);
is($out, 't|1', 'once caught up, the standby takes part (and wins) again');
$session->query_safe('RESET multiquery.max_replica_lag');

$session->quit;
ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
$standby->stop;
$primary->stop;
done_testing();
