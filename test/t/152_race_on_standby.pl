# Racing from a hot standby: the extension created on the primary and
# replayed, and every race called on standby 1 over {primary, standby 1,
# standby 2}. race_query, a race group and a racing foreign table answer
# there; race_stats, the connection cache and race_connections() are the
# standby's own; hedging, min_lsn, multiquery.min_lsn = 'local' and
# max_replica_lag work as on a primary. A standby with replay paused is a
# deterministic stale replica; the primary sleeps where it must lose.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby1, $standby2) = race_cluster(2);
for my $node ($primary, $standby2) {
	$node->append_conf('postgresql.conf', "log_statement = 'all'\n");
	$node->reload;
}
$primary->safe_psql('postgres', q{
	CREATE TABLE docs (id int PRIMARY KEY, title text);
	INSERT INTO docs SELECT g, 'doc ' || g FROM generate_series(1, 100) g;
	CREATE TABLE notes (id int PRIMARY KEY, body text);
	INSERT INTO notes VALUES (1, 'old');
	CREATE SERVER mq_all FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_primary, mq_standby1, mq_standby2');
	CREATE SCHEMA raced;
	CREATE FOREIGN TABLE raced.docs (id int, title text) SERVER mq_all
		OPTIONS (schema_name 'public', table_name 'docs');
});
$primary->wait_for_catchup($_) for ($standby1, $standby2);

# How many statements carrying $marker $node executed (log_statement = all).
my $executed = sub {
	my ($node, $marker) = @_;
	my $log = slurp_file($node->logfile);
	my @hits = $log =~ /(?:execute [^\s:]+|statement): [^\n]*\Q$marker\E/g;
	return scalar @hits;
};
my $pause = sub {
	my ($node) = @_;
	$node->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
	ok(poll_until(20, sub {
		$node->safe_psql('postgres', 'SELECT pg_get_wal_replay_pause_state()') eq 'paused' }),
		'replay is paused on ' . $node->name);
};

my $session = $standby1->background_psql('postgres', on_error_stop => 0);
my $three = '{mq_primary,mq_standby1,mq_standby2}';

# 1. The extension and its race targets came by replay.
my ($out, $err) = session_query($session, q{
	SELECT pg_is_in_recovery(), (SELECT extversion FROM pg_extension WHERE extname = 'multiquery')
		= multiquery.version()});
is($out, 't|t', 'standby 1 is in recovery and runs the extension created on the primary');

# 2. race_query over the three servers.
($out, $err) = session_query($session, qq{
	SELECT * FROM multiquery.race_query('$three',
		'SELECT count(*), sum(length(title)) FROM docs WHERE id <= \$1', '{50}') AS t(n bigint, len bigint)});
is($out, $primary->safe_psql('postgres',
		'SELECT count(*), sum(length(title)) FROM docs WHERE id <= 50'),
	'race_query called on the standby answers') or diag($err);
($out, $err) = session_query($session, qq{
	\\set VERBOSITY verbose
	SELECT * FROM multiquery.race_query('$three', 'SELECT 1 / 0') AS t(x int)});
like($err, qr/ERROR:  22012: division by zero/, 'an error every server repeats arrives whole');
$session->query_safe('\set VERBOSITY default');

# 3. The race group and its racing foreign table, defined on the primary.
($out, $err) = session_query($session, q{
	SELECT * FROM multiquery.race_query('{mq_all}', 'SELECT count(*) FROM docs') AS t(n bigint)});
is($out, '100', 'a race group defined on the primary races on the standby');
($out, $err) = session_query($session, q{SELECT title FROM raced.docs WHERE id = 7});
is($out, 'doc 7', 'a racing foreign table reads on the standby');
($out, $err) = session_query($session, q{
	SELECT (SELECT string_agg(id || ':' || title, ',' ORDER BY id) FROM raced.docs WHERE id % 7 = 0)
	     = (SELECT string_agg(id || ':' || title, ',' ORDER BY id) FROM docs WHERE id % 7 = 0),
	       (SELECT count(*) FROM raced.docs d JOIN generate_series(1, 5) g ON d.id = g)});
is($out, 't|5', 'its rows are the table\'s own, in a join too');
($out, $err) = session_query($session, q{EXPLAIN VERBOSE SELECT title FROM raced.docs WHERE id = 7});
like($out, qr/Remote SQL: SELECT .* FROM public\.docs WHERE/, 'EXPLAIN VERBOSE shows its remote SQL');

# 4. race_stats is this standby's own: the primary counted none of these races.
($out, $err) = session_query($session, q{
	SELECT string_agg(target || ':' || (races > 0), ',' ORDER BY target) FROM multiquery.race_stats});
