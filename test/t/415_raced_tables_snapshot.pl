# One snapshot per statement for racing foreign tables, on a real primary
# and streaming standby. Every remote view below reports which server
# answered (on_standby), and some sleep on one server only, so that two scans
# of one query prefer different servers. With replay paused on the standby, a
# parent and its child are inserted on the primary: a query that mixed the
# two servers would return the child without its parent, a combination no
# single server ever held. With multiquery.race_snapshot = 'scan' (every
# scan a race of its own) it does, which shows each check can fail.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
$primary->safe_psql('postgres', q{
	CREATE TABLE parent (id int PRIMARY KEY, name text);
	CREATE TABLE child (id int PRIMARY KEY, parent_id int, note text);
	INSERT INTO parent SELECT g, 'parent ' || g FROM generate_series(1, 20) g;
	INSERT INTO child SELECT g, g % 20 + 1, 'child ' || g FROM generate_series(1, 40) g;
	-- Which server answered, and the snapshot it read.
	CREATE VIEW parent_where AS SELECT p.*, pg_is_in_recovery() AS on_standby FROM parent p;
	CREATE VIEW child_where AS SELECT c.*, pg_is_in_recovery() AS on_standby FROM child c;
	-- Slow on one server (once per query, an InitPlan): the other answers first.
	CREATE VIEW parent_slow_primary AS SELECT * FROM parent_where
		WHERE (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 0 ELSE 0.5 END)::text) IS NOT NULL;
	CREATE VIEW child_slow_primary AS SELECT * FROM child_where
		WHERE (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 0 ELSE 0.5 END)::text) IS NOT NULL;
	CREATE VIEW child_slow_standby AS SELECT * FROM child_where
		WHERE (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 0.5 ELSE 0 END)::text) IS NOT NULL;
	CREATE SERVER main_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_primary, mq_standby1');
	CREATE SCHEMA raced;
	CREATE FOREIGN TABLE raced.parent (id int, name text, on_standby bool) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'parent_where');
	CREATE FOREIGN TABLE raced.child (id int, parent_id int, note text, on_standby bool)
		SERVER main_reads OPTIONS (schema_name 'public', table_name 'child_where');
	CREATE FOREIGN TABLE raced.parent_slow_primary (id int, name text, on_standby bool)
		SERVER main_reads OPTIONS (schema_name 'public', table_name 'parent_slow_primary');
	CREATE FOREIGN TABLE raced.child_slow_primary (id int, parent_id int, note text,
		on_standby bool) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'child_slow_primary');
	CREATE FOREIGN TABLE raced.child_slow_standby (id int, parent_id int, note text,
		on_standby bool) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'child_slow_standby');
	CREATE TABLE wanted (k int);
	INSERT INTO wanted VALUES (1), (2), (3);
	ANALYZE wanted;
});
$primary->wait_for_catchup($standby);

my $session = $primary->background_psql('postgres', on_error_stop => 0);
$session->query_safe(q{SET multiquery.race_timeout = '30s'; SET multiquery.race_cancel_grace = 0});
$session->query_safe(q{\set VERBOSITY verbose});

# The multiquery sessions on $node inside a transaction.
my $in_transaction = sub {
	my ($node) = @_;
	return $node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'multiquery' AND state LIKE 'idle in transaction%'});
};
my $none_in_transaction = sub {
	my $none = poll_until(10, sub {
		$in_transaction->($primary) eq '0' && $in_transaction->($standby) eq '0' });
	for my $node ($none ? () : ($primary, $standby)) {
		diag($node->name . ': ' . $node->safe_psql('postgres', q{
			SELECT pid, state, query FROM pg_stat_activity WHERE application_name = 'multiquery'}));
	}
	diag(join ' ', session_query($session, 'SELECT * FROM multiquery.race_connections()'))
		unless $none;
	return $none;
};
# Runs $sql (with race_snapshot = 'scan') until its rows satisfy $check, at
# most five times: whether a race goes one way may take a warm connection.
my $eventually = sub {
	my ($sql, $check) = @_;
	$session->query_safe(q{SET multiquery.race_snapshot = 'scan'});
	my ($rows, $error);
	for (1 .. 5) {
		($rows, $error) = session_query($session, $sql);
		last if $check->($rows);
	}
	$session->query_safe(q{RESET multiquery.race_snapshot});
	return ($rows, $error);
};

# 1. Replay paused; a parent and its child written on the primary only.
$standby->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
ok(poll_until(20, sub {
	$standby->safe_psql('postgres', 'SELECT pg_get_wal_replay_pause_state()') eq 'paused' }),
	'replay is paused on the standby');
