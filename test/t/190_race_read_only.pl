# Nothing sent through race_query can write, and no session state a query
# leaves behind reaches the next race on the cached connection. Targets are
# the primary and the standby, connected to as an ordinary role ("app"), as an
# application's would be; the caller tries every way out of a read-only
# session it can think of, and after each the primary must hold no row.
# Then the same through a proxy that drops the startup options and hides
# default_transaction_read_only (a pooler, or a server before 14): the
# session default there is read-write, and still nothing is written.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;
use MultiQuery::StripProxy;

my ($primary, $standby) = race_cluster(1);
$primary->safe_psql('postgres', q{
	CREATE ROLE app LOGIN;
	CREATE TABLE written (x int);
	GRANT SELECT, INSERT ON written TO app;
	-- Turns the session default off, commits, and writes in the read-write
	-- transaction that follows; INOUT, so that CALL returns a row.
	CREATE PROCEDURE escape(INOUT n int) LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM set_config('default_transaction_read_only', 'off', false);
		COMMIT;
		INSERT INTO written VALUES (n);
	END $$;
	CREATE FUNCTION write_row(n int) RETURNS int LANGUAGE sql AS
		'INSERT INTO written VALUES (n) RETURNING x';
});
$primary->wait_for_catchup($standby);

my $target = sub { "host=127.0.0.1 port=$_[0] dbname=postgres user=app" };
my $primary_target = $target->($primary->port);
my $both = join(',', map { qq{"$_"} } $primary_target, $target->($standby->port));
my $proxied_target = $target->(start_strip_proxy($primary->port));

# One session throughout, so that each race finds the connections the
# previous ones left in the cache.
my $session = $primary->background_psql('postgres', on_error_stop => 0);

# race($targets, $query, $columns): race_query's output and error.
sub race {
	my ($targets, $query, $columns) = @_;
	$query =~ s/'/''/g;
	return session_query($session,
		"SELECT * FROM multiquery.race_query('{$targets}', '$query') AS t($columns)");
}

# refused($targets, $query, $what, $error): the race fails (with $error when
# given) and the primary holds no row (any found are removed, so that each
# case is judged on its own).
sub refused {
	my ($targets, $query, $what, $error) = @_;
	my ($out, $err) = race($targets, $query, 'x text');
	like($err, $error // qr/ERROR/, "$what: race_query refuses it") or diag("output: $out");
	is($primary->safe_psql('postgres',
			'WITH gone AS (DELETE FROM written RETURNING x) SELECT count(*) FROM gone'),
		'0', "$what: no row written on the primary");
}

my $do_block = q{DO $$ BEGIN SET default_transaction_read_only = off; COMMIT;
	INSERT INTO written VALUES (1); END $$};
my $cte = 'WITH w AS (INSERT INTO written VALUES (3) RETURNING x) SELECT x FROM w';

# A DO block or a procedure that commits.
refused(qq{"$primary_target"}, $do_block, 'DO block that commits, primary',
	qr/invalid transaction termination/);
refused($both, $do_block, 'DO block that commits, both targets');
refused(qq{"$primary_target"}, 'CALL escape(2)', 'procedure that commits, primary',
	qr/invalid transaction termination/);
refused($both, 'CALL escape(2)', 'procedure that commits, both targets');

# The session default turned off by one race, a write tried by the next.
for my $change (
	q{SELECT set_config('default_transaction_read_only', 'off', false)},
	'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
	'SET default_transaction_read_only = off',
	'RESET default_transaction_read_only')
{
	race($both, $change, 'x text');
	refused($both, $cte, "writable CTE after \"$change\"", qr/read-only transaction/);
	refused($both, 'SELECT write_row(4)', "writing function after \"$change\"",
		qr/read-only transaction/);
	my ($read_only) = race(qq{"$primary_target"}, 'SHOW transaction_read_only', 'x text');
	is($read_only, 'on', "after \"$change\" the next race's transaction is read-only");
}

# Session state does not outlive its race.
race(qq{"$primary_target"}, 'PREPARE leak AS SELECT 42', 'x int');
my ($out, $err) = race(qq{"$primary_target"}, 'EXECUTE leak', 'x int');
like($err, qr/prepared statement "leak" does not exist/,
	'a statement PREPAREd by one race is gone in the next') or diag("output: $out");
race(qq{"$primary_target"}, 'LISTEN leak', 'x int');
($out) = race(qq{"$primary_target"}, 'SELECT count(*) FROM pg_listening_channels()', 'n int');
is($out, '0', 'a LISTEN of one race does not listen in the next');
race(qq{"$primary_target"}, 'DECLARE leak CURSOR WITH HOLD FOR SELECT 1', 'x int');
($out, $err) = race(qq{"$primary_target"}, 'FETCH ALL FROM leak', 'x int');
like($err, qr/cursor "leak" does not exist/,
	'a WITH HOLD cursor of one race is gone in the next') or diag("output: $out");

# A query cancelled inside its read-only block (the standby sleeps, the
# primary wins) leaves the block aborted until the ROLLBACK that follows it:
# the next race drains through that ROLLBACK and its sync and reuses the
# same remote backend, idle and read-only.
my $standby_target = $target->($standby->port);
for my $probe ('', 'min_lsn 0/0') {
	my $args = $probe eq '' ? '' : q{, min_lsn => '0/0'};
	my $pid_query = qq{SELECT * FROM multiquery.race_query('{"$standby_target"}',
		'SELECT pg_backend_pid()' $args) AS t(pid int)};
	my ($before) = session_query($session, $pid_query);
	my ($winner) = session_query($session, qq{
		SELECT * FROM multiquery.race_query('{$both}',
			'SELECT pg_is_in_recovery() FROM pg_sleep(CASE WHEN pg_is_in_recovery() THEN 30 ELSE 0 END)'
			$args) AS t(r bool)});
	is($winner, 'f', "cancel ($probe): the primary won, the standby's query was cancelled");
	my ($after) = session_query($session, $pid_query);
	is($after, $before, "cancel ($probe): the next race reuses the drained connection");
	is($standby->safe_psql('postgres',
			"SELECT state FROM pg_stat_activity WHERE pid = $before"),
		'idle', "cancel ($probe): which is idle, outside any transaction");
}

# Through the proxy the session default is read-write and unreported.
($out) = race(qq{"$proxied_target"}, 'SHOW default_transaction_read_only', 'x text');
is($out, 'off', 'through the proxy the startup option is gone: the session default is off');
refused(qq{"$proxied_target"}, $cte, 'writable CTE through the proxy', qr/read-only transaction/);
refused(qq{"$proxied_target"}, 'SELECT write_row(5)', 'writing function through the proxy',
	qr/read-only transaction/);
refused(qq{"$proxied_target"}, q{DO $$ BEGIN INSERT INTO written VALUES (6); END $$},
	'DO block through the proxy');
refused(qq{"$proxied_target"}, 'CALL escape(7)', 'procedure through the proxy');
($out) = race(qq{"$proxied_target"}, 'SHOW transaction_read_only', 'x text');
is($out, 'on', 'through the proxy the race still runs in a read-only transaction');

# And after all that, the cached connections still answer plain reads.
($out, $err) = race($both, 'SELECT 1', 'x int');
is($out, '1', 'a plain race still answers') or diag($err);
($out, $err) = race(qq{"$proxied_target"}, 'SELECT 1', 'x int');
is($out, '1', 'a plain race through the proxy still answers') or diag($err);

$session->quit;
done_testing();