is($out, 'mq_primary:true,mq_standby1:true,mq_standby2:true',
	'race_stats on the standby counts its races for each target');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM multiquery.race_stats'), '0',
	'the primary has counted none of them');
($out, $err) = session_query($session, q{
	SELECT (SELECT sum(wins) FROM multiquery.race_wins_per_minute)
	     = (SELECT sum(wins) FROM multiquery.race_stats)});
is($out, 't', 'race_wins_per_minute agrees with race_stats');
session_query($session, 'SELECT multiquery.race_stats_reset()');
($out, $err) = session_query($session, 'SELECT count(*) FROM multiquery.race_stats');
is($out, '0', 'race_stats_reset() works on the standby');

# 5. The connection cache: one connection per target, listed, closed on
# demand, and dropped when the primary changes the server (the change
# reaches this backend by replay).
($out, $err) = session_query($session, q{
	SELECT string_agg(target, ',' ORDER BY target) FROM multiquery.race_connections()});
is($out, 'mq_primary,mq_standby1,mq_standby2',
	'race_connections() lists one connection per target (the group has none of its own)');
my $pid_of = sub {
	my ($target) = @_;
	my ($pid) = session_query($session, qq{
		SELECT pid FROM multiquery.race_query('{$target}', 'SELECT pg_backend_pid()') AS t(pid int)});
	return $pid;
};
my $before = $pid_of->('mq_primary');
is($pid_of->('mq_primary'), $before, 'the next race reuses the cached connection');
$primary->safe_psql('postgres', q{ALTER SERVER mq_primary VERSION '2'});
$primary->wait_for_catchup($standby1);
isnt($pid_of->('mq_primary'), $before,
	'ALTER SERVER on the primary, replayed: the standby backend reconnects');
($out, $err) = session_query($session, q{
	SELECT multiquery.race_disconnect('mq_standby2'),
	       (SELECT count(*) FROM multiquery.race_connections() WHERE target = 'mq_standby2')});
is($out, 't|0', 'race_disconnect() closes one');
($out, $err) = session_query($session, q{
	SELECT multiquery.race_disconnect_all(), (SELECT count(*) FROM multiquery.race_connections())});
is($out, 't|0', 'race_disconnect_all() closes them all');

# 6. No policy set: no target is sent a freshness probe.
session_query($session, qq{
	SELECT * FROM multiquery.race_query('$three', 'SELECT 1 /* no-probe */') AS t(x int)})
  for 1 .. 3;
is($executed->($primary, 'pg_last_xact_replay_timestamp')
	  + $executed->($standby2, 'pg_last_xact_replay_timestamp'), 0,
	'without min_lsn or a lag bound, no target is probed');

# 7. Hedging, with standby 1 itself as the first target.
($out, $err) = session_query($session, qq{
	SELECT * FROM multiquery.race_query('{mq_standby1,mq_standby2,mq_primary}',
		'SELECT pg_is_in_recovery() /* hedge-fast */', hedge_delay => '5s') AS t(r bool)});
is($out, 't', 'hedge_delay 5s, the standby itself first: it answers');
is($executed->($primary, 'hedge-fast') + $executed->($standby2, 'hedge-fast'), 0,
	'the other servers never saw the query');
($out, $err) = session_query($session, q{
	SELECT * FROM multiquery.race_query('{mq_primary,mq_standby2}',
		'SELECT pg_is_in_recovery() /* hedge-slow */
		 FROM (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 0 ELSE 3 END)) AS s',
		hedge_delay => '100ms') AS t(r bool)});
is($out, 't', 'a slow first target (the primary): the hedge to standby 2 answers');
($out, $err) = session_query($session,
	q{SELECT hedges FROM multiquery.race_stats WHERE target = 'mq_standby2'});
is($out, '1', 'counted as a hedge in the standby\'s race_stats');
ok(poll_until(20, sub { remote_queries($primary, 'hedge-slow') eq '0' }),
	'the slow primary\'s query was cancelled');

# 8. Read your writes: min_lsn is the primary's position after the write.
# Standby 1's own position says nothing about a write just made on the
# primary, so it is not a read-your-writes LSN.
my $query = q{SELECT pg_is_in_recovery(), (SELECT count(*) FROM notes WHERE id = $1)
	FROM (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 0 ELSE 1 END)) AS slow};