$primary->safe_psql('postgres', q{
	INSERT INTO parent VALUES (100, 'new parent');
	INSERT INTO child VALUES (1000, 100, 'new child');
});

# The child (fast on the primary) left-joined to its parent (fast on the
# standby): the child without its parent is a mixed answer. The parent's
# subquery (kept apart by OFFSET 0) keeps the join local, two raced scans;
# the plain join of the two tables is pushed down, one remote query.
my $join = q{SELECT c.id, c.on_standby, p.id, p.on_standby
	FROM raced.child_slow_standby c
	LEFT JOIN (SELECT * FROM raced.parent_slow_primary OFFSET 0) p ON p.id = c.parent_id
	WHERE c.id = 1000};
my $pushed_join = q{SELECT c.id, c.on_standby, p.id, p.on_standby
	FROM raced.child_slow_standby c LEFT JOIN raced.parent_slow_primary p ON p.id = c.parent_id
	WHERE c.id = 1000};
like($session->query_safe("EXPLAIN (COSTS OFF) $join"), qr/Join.*Foreign Scan.*Foreign Scan/s,
	'the join with a subquery is joined locally');
unlike($session->query_safe("EXPLAIN (COSTS OFF) $pushed_join"), qr/Foreign Scan.*Foreign Scan/s,
	'the plain join is one foreign scan');
my $mixed = sub {
	my ($rows) = @_;
	return $rows =~ /^1000\|[tf]\|\|/m || $rows =~ /^\d+\|t\|\d+\|f$/m
		|| $rows =~ /^\d+\|f\|\d+\|t$/m;
};
my ($out, $err) = $eventually->($join, $mixed);
ok($mixed->($out), "with race_snapshot = 'scan' the join mixes the servers (the test can fail)")
	or diag("rows: $out $err");
for my $call (1 .. 3) {
	($out, $err) = session_query($session, $join);
	is($err, '', "join, call $call: no error");
	ok(!$mixed->($out), "join, call $call: one server's rows") or diag("rows: $out");
}
ok($out eq '1000|f|100|f' || $out eq '', "the answer is the primary's or the paused standby's")
	or diag("rows: $out");
($out, $err) = session_query($session, $pushed_join);
ok($err eq '' && !$mixed->($out), "the pushed join: one server's rows") or diag("rows: $out $err");

# The same as a prepared statement, custom and generic plans.
$session->query_safe(q{PREPARE joined(int) AS SELECT c.id, c.on_standby, p.id, p.on_standby
	FROM raced.child_slow_standby c
	LEFT JOIN (SELECT * FROM raced.parent_slow_primary OFFSET 0) p ON p.id = c.parent_id
	WHERE c.id = $1});
for my $mode ('force_custom_plan', 'force_generic_plan') {
	$session->query_safe("SET plan_cache_mode = $mode");
	for my $call (1 .. 2) {
		($out, $err) = session_query($session, q{EXECUTE joined(1000)});
		ok($err eq '' && !$mixed->($out), "prepared join ($mode), call $call: one server's rows")
			or diag("rows: $out $err");
	}
}
$session->query_safe(q{RESET plan_cache_mode; DEALLOCATE joined});
ok($none_in_transaction->(), 'after the statements no remote session is left in a transaction');

# 2. Rescans of a parameterized raced scan stay on the server the first
# race picked: the child lookups are won by the primary, so the parent
# lookups (faster on the standby) go to the primary too.
# Each LATERAL subquery (kept apart by OFFSET 0) is scanned again for each
# outer row, its raced scan parameterized by it: for each wanted key, the
# child is looked up, then its parent.
my $lookups_of = sub {
	my ($child) = @_;
	return qq{SELECT w.k, c.on_standby, p.on_standby FROM wanted w,
	LATERAL (SELECT * FROM raced.$child c WHERE c.id = w.k OFFSET 0) c,
	LATERAL (SELECT * FROM raced.parent_slow_primary p WHERE p.id = c.parent_id OFFSET 0) p};
};
my $lookups = $lookups_of->('child_slow_standby') . ' ORDER BY w.k';
($out, $err) = session_query($session, "EXPLAIN (COSTS OFF) $lookups");
like($out, qr/Nested Loop.*Nested Loop.*Seq Scan on wanted.*Foreign Scan on child_slow_standby.*Foreign Scan on parent_slow_primary/s,
	'the lookups are nested loops: wanted, then child, then parent') or diag($out);
($out, $err) = $eventually->($lookups, sub { $_[0] eq "1|f|t\n2|f|t\n3|f|t" });
is($out, "1|f|t\n2|f|t\n3|f|t", "with race_snapshot = 'scan' each lookup races (the test can fail)")
	or diag($err);
