# Hostile table owners against the drain. A role that owns a table and may
# enqueue rows for it (or XADD to the stream) decides what an insert into its
# table runs: triggers, defaults, index expressions, rules, deferred
# constraints, locks. None of it may run with more rights than the owner has
# (before 0.3 it ran as the bootstrap superuser), and none of it may stall the
# stream for the other tables behind it: a failure that keeps coming back is
# isolated and parked as a dead letter within a bounded number of attempts.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = queue_node('primary', $redis, qq{
multiquery.drain_streams = 'hostile, replay'
multiquery.drain_max_attempts = 2
multiquery.drain_lock_timeout = '300ms'
multiquery.drain_statement_timeout = '2s'
multiquery.drain_trim = off
});
$node->safe_psql('postgres', q{
	CREATE ROLE mallory LOGIN;
	GRANT CREATE ON SCHEMA public TO mallory;
	GRANT EXECUTE ON FUNCTION multiquery.enqueue(regclass, jsonb, text) TO mallory;
	-- The innocent table that shares the stream: it must keep flowing. Its
	-- owner is an ordinary role, as the drain requires of a queue table.
	CREATE ROLE bystander;
	CREATE TABLE innocent (n int);
	ALTER TABLE innocent OWNER TO bystander;
	GRANT INSERT ON innocent TO mallory;
});

sub xadd {
	my ($table, $row, $stream) = @_;
	return $redis->cli('XADD', $stream // 'hostile', '*', 'table', $table, 'row', $row);
}

sub innocent_arrives {
	my ($n, $what, $stream) = @_;
	xadd('public.innocent', qq({"n": $n}), $stream);
	ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM innocent WHERE n = $n"),
		$what);
}

sub mallory_is_superuser {
	return $node->safe_psql('postgres', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'});
}

sub dead_letter {
	my ($table) = @_;
	return $node->safe_psql('postgres',
		qq{SELECT string_agg(sqlstate, ',' ORDER BY id) FROM multiquery.dead_letters WHERE payload[2] = '$table'});
}

# --- 1. Privilege escalation through the table's code ----------------------
# Each trick tries ALTER ROLE mallory SUPERUSER, directly and after SET ROLE
# or SET SESSION AUTHORIZATION to the bootstrap superuser, and records who
# it ran as.
$node->safe_psql('postgres', q{
	SET ROLE mallory;
	CREATE TABLE ran_as (how text, who text, escalated boolean);
	CREATE FUNCTION escalate(how text) RETURNS boolean LANGUAGE plpgsql AS $$
	DECLARE
		done boolean := true;
		become text;
	BEGIN
		BEGIN
			ALTER ROLE mallory SUPERUSER;
		EXCEPTION WHEN insufficient_privilege THEN
			done := false;
		END;
		-- The worker's session user is the bootstrap superuser, so SET ROLE
		-- and SET SESSION AUTHORIZATION would take any role, were they
		-- allowed in the insert's restricted operation.
		FOREACH become IN ARRAY ARRAY['SET ROLE %I', 'SET SESSION AUTHORIZATION %I'] LOOP
			BEGIN
				EXECUTE format(become, (SELECT rolname FROM pg_roles WHERE oid = 10));
				ALTER ROLE mallory SUPERUSER;
				done := true;
			EXCEPTION WHEN OTHERS THEN
				NULL;
			END;
		END LOOP;
		INSERT INTO ran_as VALUES (how, current_user, done);
		RETURN true;
	END $$;
	CREATE FUNCTION trigger_escalates() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM escalate('trigger');
		RETURN NEW;
	END $$;
	CREATE TABLE by_trigger (n int);
	CREATE TRIGGER t BEFORE INSERT ON by_trigger FOR EACH ROW EXECUTE FUNCTION trigger_escalates();
	CREATE TABLE by_default (n int, d boolean DEFAULT escalate('default'));
	CREATE TABLE by_check (n int CHECK (escalate('check')));
	-- An index expression's function claims IMMUTABLE; PostgreSQL believes it.
	CREATE FUNCTION escalate_immutable(n int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
	BEGIN
		PERFORM escalate('index');
		RETURN n;
	END $$;
	CREATE TABLE by_index (n int);
	CREATE INDEX ON by_index (escalate_immutable(n));
});

# Through enqueue(), as mallory, and through a raw XADD (anyone with Redis access).
$node->safe_psql('postgres', q{
	SET ROLE mallory;
	SELECT multiquery.enqueue('by_trigger', '{"n": 1}', 'hostile');
	SELECT multiquery.enqueue('by_default', '{"n": 1}', 'hostile');
});
xadd('public.by_check', '{"n": 1}');
xadd('public.by_index', '{"n": 1}');
innocent_arrives(1, 'the stream drains past the hostile tables');
is($node->safe_psql('postgres', 'SELECT count(*) FROM by_trigger')
	  . $node->safe_psql('postgres', 'SELECT count(*) FROM by_default')
	  . $node->safe_psql('postgres', 'SELECT count(*) FROM by_check')
	  . $node->safe_psql('postgres', 'SELECT count(*) FROM by_index'),
	'1111', 'each hostile table got its row');
is(mallory_is_superuser(), 'f', 'mallory did not become superuser through the drain');
is($node->safe_psql('postgres',
		q{SELECT string_agg(how || ':' || who || ':' || escalated, ' ' ORDER BY how) FROM ran_as}),
	'check:mallory:false default:mallory:false index:mallory:false trigger:mallory:false',
	'trigger, default, CHECK and index expression ran as the table owner; their ALTER ROLE failed');

# A superuser drain_role does not lift the table's code to superuser either.
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET multiquery.drain_role = 'postgres';
	SELECT pg_reload_conf();
});
sleep 1;
xadd('public.by_trigger', '{"n": 2}');
innocent_arrives(2, 'drained with a superuser drain_role');
is(mallory_is_superuser(), 'f', 'a superuser drain_role still runs the trigger as its owner');
is($node->safe_psql('postgres', q{SELECT who FROM ran_as WHERE how = 'trigger' ORDER BY ctid DESC LIMIT 1}),
	'mallory', 'the trigger ran as mallory');