my $race = sub {
	my ($targets, $id, $extra) = @_;
	$extra //= '';
	return session_query($session, qq{
		SELECT * FROM multiquery.race_query('$targets', '$query', '{$id}' $extra)
			AS t(in_recovery bool, seen bigint)});
};
$pause->($standby2);
$primary->safe_psql('postgres', q{INSERT INTO notes VALUES (2, 'just written')});
my $lsn = $primary->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
$primary->wait_for_catchup($standby1);
($out, $err) = $race->('{mq_primary,mq_standby2}', 2);
is($out, 't|0', 'without min_lsn the paused standby 2 wins, and misses the write');
($out, $err) = $race->('{mq_primary,mq_standby2}', 2, ", min_lsn => '$lsn'");
is($out, 'f|1', 'with the primary\'s LSN the primary answers, with the write');
($out, $err) = $race->('{mq_standby1,mq_standby2}', 2, ", min_lsn => '$lsn'");
is($out, 't|1', 'standby 1, which has replayed it, answers with the write');
($out, $err) = session_query($session, q{
	SELECT last_error FROM multiquery.race_stats WHERE target = 'mq_standby2'});
like($out, qr{^stale: replayed [0-9A-F]+/[0-9A-F]+ < min_lsn \Q$lsn\E$},
	'standby 2 is stale in the standby\'s race_stats');
ok($executed->($standby2, 'pg_last_xact_replay_timestamp') > 0, 'with min_lsn, targets are probed');

# 9. multiquery.min_lsn = 'local': at least as fresh as standby 1 is.
my $local_lsn = $standby1->safe_psql('postgres', 'SELECT pg_last_wal_replay_lsn()');
$session->query_safe(q{SET multiquery.min_lsn = 'local'});
($out, $err) = session_query($session, 'SHOW multiquery.min_lsn');
is($out, 'local', "multiquery.min_lsn takes 'local'");
($out, $err) = $race->('{mq_primary,mq_standby2}', 2);
is($out, 'f|1', "'local': standby 2, behind this standby, does not answer; the primary does");
($out, $err) = session_query($session, q{
	SELECT * FROM multiquery.race_query('{mq_standby2}', 'SELECT 1') AS t(x int)});
like($err, qr{no target was fresh enough\nDETAIL:  mq_standby2: stale: replayed [0-9A-F]+/[0-9A-F]+ < min_lsn ([0-9A-F]+/[0-9A-F]+)},
	"'local' alone: the error names standby 1's replayed position");
my ($named) = $err =~ m{< min_lsn ([0-9A-F]+/[0-9A-F]+)};
is($standby1->safe_psql('postgres', "SELECT '$named'::pg_lsn >= '$local_lsn'::pg_lsn"), 't',
	'that position is standby 1\'s');
($out, $err) = session_query($session, q{SELECT title FROM raced.docs WHERE id = 3});
is($out, 'doc 3', "'local' holds for racing foreign tables too");
($out, $err) = $race->('{mq_primary,mq_standby2}', 2, q{, min_lsn => '0/0'});
is($out, 't|0', "race_query's min_lsn argument wins over 'local'");
$session->query_safe('RESET multiquery.min_lsn');
($out, $err) = $race->('{mq_primary,mq_standby2}', 2);
is($out, 't|0', 'reset: the paused standby answers again');
# On the primary, 'local' is its inserted position.
$out = $primary->safe_psql('postgres', qq{
	SET multiquery.min_lsn = 'local';
	SELECT * FROM multiquery.race_query('{mq_primary,mq_standby2}', '$query', '{2}')
		AS t(in_recovery bool, seen bigint)});
is($out, 'f|1', "'local' on the primary: the paused standby is stale, the primary answers");

# 10. The lag bound: standby 2 has received WAL it has not replayed, and its
# last replay is over 1 s old.
$session->query_safe(q{SET multiquery.max_replica_lag = '500ms'});
$primary->safe_psql('postgres', q{INSERT INTO notes VALUES (3, 'while paused')});
ok(poll_until(20, sub { $standby2->safe_psql('postgres', q{
	SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()
	   AND clock_timestamp() - pg_last_xact_replay_timestamp() > interval '1s'}) eq 't' }),
	'standby 2 lags');
($out, $err) = $race->('{mq_primary,mq_standby2}', 1);
is($out, 'f|1', 'a standby over the lag bound does not answer: the slow primary does');
($out, $err) = session_query($session, q{
	SELECT last_error FROM multiquery.race_stats WHERE target = 'mq_standby2'});
like($out, qr/^lagging: replay lag \d+ ms > multiquery.max_replica_lag 500 ms$/,
	'the standby\'s race_stats says why');
$standby2->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
$primary->wait_for_catchup($standby2);
($out, $err) = $race->('{mq_primary,mq_standby2}', 3);
is($out, 't|1', 'caught up, standby 2 answers again');

$session->quit;
for my $node ($primary, $standby1, $standby2) {
	ok(!$node->log_contains('terminated by signal'), 'no backend of ' . $node->name . ' crashed');
}
$_->stop for ($standby2, $standby1, $primary);
done_testing();