($out, $err) = session_query($session, $lookups);
is($out, "1|f|f\n2|f|f\n3|f|f", 'every lookup of the statement reads the primary it picked first')
	or diag($err);

# 3. REPEATABLE READ: one snapshot for the whole transaction.
$session->query_safe(q{BEGIN ISOLATION LEVEL REPEATABLE READ});
($out, $err) = session_query($session,
	q{SELECT id, on_standby FROM raced.child_slow_standby WHERE id = 1000});
is($out, '1000|f', 'RR: the first read is the primary\'s') or diag($err);
is($in_transaction->($primary), '1', 'RR: the primary keeps the transaction open between statements');
$primary->safe_psql('postgres', q{INSERT INTO parent VALUES (101, 'later parent')});
($out, $err) = session_query($session,
	q{SELECT id, on_standby FROM raced.parent_slow_primary WHERE id IN (100, 101) ORDER BY id});
is($out, '100|f', 'RR: a later statement reads the same snapshot on the same server') or diag($err);
$session->query_safe('COMMIT');
ok($none_in_transaction->(), 'RR: the remote transaction ends with the commit');
($out, $err) = session_query($session,
	q{SELECT id, on_standby FROM raced.parent_slow_primary WHERE id = 100});
is($out, '', 'READ COMMITTED: each statement races anew (the standby, paused, wins)') or diag($err);

# Savepoints: an error inside the snapshot, rolled back to a savepoint,
# leaves the snapshot readable; an abort ends it.
$session->query_safe(q{BEGIN ISOLATION LEVEL REPEATABLE READ});
($out, $err) = session_query($session,
	q{SELECT id, on_standby FROM raced.child_slow_standby WHERE id = 1000});
is($out, '1000|f', 'RR with savepoints: pinned to the primary') or diag($err);
$primary->safe_psql('postgres', q{INSERT INTO parent VALUES (102, 'parent after the snapshot')});
$session->query_safe('SAVEPOINT s');
($out, $err) = session_query($session,
	q{SELECT count(*) FROM raced.parent WHERE 1 / (id - id) = 1});
like($err, qr/division by zero/, 'a remote error inside the snapshot is raised');
$session->query_safe('ROLLBACK TO SAVEPOINT s');
($out, $err) = session_query($session,
	q{SELECT id, on_standby FROM raced.parent_slow_primary WHERE id >= 100 ORDER BY id});
is($out, "100|f\n101|f", 'after ROLLBACK TO SAVEPOINT the snapshot reads on, unchanged')
	or diag($err);
($out, $err) = session_query($session, q{SELECT 1 / 0});
$session->query_safe('ROLLBACK');
ok($none_in_transaction->(), 'RR: the remote transaction ends with the abort');

# READ COMMITTED: a remote error in a later read of the statement fails the
# statement, and its remote transaction ends with it.
($out, $err) = session_query($session, q{SELECT c.id, p.id FROM raced.child c,
	LATERAL (SELECT * FROM raced.parent p WHERE p.id = c.parent_id AND 1 / (p.id - p.id) = 1
		OFFSET 0) p});
like($err, qr/division by zero/, 'a remote error in a later read of the statement is raised');
ok($none_in_transaction->(), 'the statement\'s remote transaction ends with it');

$standby->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
$primary->wait_for_catchup($standby);

# 4. The connection is reused afterwards, outside any transaction.
my $pids = q{SELECT string_agg(server_pid::text, ',' ORDER BY server_pid)
	FROM multiquery.race_connections()};
($out, $err) = session_query($session, q{SELECT count(*) FROM raced.parent});
my ($before) = session_query($session, $pids);
($out, $err) = session_query($session, q{SELECT count(*) FROM raced.parent});
is($out, '23', 'the next read answers') or diag($err);
my ($after) = session_query($session, $pids);
is($after, $before, 'on the same connections');

# 5. A cursor reads one snapshot from DECLARE to CLOSE, while other
# statements of its transaction read their own.
$session->query_safe('BEGIN; DECLARE cur CURSOR FOR ' . $lookups_of->('child_slow_standby'));
($out, $err) = session_query($session, 'FETCH 1 FROM cur');
is($out, '1|f|f', 'cursor: the first row, from the primary') or diag($err);
($out, $err) = session_query($session,
	q{SELECT on_standby, count(*) FROM raced.parent_slow_primary GROUP BY 1});
is($out, 't|23', 'a statement beside the cursor races on its own') or diag($err);
($out, $err) = session_query($session, 'FETCH ALL FROM cur');
is($out, "2|f|f\n3|f|f", 'cursor: the later rows, from the same snapshot') or diag($err);
$session->query_safe('CLOSE cur');
ok(poll_until(10, sub { $in_transaction->($primary) eq '0' }),
	'CLOSE ends the cursor\'s remote transaction');