$node->safe_psql('postgres', q{
	ALTER SYSTEM RESET multiquery.drain_role;
	SELECT pg_reload_conf();
});
sleep 1;

# A trigger's SET must not outlive its insert in the worker's session.
$node->safe_psql('postgres', q{
	SET ROLE mallory;
	CREATE FUNCTION trigger_sets() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM set_config('lock_timeout', '0', false);
		PERFORM set_config('search_path', 'mallory_was_here', false);
		RETURN NEW;
	END $$;
	CREATE TABLE sets (n int);
	CREATE TRIGGER t BEFORE INSERT ON sets FOR EACH ROW EXECUTE FUNCTION trigger_sets();
});
$node->safe_psql('postgres', q{
	CREATE TABLE observer (n int, path text DEFAULT current_setting('search_path'),
		lock_wait text DEFAULT current_setting('lock_timeout'));
	ALTER TABLE observer OWNER TO bystander;
});
xadd('public.sets', '{"n": 1}');
xadd('public.observer', '{"n": 1}');
innocent_arrives(3, 'drained past a trigger that SETs');
is($node->safe_psql('postgres', 'SELECT count(*) FROM sets'), '1', 'that row arrived');
# A search_path left behind would resolve the next table's unqualified names
# in mallory's schema, as that table's owner.
is($node->safe_psql('postgres', q{SELECT path <> 'mallory_was_here' AND lock_wait = '300ms' FROM observer}),
	't', "the next table's insert saw the worker's search_path and lock_timeout, not the trigger's");

# --- 2. Stalling the stream ------------------------------------------------
# An INSTEAD NOTHING rule: the insert does nothing, as its owner asked.
$node->safe_psql('postgres', q{
	SET ROLE mallory;
	CREATE TABLE ruled (n int);
	CREATE RULE nothing AS ON INSERT TO ruled DO INSTEAD NOTHING;
});
xadd('public.ruled', '{"n": 1}');
innocent_arrives(4, 'an INSTEAD NOTHING rule does not stall the stream');
is(dead_letter('public.ruled'), '', 'and its entry is no dead letter: the rule decided');
# (CopyFrom would skip the rule and insert the row: the table goes by INSERT.)
is($node->safe_psql('postgres', 'SELECT count(*) FROM ruled'), '0', 'and nothing was inserted');

# A trigger that always raises a transient SQLSTATE.
my $innocent = 100;
for my $code ('40001', '57014', '55P03', 'XX000') {
	my $table = 'raises_' . lc($code);
	$node->safe_psql('postgres', qq{
		SET ROLE mallory;
		CREATE FUNCTION f_$table() RETURNS trigger LANGUAGE plpgsql AS \$\$
		BEGIN
			RAISE EXCEPTION 'no' USING ERRCODE = '$code';
		END \$\$;
		CREATE TABLE $table (n int);
		CREATE TRIGGER t BEFORE INSERT ON $table FOR EACH ROW EXECUTE FUNCTION f_$table();
	});
	xadd("public.$table", '{"n": 1}');
	innocent_arrives($innocent++, "a trigger raising $code does not stall the stream");
	is(dead_letter("public.$table"), $code, "its entry is a dead letter with SQLSTATE $code");
}

# A lock held on the table by its owner, forever (the session stays open).
my $locker = $node->background_psql('postgres');
$locker->query_safe(q{SET ROLE mallory; CREATE TABLE locked (n int); BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE});
xadd('public.locked', '{"n": 1}');
innocent_arrives(200, 'a table locked forever does not stall the stream');
is(dead_letter('public.locked'), '55P03', 'its entry is a dead letter: lock timeout');
# The lock timeout's message names no table: the letter's detail does, and
# the letter says how often its batch was tried (drain_max_attempts, then alone).
is($node->safe_psql('postgres', q{SELECT attempts || ' | ' || coalesce(detail, 'NULL') || ' | ' || error
		FROM multiquery.dead_letters WHERE payload[2] = 'public.locked'}),
	'3 | The entry is for table public.locked. | canceling statement due to lock timeout',
	'its letter names the table and the attempts');

