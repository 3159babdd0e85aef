# table_diff and table_sync between two databases of one real cluster, the
# source read through postgres_fdw: every common column type (NULLs, an enum
# the foreign table declares text, a renamed column) in a caller session with
# other TimeZone, DateStyle, IntervalStyle, extra_float_digits and
# bytea_output; composite keys with collations; generated and identity
# columns; deletes => false; a table differing in a few rows fetches a few
# ranges; each bad input is refused and changes nothing; a non-superuser
# needs a password and every privilege; a cancelled sync resumes; writes the
# application makes during a sync are never reverted, and a sync after they
# stop leaves the tables equal.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my $node = PostgreSQL::Test::Cluster->new('move');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
listen_addresses = '127.0.0.1'
});
# The non-superuser authenticates with a password over TCP; everyone else is trusted.
my $hba = slurp_file($node->data_dir . '/pg_hba.conf');
open my $fh, '>', $node->data_dir . '/pg_hba.conf' or die;
print $fh "host all mover 127.0.0.1/32 scram-sha-256\n$hba";
close $fh;
$node->start;
my $port = $node->port;

$node->safe_psql('postgres', 'CREATE DATABASE olddb');
$node->safe_psql('olddb', q{
	ALTER DATABASE olddb SET TimeZone = 'Pacific/Auckland';
	ALTER DATABASE olddb SET DateStyle = 'German';
	CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
	CREATE TABLE sessions (id int PRIMARY KEY, name text, at timestamptz, ts timestamp,
		amount numeric(12,3), big bigint, f float8, b bool, data bytea, j jsonb, u uuid,
		arr text[], m mood, iv interval, d date, renamed_remote text);
	INSERT INTO sessions
	SELECT g, 'n' || g || CASE WHEN g % 5 = 0 THEN E' "q\\\\uote\' ,{}' ELSE '' END,
	       '2024-03-10 12:00:00+00'::timestamptz + g * interval '37 minutes',
	       '2001-02-03 04:05:06'::timestamp + g * interval '1 day',
	       g / 7.0, g::bigint * 1000000007, CASE WHEN g % 11 = 0 THEN 'NaN'::float8
	       WHEN g % 13 = 0 THEN '-Infinity' ELSE g / 3.0 END, g % 2 = 0,
	       decode(md5(g::text), 'hex'), jsonb_build_object('g', g, 'a', jsonb_build_array(1.50, 'x')),
	       md5(g::text)::uuid, ARRAY['a' || g, NULL, ''], (ARRAY['sad','ok','happy']::mood[])[g % 3 + 1],
	       make_interval(days => g, secs => -g * 1.5), date '2024-01-01' + g, 'r' || g
	  FROM generate_series(1, 5000) g;
	UPDATE sessions SET name = NULL, at = NULL, ts = NULL, amount = NULL, big = NULL, f = NULL,
		b = NULL, data = NULL, j = NULL, u = NULL, arr = NULL, m = NULL, iv = NULL, d = NULL,
		renamed_remote = NULL WHERE id % 97 = 0;
	UPDATE sessions SET name = '' WHERE id % 89 = 0;

	CREATE TABLE tenants (tenant text COLLATE "C", seq int, payload text, PRIMARY KEY (tenant, seq));
	INSERT INTO tenants SELECT t, s, t || s
	  FROM unnest(ARRAY['a', 'B', 'b', 'A', 'ä', 'Z', '', ' z', 'é', 'E']) t, generate_series(1, 40) s;

	CREATE TABLE events (id bigint PRIMARY KEY, v int, doubled int);
	INSERT INTO events SELECT g, g, 2 * g FROM generate_series(1, 300) g;

	CREATE TABLE small (id int PRIMARY KEY, v text);
	INSERT INTO small SELECT g, 'v' || g FROM generate_series(1, 50) g;
	CREATE TABLE dups (id int, v text);
	INSERT INTO dups VALUES (1, 'a'), (2, 'b'), (2, 'c');
	CREATE TABLE secret (id int PRIMARY KEY, v text);
	INSERT INTO secret VALUES (1, 'a');
	ALTER TABLE secret ENABLE ROW LEVEL SECURITY;
	CREATE ROLE mover LOGIN PASSWORD 'secret-pw';
	GRANT SELECT ON ALL TABLES IN SCHEMA public TO mover;
});

