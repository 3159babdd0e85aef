# Racing foreign tables through faults, on a real primary and streaming
# standby: a standby stalled on the read (a view that sleeps only in
# recovery) or hung (every process SIGSTOPped) does not slow the answer; with
# replay paused, multiquery.min_lsn never lets a stale row through; a
# non-superuser whose user mapping has no password gets race_query's (and
# dblink's) error, while a view owned by a superuser reads with the owner's
# mapping, as postgres_fdw does.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
$primary->safe_psql('postgres', q{
	CREATE TABLE docs (id int PRIMARY KEY, title text NOT NULL, body text);
	INSERT INTO docs SELECT i, 'title ' || i, repeat('x', i % 50) FROM generate_series(1, 2000) i;
	-- Sleeps once per query (an InitPlan), only on a standby / only on the primary.
	CREATE VIEW docs_stalling_standby AS SELECT * FROM docs
		WHERE (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 20 ELSE 0 END)::text) IS NOT NULL;
	CREATE VIEW docs_slow_primary AS SELECT * FROM docs
		WHERE (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 0 ELSE 1 END)::text) IS NOT NULL;
	CREATE SERVER main_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_primary, mq_standby1');
	CREATE SERVER standby_reads FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'mq_standby1');
	CREATE SCHEMA raced;
	CREATE FOREIGN TABLE raced.docs (id int, title text, body text) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'docs');
	CREATE FOREIGN TABLE raced.docs_stalling (id int, title text, body text) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'docs_stalling_standby');
	CREATE FOREIGN TABLE raced.docs_slow_primary (id int, title text) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'docs_slow_primary');
	CREATE FOREIGN TABLE raced.docs_on_standby (id int, title text) SERVER standby_reads
		OPTIONS (schema_name 'public', table_name 'docs');
	CREATE FOREIGN TABLE raced.docs_stalling_only (id int, title text) SERVER standby_reads
		OPTIONS (schema_name 'public', table_name 'docs_stalling_standby');
});
$primary->wait_for_catchup($standby);

my $session = $primary->background_psql('postgres', on_error_stop => 0);
$session->query_safe(q{SET multiquery.race_timeout = '30s'});
my $direct = $primary->safe_psql('postgres',
	q{SELECT id, title, body FROM docs WHERE id BETWEEN 100 AND 140 ORDER BY id});

# Runs $sql in the session, returns (rows, stderr, milliseconds).
my $timed = sub {
	my ($sql) = @_;
	my $started = time;
	my ($out, $err) = session_query($session, $sql);
	return ($out, $err, (time - $started) * 1000);
};
my $wins = sub {
	my ($target) = @_;
	return $primary->safe_psql('postgres',
		"SELECT coalesce(sum(wins), 0) FROM multiquery.race_stats WHERE target = '$target'");
};

# 0. Healthy: the rows of a direct read.
my ($out, $err) = session_query($session,
	q{SELECT id, title, body FROM raced.docs WHERE id BETWEEN 100 AND 140 ORDER BY id});
is($out, $direct, 'a raced table gives the rows of a direct read') or diag($err);

# 1. A standby stalled on the read: the primary's answer is not held up.
# Reads rows 100 to 140 of $table $calls times; each must equal the direct
# read and none may take 5 s.
my $reads_in_time = sub {
	my ($what, $table, $calls) = @_;
	my @slow;
	for my $call (1 .. $calls) {
		my ($rows, $error, $ms) = $timed->(
			qq{SELECT id, title, body FROM $table WHERE id BETWEEN 100 AND 140 ORDER BY id});
		is($rows, $direct, "$what, call $call: the rows of a direct read") or diag($error);
		push @slow, $ms if $ms > 5000;
	}
	is(scalar(@slow), 0, "$what: no call waited for the standby (bound 5 s)")
		or diag("slow calls: @slow ms");
};
my $primary_wins = $wins->('mq_primary');
$reads_in_time->('stalled standby (20 s sleep)', 'raced.docs_stalling', 5);
is($wins->('mq_primary') - $primary_wins, 5, 'the primary won all five races');
ok(poll_until(10, sub {
	remote_queries($standby, 'docs_stalling_standby') eq '0' }),
	"the stalled standby's query was cancelled, not left running");