$session->query_safe('COMMIT');

# 6. The pinned server lost mid-statement: SQLSTATE 40001 and a hint, never
# another server's rows. Its session is terminated between two FETCHes.
$session->query_safe('BEGIN; DECLARE cur CURSOR FOR ' . $lookups_of->('child_slow_standby'));
($out, $err) = session_query($session, 'FETCH 1 FROM cur');
is($out, '1|f|f', 'the cursor pinned the primary') or diag($err);
$primary->safe_psql('postgres', q{
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE application_name = 'multiquery' AND state LIKE 'idle in transaction%'});
($out, $err) = session_query($session, 'FETCH ALL FROM cur');
is($out, '', 'no row from another server');
like($err, qr/ERROR:  40001: could not finish raced read of foreign table "raced\.\w+": the race target that holds its snapshot failed/,
	'SQLSTATE 40001, naming the read');
like($err, qr/HINT:  .*retry the statement/, 'with a hint to retry');
$session->query_safe('ROLLBACK');
($out, $err) = session_query($session, $lookups);
is($out, "1|f|f\n2|f|f\n3|f|f", 'the next statement reads again') or diag($err);

# The pinned server hung (SIGSTOP) mid-statement: 40001 after race_timeout.
$session->query_safe('BEGIN; DECLARE cur CURSOR FOR ' . $lookups_of->('child_slow_primary'));
($out, $err) = session_query($session, 'FETCH 1 FROM cur');
is($out, '1|t|t', 'the cursor pinned the standby') or diag($err);
$session->query_safe(q{SET multiquery.race_timeout = '1s'});
freeze_node($standby);
my $started = time;
($out, $err) = session_query($session, 'FETCH ALL FROM cur');
my $ms = (time - $started) * 1000;
thaw_node($standby);
is($out, '', 'hung pinned server: no row from another server');
like($err, qr/ERROR:  40001: .*the race target that holds its snapshot failed/,
	'hung pinned server: SQLSTATE 40001');
cmp_ok($ms, '<', 10000, 'after race_timeout (1 s), not later than 10 s');
$session->query_safe('ROLLBACK; RESET multiquery.race_timeout');
$session->query_safe(q{SET multiquery.race_timeout = '30s'});
ok(poll_until(30, sub {
	my ($rows) = session_query($session, q{SELECT count(*) FROM raced.parent});
	$rows eq '23' }), 'the thawed standby takes part again');

# 7. A fault present when the first race starts costs nothing: a hung
# standby, a join of two raced tables answered by the primary.
freeze_node($standby);
$started = time;
($out, $err) = session_query($session, $lookups);
$ms = (time - $started) * 1000;
thaw_node($standby);
is($out, "1|f|f\n2|f|f\n3|f|f", 'hung standby at the start: the primary answers the whole join')
	or diag($err);
cmp_ok($ms, '<', 5000, 'without waiting for the standby (bound 5 s; race_timeout 30 s)');

# 8. PL/pgSQL: each SQL statement of a function is a statement of its own (a
# loop's query keeps its snapshot while the statements inside it read
# theirs); an error caught by an exception block leaves the snapshots
# readable, under READ COMMITTED and REPEATABLE READ.
$primary->safe_psql('postgres', q{
	CREATE FUNCTION read_in_loop() RETURNS text LANGUAGE plpgsql AS $$
	DECLARE
		r record;
		result text := '';
	BEGIN
		FOR r IN SELECT id FROM raced.child WHERE id <= 3 ORDER BY id LOOP
			result := result || r.id || ':' || (SELECT p.name FROM raced.parent p WHERE p.id = r.id) || ' ';
		END LOOP;
		BEGIN
			PERFORM count(*) FROM raced.parent WHERE 1 / (id - id) = 1;
		EXCEPTION WHEN division_by_zero THEN
			result := result || 'caught ';
		END;
		RETURN result || (SELECT count(*) FROM raced.parent);
	END $$;
});
for my $isolation ('READ COMMITTED', 'REPEATABLE READ') {
	($out, $err) = session_query($session,
		"BEGIN ISOLATION LEVEL $isolation; SELECT read_in_loop(); SELECT read_in_loop(); COMMIT;");
	is($out, "1:parent 1 2:parent 2 3:parent 3 caught 23
1:parent 1 2:parent 2 3:parent 3 caught 23",
		"a function's loop, lookups and caught error ($isolation)") or diag($err);
}
ok($none_in_transaction->(), 'at the end no remote session is left in a transaction');

$session->quit;
done_testing();