$node->safe_psql('postgres', qq{
	CREATE EXTENSION multiquery;
	CREATE EXTENSION postgres_fdw;
	CREATE SERVER old_srv FOREIGN DATA WRAPPER postgres_fdw
		OPTIONS (host '127.0.0.1', port '$port', dbname 'olddb');
	CREATE USER MAPPING FOR CURRENT_USER SERVER old_srv;
	CREATE SCHEMA old_db;
	CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
	CREATE TABLE sessions (id int PRIMARY KEY, name text COLLATE "und-x-icu", at timestamptz,
		ts timestamp, amount numeric(12,3), big bigint, f float8, b bool, data bytea, j jsonb,
		u uuid, arr text[], m mood, iv interval, d date, renamed text);
	-- The enum travels as text; a column has another name remotely.
	CREATE FOREIGN TABLE old_db.sessions (id int, name text, at timestamptz, ts timestamp,
		amount numeric(12,3), big bigint, f float8, b bool, data bytea, j jsonb, u uuid,
		arr text[], m text, iv interval, d date, renamed text OPTIONS (column_name 'renamed_remote'))
		SERVER old_srv OPTIONS (schema_name 'public', table_name 'sessions');

	CREATE TABLE tenants (tenant text COLLATE "en-x-icu", seq int, payload text,
		PRIMARY KEY (tenant, seq));
	CREATE FOREIGN TABLE old_db.tenants (tenant text, seq int, payload text)
		SERVER old_srv OPTIONS (schema_name 'public', table_name 'tenants');

	CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int,
		doubled int GENERATED ALWAYS AS (v * 2) STORED);
	CREATE FOREIGN TABLE old_db.events (id bigint, v int, doubled int)
		SERVER old_srv OPTIONS (schema_name 'public', table_name 'events');

	CREATE TABLE small (id int PRIMARY KEY, v text);
	CREATE FOREIGN TABLE old_db.small (id int, v text)
		SERVER old_srv OPTIONS (schema_name 'public', table_name 'small');
	CREATE FOREIGN TABLE old_db.dups (id int, v text)
		SERVER old_srv OPTIONS (schema_name 'public', table_name 'dups');
	CREATE TABLE secret (id int PRIMARY KEY, v text);
	CREATE FOREIGN TABLE old_db.secret (id int, v text)
		SERVER old_srv OPTIONS (schema_name 'public', table_name 'secret');
});

# The caller's session formats everything differently from the canonical text.
my $odd_session = q{SET TimeZone = 'Asia/Kolkata'; SET DateStyle = 'SQL, DMY';
	SET IntervalStyle = 'sql_standard'; SET extra_float_digits = 0; SET bytea_output = 'escape';
	SET client_min_messages = debug1;};
my $sessions_source = q{SELECT id, name, at, ts, amount, big, f, b, data, j, u, arr, m::mood, iv, d, renamed
	FROM old_db.sessions};

# Runs SQL on the target database; (stdout, stderr, exit code).
sub run_sql {
	my ($sql, $db) = @_;
	my ($out, $err);
	my $rc = $node->psql($db // 'postgres', $sql, stdout => \$out, stderr => \$err);
	return ($out, $err, $rc);
}

# EXCEPT both ways: the rows only one side has.
sub except_both {
	my ($target, $source) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT (SELECT count(*) FROM (TABLE $target EXCEPT $source) a) || '/' ||
		       (SELECT count(*) FROM ($source EXCEPT TABLE $target) b)});
}