# 1b. When every target stalls, statement_timeout still ends the read
# promptly, and the session goes on.
my $ms;
($out, $err, $ms) = $timed->(q{
	SET statement_timeout = '1s';
	SELECT count(*) FROM raced.docs_stalling_only;
	RESET statement_timeout;});
like($err, qr/canceling statement due to statement timeout/,
	'statement_timeout cancels a raced read whose every target stalls');
cmp_ok($ms, '<', 10000, 'promptly (bound 10 s; the standby sleeps 20 s)');
($out, $err) = session_query($session, q{RESET statement_timeout; SELECT count(*) FROM raced.docs});
is($out, '2000', 'the session reads again afterwards') or diag($err);

# 2. A hung standby (SIGSTOP): every read still answers from the primary.
($out, $err) = session_query($session, q{SELECT count(*) FROM raced.docs_on_standby});
is($out, '2000', 'the standby answers on its own before it hangs') or diag($err);
freeze_node($standby);
$reads_in_time->('hung standby (race_timeout 30 s)', 'raced.docs', 6);
thaw_node($standby);
ok(poll_until(30, sub {
	my ($count) = session_query($session, q{SELECT count(*) FROM raced.docs_on_standby});
	$count eq '2000' }), 'the thawed standby answers again');

# 3. Read-your-writes with replay paused: the standby is stale and faster.
$standby->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
ok(poll_until(20, sub {
	$standby->safe_psql('postgres', 'SELECT pg_get_wal_replay_pause_state()') eq 'paused' }),
	'replay is paused on the standby');
$primary->safe_psql('postgres', q{INSERT INTO docs VALUES (5001, 'just written', NULL)});
my $lsn = $primary->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
($out, $err) = session_query($session,
	q{SELECT count(*) FROM raced.docs_slow_primary WHERE id = 5001});
is($out, '0', 'without min_lsn the stale standby wins and misses the write (the test can fail)')
	or diag($err);
$session->query_safe(qq{SET multiquery.min_lsn = '$lsn'});
for my $call (1 .. 3) {
	($out, $err) = session_query($session,
		q{SELECT title FROM raced.docs_slow_primary WHERE id = 5001});
	is($out, 'just written', "with multiquery.min_lsn, call $call sees the write") or diag($err);
}
($out, $err) = session_query($session, q{SELECT title FROM raced.docs_on_standby WHERE id = 5001});
is($out, '', 'a group of only the stale standby returns no stale row');
like($err, qr/no target was fresh enough.*\n.*mq_standby1: stale: replayed/,
	'it fails, saying the standby is stale');
$session->query_safe('RESET multiquery.min_lsn');
$standby->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
$primary->wait_for_catchup($standby);

# 4. A non-superuser: the PUBLIC user mappings have no password.
$primary->safe_psql('postgres', q{
	CREATE ROLE app LOGIN;
	GRANT USAGE ON SCHEMA raced TO app;
	GRANT SELECT ON raced.docs TO app;
	GRANT USAGE ON FOREIGN SERVER main_reads, mq_primary, mq_standby1 TO app;
	CREATE VIEW raced.docs_titles AS SELECT id, title FROM raced.docs;
	GRANT SELECT ON raced.docs_titles TO app;
});
my ($rc, $stdout, $stderr) = $primary->psql('postgres',
	q{SET ROLE app; SELECT count(*) FROM raced.docs WHERE id < 10});
isnt($rc, 0, 'a non-superuser without a password in its mapping cannot read');
like($stderr, qr/ERROR:  password is required/, "with race_query's and dblink's error");
unlike($stdout, qr/\d/, 'and gets no rows');
($rc, $stdout, $stderr) = $primary->psql('postgres',
	q{SET ROLE app; SELECT count(*) FROM raced.docs_titles WHERE id < 10});
is($stdout, '9', "through a superuser's view it reads with the view owner's mappings")
	or diag($stderr);

$session->quit;
done_testing();