# A trigger that turns lock_timeout off and waits for that lock anyway, or sleeps.
$node->safe_psql('postgres', q{
	SET ROLE mallory;
	CREATE FUNCTION waits() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		SET LOCAL lock_timeout = 0;
		LOCK TABLE locked;
		RETURN NEW;
	END $$;
	CREATE TABLE waiting (n int);
	CREATE TRIGGER t BEFORE INSERT ON waiting FOR EACH ROW EXECUTE FUNCTION waits();
	CREATE FUNCTION sleeps() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM pg_sleep(3600);
		RETURN NEW;
	END $$;
	CREATE TABLE sleeping (n int);
	CREATE TRIGGER t BEFORE INSERT ON sleeping FOR EACH ROW EXECUTE FUNCTION sleeps();
});
xadd('public.waiting', '{"n": 1}');
xadd('public.sleeping', '{"n": 1}');
innocent_arrives(201, 'triggers that wait or sleep without end do not stall the stream');
is(dead_letter('public.waiting') . ' ' . dead_letter('public.sleeping'), '57014 57014',
	'their entries are dead letters: multiquery.drain_statement_timeout');
is($node->safe_psql('postgres', q{SELECT attempts || ' | ' || coalesce(detail, 'NULL') || ' | ' || error
		FROM multiquery.dead_letters WHERE payload[2] = 'public.waiting'}),
	'3 | The entry is for table public.waiting. | canceling statement due to statement timeout',
	'the statement timeout\'s letter names the table and the attempts');
$locker->query_safe('ROLLBACK');
$locker->quit;

# A deferred constraint trigger fails at commit: it must not fail the batch's
# commit (nor copy its error into a freed memory context) but its own entry.
$node->safe_psql('postgres', q{
	SET ROLE mallory;
	CREATE FUNCTION at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		RAISE EXCEPTION 'refused at commit' USING ERRCODE = '40001';
	END $$;
	CREATE TABLE deferred (n int);
	CREATE CONSTRAINT TRIGGER t AFTER INSERT ON deferred DEFERRABLE INITIALLY DEFERRED
		FOR EACH ROW EXECUTE FUNCTION at_commit();
	CREATE TABLE parent (id int PRIMARY KEY);
	CREATE TABLE child (parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);
	-- A deferred trigger would fire at COMMIT, as whoever commits: its table
	-- may not defer it past its own insert.
	CREATE FUNCTION escalate_later() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM escalate('deferred trigger');
		RETURN NULL;
	END $$;
	CREATE FUNCTION defer_all() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		SET CONSTRAINTS ALL DEFERRED;
		RETURN NEW;
	END $$;
	CREATE TABLE defers (n int);
	CREATE TRIGGER a_defer BEFORE INSERT ON defers FOR EACH ROW EXECUTE FUNCTION defer_all();
	CREATE CONSTRAINT TRIGGER b_later AFTER INSERT ON defers DEFERRABLE INITIALLY DEFERRED
		FOR EACH ROW EXECUTE FUNCTION escalate_later();
});
my $worker = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'");
xadd('public.deferred', '{"n": 1}');
xadd('public.child', '{"parent_id": 42}');
xadd('public.defers', '{"n": 1}');
innocent_arrives(300, 'deferred failures do not stall the stream');
is(dead_letter('public.deferred') . ' ' . dead_letter('public.child'), '40001 23503',
	'each deferred failure is its own entry\'s dead letter');
is(dead_letter('public.defers'), '42501', 'a trigger that defers past its insert is refused');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ran_as WHERE how = 'deferred trigger' AND who <> 'mallory'}),
	'0', 'no deferred trigger ran as anyone but the owner');
is($node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'multiquery drain'"),
	$worker, 'the same worker process goes on: nothing crashed');

# --- 3. Parking a dead letter cannot wedge the stream ----------------------
# After a reset of a stream's progress its entries come again (trimming is
# off here, so they are still in the stream): their dead letters are
# replaced, not a unique violation that stops the drain.
xadd('public.no_such_table', '{"n": 1}', 'replay');
innocent_arrives(400, 'a second stream drains', 'replay');
is(dead_letter('public.no_such_table'), '42P01', 'with a dead letter');
$node->safe_psql('postgres', q{DELETE FROM multiquery.drain_progress WHERE stream = 'replay'});
$redis->cli('XGROUP', 'SETID', 'replay', 'multiquery', '0');
innocent_arrives(401, 'after a progress reset and a replay it drains again', 'replay');
is(dead_letter('public.no_such_table'), '42P01', 'the replayed dead letter replaced the old one');
is($node->safe_psql('postgres', 'SELECT count(*) FROM innocent WHERE n = 400'), '2',
	'(the replay applied the stream again, as a reset asks)');

is(mallory_is_superuser(), 'f', 'and mallory is still no superuser');
is($node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'multiquery drain'}),
	'1', 'the worker runs');

$node->stop;
$redis->stop;
done_testing();