sub diff_rows {
	my ($target, $source, $settings) = @_;
	return $node->safe_psql('postgres', ($settings // '') .
		"SELECT x FROM (SELECT change || ' ' || key::text AS x FROM multiquery.table_diff('$target', '$source')) s ORDER BY x COLLATE \"C\"");
}

# ---- every column type, from an empty target
my ($out, $err) = run_sql($odd_session .
	q{SELECT change, count(*) FROM multiquery.table_diff('sessions', 'old_db.sessions') GROUP BY 1});
is($out, 'missing|5000', 'table_diff: an empty target misses every row');
run_sql($odd_session . q{CALL multiquery.table_sync('sessions', 'old_db.sessions')});
is(except_both('public.sessions', $sessions_source), '0/0',
	'table_sync copies every type exactly (EXCEPT both ways)');
is(diff_rows('sessions', 'old_db.sessions', $odd_session), '', 'table_diff then finds nothing');
my $specials = q{SELECT count(*) FILTER (WHERE name IS NULL) || '/' || count(*) FILTER (WHERE name = '')
	|| '/' || count(*) FILTER (WHERE f = 'NaN') || '/' || count(*) FILTER (WHERE arr[2] IS NULL)};
is($node->safe_psql('postgres', "$specials FROM sessions"), $node->safe_psql('postgres', "$specials FROM old_db.sessions"),
	'NULLs, empty strings, NaN and NULL array elements arrive as such');

# ---- 0.1% of the rows differ: found exactly, fetching a few ranges
$node->safe_psql('olddb', q{
	UPDATE sessions SET name = 'changed' WHERE id IN (7, 2500);
	UPDATE sessions SET at = at + interval '1 microsecond' WHERE id = 4000;
	UPDATE sessions SET f = 'Infinity' WHERE id = 11;
	DELETE FROM sessions WHERE id = 3000;
	INSERT INTO sessions (id, name) VALUES (6001, 'new'), (-5, NULL);
});
$node->safe_psql('postgres', q{
	DELETE FROM sessions WHERE id = 1234;
	INSERT INTO sessions (id) VALUES (7777);
	UPDATE sessions SET arr = ARRAY['a'] WHERE id = 99;
});
my $expected = join "\n", sort map { $_ } (
	'changed {"id": 7}', 'changed {"id": 11}', 'changed {"id": 99}', 'changed {"id": 2500}',
	'changed {"id": 4000}', 'extra {"id": 3000}', 'extra {"id": 7777}', 'missing {"id": -5}',
	'missing {"id": 1234}', 'missing {"id": 6001}');
($out, $err) = run_sql($odd_session .
	q{SELECT x FROM (SELECT change || ' ' || key::text AS x FROM multiquery.table_diff('sessions', 'old_db.sessions')) s ORDER BY x COLLATE "C"});
is($out, $expected, 'table_diff names exactly the rows that differ');
my ($fetched, $ranges, $total) = $err =~ /table_diff fetched (\d+) source rows in (\d+) of (\d+) ranges/;
ok(defined $fetched && $fetched <= 250, "a few ranges are fetched ($fetched of 5000 rows, $ranges of $total ranges)");

# ---- deletes => false leaves extra rows; a full sync then removes them
run_sql(q{CALL multiquery.table_sync('sessions', 'old_db.sessions', deletes => false)});
is(diff_rows('sessions', 'old_db.sessions'), "extra {\"id\": 3000}\nextra {\"id\": 7777}",
	'deletes => false: only the extra rows are left');
run_sql(q{CALL multiquery.table_sync('sessions', 'old_db.sessions')});
is(except_both('public.sessions', $sessions_source), '0/0', 'a full sync leaves the tables equal');

# ---- composite keys, text in different collations on each side
run_sql(q{CALL multiquery.table_sync('tenants', 'old_db.tenants')});
is(except_both('public.tenants', 'SELECT * FROM old_db.tenants'), '0/0',
	'composite key with collations: copied');
$node->safe_psql('olddb', q{UPDATE tenants SET payload = 'x' WHERE tenant IN ('B', 'ä') AND seq = 3;
	DELETE FROM tenants WHERE tenant = '' AND seq = 40; INSERT INTO tenants VALUES ('Ä', 1, 'new')});
is(diff_rows('tenants', 'old_db.tenants'),
	join("\n", 'changed {"seq": 3, "tenant": "B"}', 'changed {"seq": 3, "tenant": "ä"}',
		'extra {"seq": 40, "tenant": ""}', 'missing {"seq": 1, "tenant": "Ä"}'),
	'composite key: the differences, with both key members');
run_sql(q{CALL multiquery.table_sync('tenants', 'old_db.tenants')});
is(except_both('public.tenants', 'SELECT * FROM old_db.tenants'), '0/0', 'and synced');

# ---- names that need quoting, locally and remotely, travel as names
$node->safe_psql('olddb', q{CREATE TABLE "we""ird tab" ("key; drop" int PRIMARY KEY, "Val'ue" text);
	INSERT INTO "we""ird tab" VALUES (1, E'a\\b'), (2, 'c''d')});
$node->safe_psql('postgres', q{CREATE TABLE "we""ird tab" ("key; drop" int PRIMARY KEY, "Val'ue" text);
	CREATE FOREIGN TABLE old_db."we""ird" ("key; drop" int, "Val'ue" text) SERVER old_srv
		OPTIONS (schema_name 'public', table_name 'we"ird tab')});
run_sql(q{CALL multiquery.table_sync('"we""ird tab"', 'old_db."we""ird"')});
is(except_both('public."we""ird tab"', 'SELECT * FROM old_db."we""ird"'), '0/0',
	'quoted table and column names, and values with quotes and backslashes');

# ---- generated and identity columns, sequences set past the copied values
($out, $err) = run_sql(q{CALL multiquery.table_sync('events', 'old_db.events')});
is($err, '', 'identity ALWAYS and generated columns: the sync succeeds');
is(except_both('public.events', 'SELECT * FROM old_db.events'), '0/0',
	'generated columns compared equal (computed by the target)');
is($node->safe_psql('postgres', 'INSERT INTO events (v) VALUES (1) RETURNING id > 300'), 't',
	'the identity sequence is past the copied ids');

# ---- bad input: a clear error, nothing changed
$node->safe_psql('olddb', q{CREATE TABLE plain (id int, v text); CREATE TABLE typed (id int PRIMARY KEY, v text)});
$node->safe_psql('postgres', q{
	CREATE TABLE nopk (id int, v text);
	CREATE TABLE names (id int PRIMARY KEY, w text);
	CREATE TABLE typed (id int PRIMARY KEY, v int);
	CREATE TABLE keytyped (id bigint PRIMARY KEY, v text);
	CREATE VIEW small_view AS SELECT * FROM small;
	CREATE FOREIGN DATA WRAPPER other_fdw;
	CREATE SERVER other_srv FOREIGN DATA WRAPPER other_fdw;
	CREATE FOREIGN TABLE other_t (id int, v text) SERVER other_srv;
	CREATE TABLE local_source (id int, v text);
	INSERT INTO local_source VALUES (1, 'x');
});
my @bad = (
	[ q{'nopk', 'old_db.small'}, qr/table "nopk" has no primary key/, 'no primary key' ],
	[ q{'names', 'old_db.small'}, qr/column "w" of table "names" has no counterpart/, 'a column name differs' ],
	[ q{'typed', 'old_db.small'}, qr/column "v" has type integer in table "typed" but text/, 'a column type differs' ],
	[ q{'keytyped', 'old_db.small'}, qr/column "id" has type bigint/, 'the key type differs' ],
	[ q{'small', 'local_source'}, qr/"local_source" is not a foreign table/, 'a source that is not a foreign table' ],
	[ q{'small_view', 'old_db.small'}, qr/"small_view" is not a table/, 'a target that is a view' ],
	[ q{'small', 'other_t'}, qr/is not on a multiquery or postgres_fdw server/, 'a foreign table of another wrapper' ],
	[ q{'small', 'old_db.dups'}, qr/has more than one row with key \{"id": 2\}/, 'duplicate keys in the source' ],
	[ q{'secret', 'old_db.secret'}, qr/the source's relation public.secret has row-level security/, 'row-level security on the source' ],
);
for my $case (@bad) {
	my ($args, $pattern, $what) = @$case;
	(undef, $err) = run_sql("CALL multiquery.table_sync($args)");
	like($err, $pattern, "table_sync refuses $what");
	(undef, $err) = run_sql("SELECT * FROM multiquery.table_diff($args)");
	like($err, $pattern, "table_diff refuses $what");
}
is($node->safe_psql('postgres', 'SELECT (SELECT count(*) FROM small) + (SELECT count(*) FROM nopk) +
	(SELECT count(*) FROM secret)'), '0', 'and nothing was written');
$node->safe_psql('postgres', 'ALTER TABLE small ENABLE ROW LEVEL SECURITY');
(undef, $err) = run_sql(q{CALL multiquery.table_sync('small', 'old_db.small')});
like($err, qr/table "small" has row-level security enabled/, 'row-level security on the target is refused');
$node->safe_psql('postgres', 'ALTER TABLE small DISABLE ROW LEVEL SECURITY');
(undef, $err) = run_sql(q{BEGIN; CALL multiquery.table_sync('small', 'old_db.small'); COMMIT});
like($err, qr/ERROR:  multiquery.table_sync cannot run inside a transaction block/, 'CALL in a transaction block is refused');
(undef, $err) = run_sql(q{CALL multiquery.table_sync('small', 'old_db.small', max_rows_per_sec => -1)});
like($err, qr/max_rows_per_sec must not be negative/, 'a negative rate is refused');
is($node->safe_psql('postgres', 'SELECT count(*) FROM small'), '0', 'still nothing written');

# ---- a non-superuser: EXECUTE, a password, and every privilege, as itself
$node->safe_psql('postgres', q{
	GRANT USAGE ON SCHEMA old_db TO mover;
	GRANT USAGE ON FOREIGN SERVER old_srv TO mover;
	GRANT SELECT ON old_db.small TO mover;
	CREATE USER MAPPING FOR mover SERVER old_srv OPTIONS (user 'mover');
	CREATE TABLE written_by (who name, at_id int);
	GRANT INSERT ON written_by TO mover;
	CREATE FUNCTION note_writer() RETURNS trigger LANGUAGE plpgsql AS
		$$BEGIN INSERT INTO written_by VALUES (current_user, NEW.id); RETURN NEW; END$$;
	CREATE TRIGGER small_writer BEFORE INSERT ON small FOR EACH ROW EXECUTE FUNCTION note_writer();
});
my $as_mover = 'SET ROLE mover; ';
(undef, $err) = run_sql($as_mover . q{CALL multiquery.table_sync('small', 'old_db.small')});
like($err, qr/permission denied for procedure table_sync/, 'a role without EXECUTE cannot call table_sync');
(undef, $err) = run_sql($as_mover . q{SELECT * FROM multiquery.table_diff('small', 'old_db.small')});
like($err, qr/permission denied for function table_diff/, 'nor table_diff');
$node->safe_psql('postgres', q{
	GRANT EXECUTE ON FUNCTION multiquery.table_diff(regclass, regclass) TO mover;
	GRANT EXECUTE ON PROCEDURE multiquery.table_sync(regclass, regclass, integer, boolean) TO mover;
});
(undef, $err) = run_sql($as_mover . q{SELECT * FROM multiquery.table_diff('small', 'old_db.small')});
like($err, qr/permission denied for table small/, 'SELECT on the target is needed');
$node->safe_psql('postgres', 'GRANT SELECT ON small TO mover');
(undef, $err) = run_sql($as_mover . q{SELECT * FROM multiquery.table_diff('small', 'old_db.small')});
like($err, qr/password is required/, 'a non-superuser without a password in its user mapping is refused');
$node->safe_psql('postgres', q{ALTER USER MAPPING FOR mover SERVER old_srv OPTIONS (ADD password 'secret-pw')});
($out, $err) = run_sql($as_mover . q{SELECT count(*) FROM multiquery.table_diff('small', 'old_db.small')});
is($out, '50', 'with a password, it compares');
(undef, $err) = run_sql($as_mover . q{CALL multiquery.table_sync('small', 'old_db.small')});
like($err, qr/permission denied for table small.*\n.*INSERT and UPDATE/, 'a sync needs INSERT and UPDATE');
$node->safe_psql('postgres', 'GRANT INSERT, UPDATE ON small TO mover');
(undef, $err) = run_sql($as_mover . q{CALL multiquery.table_sync('small', 'old_db.small')});
like($err, qr/DELETE on the target/, 'and DELETE, unless deletes => false');
is($node->safe_psql('postgres', 'SELECT count(*) FROM small'), '0', 'nothing written so far');
(undef, $err) = run_sql($as_mover . q{CALL multiquery.table_sync('small', 'old_db.small', deletes => false)});
is($err, '', 'with every privilege it needs, it syncs');
is($node->safe_psql('postgres', q{SELECT string_agg(DISTINCT who, ',') || ' ' || count(*) FROM written_by}),
	'mover 50', "the target's triggers ran, as the caller");
# A password in the mapping is not enough: the server must ask for it (here
# over the Unix socket, where every role is trusted).
my $socket = $node->host;
$node->safe_psql('postgres', qq{
	CREATE SERVER trusting_srv FOREIGN DATA WRAPPER postgres_fdw
		OPTIONS (host '$socket', port '$port', dbname 'olddb');
	GRANT USAGE ON FOREIGN SERVER trusting_srv TO mover;
	CREATE USER MAPPING FOR mover SERVER trusting_srv OPTIONS (user 'mover', password 'secret-pw');
	CREATE FOREIGN TABLE old_db.small_trusted (id int, v text) SERVER trusting_srv
		OPTIONS (schema_name 'public', table_name 'small');
	GRANT SELECT ON old_db.small_trusted TO mover;
});
(undef, $err) = run_sql($as_mover . q{SELECT * FROM multiquery.table_diff('small', 'old_db.small_trusted')});
like($err, qr/password is required\n.*does not request a password/,
	"a non-superuser is refused when the source's server does not ask for the password");
$node->safe_psql('postgres', q{REVOKE SELECT ON old_db.small FROM mover; GRANT SELECT (id) ON old_db.small TO mover});
(undef, $err) = run_sql($as_mover . q{SELECT * FROM multiquery.table_diff('small', 'old_db.small')});
like($err, qr/permission denied for table old_db.small/, 'SELECT on every column of the source is needed');

# ---- writes by the application during a sync are not reverted
$node->safe_psql('olddb', q{UPDATE small SET v = 'source-old' WHERE id = 5});
$node->safe_psql('postgres', q{UPDATE small SET v = 'target-old' WHERE id = 5});
my $app = $node->background_psql('postgres', on_error_stop => 0);
$app->query_safe(q{BEGIN; UPDATE small SET v = 'app-new' WHERE id = 5});
my $sync = $node->background_psql('postgres', on_error_stop => 0);
$sync->query_safe('SET client_min_messages = debug1');
$sync->query_until(qr/started/, "\\echo started\nCALL multiquery.table_sync('small', 'old_db.small');\n");
ok(poll_until(20, sub {
	$node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity
		WHERE wait_event_type = 'Lock' AND query LIKE 'CALL multiquery.table_sync%'}) eq '1' }),
	'the sync waits for the row the application is writing');
$node->safe_psql('olddb', q{UPDATE small SET v = 'app-new' WHERE id = 5});
$app->query_safe('COMMIT');
($out, $err) = session_query($sync, 'SELECT 1');
like($sync->{stderr} . $err, qr/0 rows inserted, 0 updated, 0 deleted, 1 skipped/,
	'the sync skips the row that changed after it compared it');
is($node->safe_psql('postgres', 'SELECT v FROM small WHERE id = 5'), 'app-new', 'the newer row stays');
$app->quit;
$sync->quit;

# ---- a cancelled sync resumes from what is already equal
$node->safe_psql('olddb', q{CREATE TABLE big (id int PRIMARY KEY, v text);
	INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 4000) g});
$node->safe_psql('postgres', q{CREATE TABLE big (id int PRIMARY KEY, v text);
	CREATE FOREIGN TABLE old_db.big (id int, v text) SERVER old_srv
		OPTIONS (schema_name 'public', table_name 'big')});
$sync = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $sync->query_safe('SELECT pg_backend_pid()');
$sync->query_until(qr/started/,
	"\\echo started\nCALL multiquery.table_sync('big', 'old_db.big', max_rows_per_sec => 1000);\n");
ok(poll_until(30, sub {
	$node->safe_psql('postgres', "SELECT chunks_done >= 2 FROM multiquery.table_sync_progress WHERE pid = $pid") eq 't' }),
	'table_sync_progress shows the sync advancing');
is($node->safe_psql('postgres', "SELECT datname || ' ' || target || ' ' || source || ' ' ||
		(phase IN ('applying', 'throttled')) || ' ' || (chunks_total >= 40)
		FROM multiquery.table_sync_progress WHERE pid = $pid"),
	'postgres big old_db.big true true', 'with its database, tables, phase and chunks');
$node->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
ok(pump_until($sync->{run}, $sync->{timeout}, \$sync->{stderr}, qr/canceling statement due to user request/),
	'pg_cancel_backend stops the sync');
my $copied = $node->safe_psql('postgres', 'SELECT count(*) FROM big');
ok($copied > 0 && $copied < 4000, "the chunks committed before the cancel stay ($copied rows)");
is($node->safe_psql('postgres', "SELECT count(*) FROM multiquery.table_sync_progress WHERE pid = $pid"), '0',
	'its progress row is gone');
($out, $err) = session_query($sync, "SET client_min_messages = debug1; CALL multiquery.table_sync('big', 'old_db.big')");
my $remaining = 4000 - $copied;
like($err, qr/table_sync: $remaining rows inserted, 0 updated, 0 deleted/, 'called again, it copies only the rest');
is(except_both('public.big', 'SELECT * FROM old_db.big'), '0/0', 'and the tables are equal');
$sync->quit;

# ---- a terminated sync leaves no progress row behind
$node->safe_psql('postgres', 'TRUNCATE big');
$sync = $node->background_psql('postgres', on_error_stop => 0);
$pid = $sync->query_safe('SELECT pg_backend_pid()');
$sync->query_until(qr/started/,
	"\\echo started\nCALL multiquery.table_sync('big', 'old_db.big', max_rows_per_sec => 1000);\n");
ok(poll_until(30, sub {
	$node->safe_psql('postgres', "SELECT chunks_done >= 1 FROM multiquery.table_sync_progress WHERE pid = $pid") eq 't' }),
	'another sync runs');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok(poll_until(20, sub {
	$node->safe_psql('postgres', "SELECT count(*) FROM multiquery.table_sync_progress") eq '0' }),
	'pg_terminate_backend: its progress row goes with the backend');
$sync->{run}->kill_kill;

# ---- the application writes to both tables while a sync runs
$node->safe_psql('postgres', 'TRUNCATE big');
$sync = $node->background_psql('postgres', on_error_stop => 0);
$sync->query_until(qr/started/,
	"\\echo started\nCALL multiquery.table_sync('big', 'old_db.big', max_rows_per_sec => 2000);\n\\echo finished\n");
for my $i (1 .. 40) {
	my ($new, $changed, $gone) = (10000 + $i, 1 + ($i * 97) % 4000, 1 + ($i * 61) % 4000);
	# The new table may have the row already (the sync copied it first).
	my $dual = qq{INSERT INTO big VALUES ($new, 'app$i') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;
		UPDATE big SET v = 'app-changed$i' WHERE id = $changed;
		DELETE FROM big WHERE id = $gone;};
	$node->safe_psql('olddb', $dual);
	$node->safe_psql('postgres', $dual);
}
ok(pump_until($sync->{run}, $sync->{timeout}, \$sync->{stdout}, qr/finished/), 'the sync finishes');
($out, $err) = run_sql(q{CALL multiquery.table_sync('big', 'old_db.big')});
is($err, '', 'a sync after the writes stop succeeds');
is(except_both('public.big', 'SELECT * FROM old_db.big'), '0/0', 'and leaves the tables equal (EXCEPT both ways)');
is(diff_rows('big', 'old_db.big'), '', 'table_diff finds nothing');
$sync->quit;

ok(!$node->log_contains('terminated by signal'), 'no backend crashed');
$node->stop;
done_testing();
