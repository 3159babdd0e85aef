# What a raced read means, whatever stands between the local query and the
# remote rows: a remote role whose search_path puts hostile operators and
# functions first; local and remote DateStyle, IntervalStyle and
# extra_float_digits; collations that differ between the foreign table's
# declaration and the remote column; system columns; a remote enum read as
# text; and errors, which must say which foreign table and which target.
#
# The targets are this database's primary and standby, so the remote table
# is also a local one: each raced read is compared with the same read of the
# local table (or of a local table or view declared as the foreign table is),
# or with the behaviour decided for it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
my ($primary_port, $standby_port) = ($primary->port, $standby->port);
$primary->safe_psql('postgres', qq{
	CREATE SERVER main_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_primary, mq_standby1');
	CREATE SCHEMA raced;
	-- The same two servers, read as remote_reader, a role whose settings the
	-- sections below make hostile.
	CREATE ROLE remote_reader LOGIN;
	CREATE SERVER reader_primary FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$primary_port', dbname 'postgres');
	CREATE SERVER reader_standby FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$standby_port', dbname 'postgres');
	CREATE USER MAPPING FOR PUBLIC SERVER reader_primary OPTIONS (user 'remote_reader');
	CREATE USER MAPPING FOR PUBLIC SERVER reader_standby OPTIONS (user 'remote_reader');
	CREATE SERVER reader_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'reader_primary, reader_standby');
});

# Runs $sql after $settings in a session of its own; (exit code, stdout, stderr).
sub run {
	my ($settings, $sql) = @_;
	my $separator = $settings =~ /^\\/ ? "\n" : ";\n";
	return $primary->psql('postgres', "$settings$separator$sql", on_error_stop => 1);
}

# $sql run on $node as remote_reader itself, as the remote sessions are.
sub as_remote_reader {
	my ($node, $sql) = @_;
	return $node->safe_psql('postgres', $sql,
		connstr => $node->connstr('postgres') . ' user=remote_reader');
}

# The raced read returns what the oracle read returns, in the same settings.
sub same_rows {
	my ($what, $settings, $raced_sql, $oracle_sql) = @_;
	my ($rc, $expected, $err) = run($settings, $oracle_sql);
	if ($rc != 0) {
		fail("$what: the oracle answers");
		diag($err);
		return 0;
	}
	my ($raced_rc, $got, $raced_err) = run($settings, $raced_sql);
	my $ok = is($got, $expected, $what);
	diag("exit code $raced_rc: $raced_err") if !$ok && $raced_err ne '';
	return $ok;
}

# Replaces every {T} of $sql by the raced table and by the oracle.
sub same_as {
	my ($what, $settings, $sql, $raced, $oracle) = @_;
	(my $raced_sql = $sql) =~ s/\{T\}/$raced/g;
	(my $oracle_sql = $sql) =~ s/\{T\}/$oracle/g;
	return same_rows($what, $settings, $raced_sql, $oracle_sql);
}

sub remote_sql {
	my ($settings, $sql) = @_;
	my ($rc, $plan, $err) = run($settings, "EXPLAIN (VERBOSE, COSTS OFF) $sql");
	my ($remote) = $plan =~ /Remote SQL: (.*)/;
	return $remote // "(no Remote SQL: $err)";
}

# ---------------------------------------------------------------------------
# 1. A hostile remote search_path: schema evil, first in remote_reader's
# search_path, has an = for integers and one for text that are always true,
# and a lower() that returns what the query looks for. Only objects of
# pg_catalog, named so, may decide what the remote query means.
# ---------------------------------------------------------------------------
$primary->safe_psql('postgres', q{
	CREATE SCHEMA evil;
	GRANT USAGE ON SCHEMA evil TO PUBLIC;
	CREATE FUNCTION evil.int_eq(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT true';
	CREATE OPERATOR evil.= (LEFTARG = int, RIGHTARG = int, FUNCTION = evil.int_eq);
	CREATE FUNCTION evil.text_eq(text, text) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT true';
	CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_eq);
	CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT 'title 4'$$;
	ALTER ROLE remote_reader SET search_path = evil, pg_catalog, public;
	CREATE TABLE sp_docs (id int PRIMARY KEY, title text);
	INSERT INTO sp_docs SELECT g, 'title ' || g FROM generate_series(1, 5) g;
	GRANT SELECT ON sp_docs TO remote_reader;
	CREATE FOREIGN TABLE raced.sp_docs (id int, title text) SERVER reader_reads
		OPTIONS (schema_name 'public', table_name 'sp_docs');
	CREATE TABLE sp_wanted (id int);
	INSERT INTO sp_wanted VALUES (2), (4);
	ANALYZE sp_wanted;
});
$primary->wait_for_catchup($standby);
for my $node ($primary, $standby) {
	is(as_remote_reader($node, 'SELECT count(*) FROM sp_docs WHERE id = 2'), '5',
		'on the ' . $node->name . ', remote_reader\'s search_path chooses evil.= for an unqualified =');
}

same_as('search_path: WHERE id = 2 returns exactly one row', '',
	'SELECT id, title FROM {T} WHERE id = 2', 'raced.sp_docs', 'sp_docs');
same_as('search_path: WHERE title = text', '',
	q{SELECT id, title FROM {T} WHERE title = 'title 3'}, 'raced.sp_docs', 'sp_docs');
same_as('search_path: WHERE lower(title) = text', '',
	q{SELECT id, title FROM {T} WHERE lower(title) = 'title 3'}, 'raced.sp_docs', 'sp_docs');
same_as('search_path: WHERE id IN (...)', '',
	'SELECT id, title FROM {T} WHERE id IN (2, 4) ORDER BY id', 'raced.sp_docs', 'sp_docs');
same_as('search_path: ORDER BY ... LIMIT with a condition', '',
	q{SELECT id, title FROM {T} WHERE title = 'title 5' ORDER BY title LIMIT 3},
	'raced.sp_docs', 'sp_docs');
same_as('search_path: a prepared statement\'s $1, custom and generic plans', '', q{
	PREPARE q(int) AS SELECT id, title FROM {T} WHERE id = $1;
	EXECUTE q(2); EXECUTE q(2); EXECUTE q(3); EXECUTE q(2); EXECUTE q(2); EXECUTE q(5); EXECUTE q(2);
	SET plan_cache_mode = force_generic_plan;
	EXECUTE q(4);}, 'raced.sp_docs', 'sp_docs');
same_as('search_path: a join looking the raced table up by key', '',
	'SELECT w.id, d.title FROM sp_wanted w JOIN {T} d ON d.id = w.id ORDER BY w.id',
	'raced.sp_docs', 'sp_docs');
like(remote_sql('', 'SELECT id, title FROM raced.sp_docs WHERE id = 2'),
	qr/\bid OPERATOR\(pg_catalog\.=\) /, 'EXPLAIN VERBOSE: the remote = is OPERATOR(pg_catalog.=)');
like(remote_sql('', q{SELECT id FROM raced.sp_docs WHERE lower(title) = 'x'}),
	qr/pg_catalog\.lower\(.*\bOPERATOR\(pg_catalog\.=\)/,
	'EXPLAIN VERBOSE: lower and = are named with their schema');
like(remote_sql('SET enable_hashjoin = off; SET enable_mergejoin = off',
		'SELECT w.id, d.title FROM sp_wanted w JOIN raced.sp_docs d ON d.id = w.id'),
	qr/OPERATOR\(pg_catalog\.=\)/, 'EXPLAIN VERBOSE: so is a parameterized lookup\'s =');
$primary->safe_psql('postgres', 'ALTER ROLE remote_reader RESET search_path');

# ---------------------------------------------------------------------------
# 2. Formats. The local session's DateStyle, IntervalStyle and
# extra_float_digits must not change the constants and parameters sent, and
# the remote role's must not change the values read back. In SQL, DMY
# '01/02/2024' is the 1st of February; in sql_standard '-1 2:00:00' is minus
# one day and two hours; with extra_float_digits = -10 a float8 prints with
# five digits.
# ---------------------------------------------------------------------------
$primary->safe_psql('postgres', q{
	CREATE TABLE fmt (id int, d date, i interval, f float8, ts timestamptz);
	INSERT INTO fmt VALUES
		(1, '2024-02-01', '-1 days -02:00:00', 0.123456789, '2024-02-01 10:00:00+00'),
		(2, '2024-01-02', '-1 days +02:00:00', 0.1234567891, '2024-01-02 10:00:00+00'),
		(3, '2024-12-31', '1 day 03:00:00', 1e-300, '2024-12-31 23:59:59.5+00');
	GRANT SELECT ON fmt TO remote_reader;
	CREATE FOREIGN TABLE raced.fmt (id int, d date, i interval, f float8, ts timestamptz)
		SERVER main_reads OPTIONS (schema_name 'public', table_name 'fmt');
	CREATE FOREIGN TABLE raced.fmt_reader (id int, d date, i interval, f float8, ts timestamptz)
		SERVER reader_reads OPTIONS (schema_name 'public', table_name 'fmt');
});
$primary->wait_for_catchup($standby);

my $dmy = q{SET DateStyle = 'SQL, DMY'};
same_as('DateStyle SQL, DMY: WHERE d = \'01/02/2024\' is the 1st of February', $dmy,
	q{SELECT id, d FROM {T} WHERE d = '01/02/2024'}, 'raced.fmt', 'fmt');
same_as('DateStyle SQL, DMY: dates and timestamps read back', $dmy,
	'SELECT id, d, ts FROM {T} ORDER BY id', 'raced.fmt', 'fmt');
same_as('DateStyle SQL, DMY: WHERE ts = a timestamp in that style', $dmy,
	q{SELECT id FROM {T} WHERE ts = '01/02/2024 10:00:00+00'}, 'raced.fmt', 'fmt');
same_as('DateStyle SQL, DMY: a prepared date $1, custom then generic plans', $dmy, q{
	PREPARE qd(date) AS SELECT id, d FROM {T} WHERE d = $1;
	EXECUTE qd('01/02/2024'); EXECUTE qd('01/02/2024'); EXECUTE qd('02/01/2024');
	EXECUTE qd('01/02/2024'); EXECUTE qd('31/12/2024'); EXECUTE qd('01/02/2024');
	EXECUTE qd('01/02/2024'); EXECUTE qd('02/01/2024');}, 'raced.fmt', 'fmt');
same_as('DateStyle SQL, DMY: a prepared date $1 with plan_cache_mode force_generic_plan',
	"$dmy; SET plan_cache_mode = force_generic_plan", q{
	PREPARE qd(date) AS SELECT id, d FROM {T} WHERE d = $1;
	EXECUTE qd('01/02/2024'); EXECUTE qd('02/01/2024'); EXECUTE qd('31/12/2024');},
	'raced.fmt', 'fmt');
same_as('DateStyle SQL, DMY: a date from the outer side of a parameterized join',
	"$dmy; SET enable_hashjoin = off; SET enable_mergejoin = off", q{
	SELECT w.d, f.id FROM (VALUES ('01/02/2024'::date), ('31/12/2024'::date)) w(d)
	JOIN {T} f ON f.d = w.d ORDER BY f.id}, 'raced.fmt', 'fmt');

my $few_digits = 'SET extra_float_digits = -10';
same_as('extra_float_digits -10: WHERE f = 0.123456789 finds its row', $few_digits,
	'SELECT id, f FROM {T} WHERE f = 0.123456789', 'raced.fmt', 'fmt');
same_as('extra_float_digits -10: a prepared float8 $1', $few_digits, q{
	PREPARE qf(float8) AS SELECT id FROM {T} WHERE f = $1;
	EXECUTE qf(0.123456789); EXECUTE qf(0.1234567891); EXECUTE qf(1e-300);
	EXECUTE qf(0.123456789); EXECUTE qf(0.123456789); EXECUTE qf(0.123456789);
	EXECUTE qf(0.1234567891);}, 'raced.fmt', 'fmt');

my $sql_standard = 'SET IntervalStyle = sql_standard';
same_as('IntervalStyle sql_standard: \'-1 2:00:00\' matches exactly its row', $sql_standard,
	q{SELECT id, i FROM {T} WHERE i = '-1 2:00:00'::interval}, 'raced.fmt', 'fmt');
same_as('IntervalStyle sql_standard: a prepared interval $1', $sql_standard, q{
	PREPARE qi(interval) AS SELECT id FROM {T} WHERE i = $1;
	EXECUTE qi('-1 2:00:00'); EXECUTE qi('-1 +2:00:00'); EXECUTE qi('-1 2:00:00');
	EXECUTE qi('-1 2:00:00'); EXECUTE qi('-1 2:00:00'); EXECUTE qi('-1 2:00:00');
	EXECUTE qi('-1 2:00:00');}, 'raced.fmt', 'fmt');
same_as('IntervalStyle sql_standard: intervals read back', $sql_standard,
	'SELECT id, i FROM {T} ORDER BY id', 'raced.fmt', 'fmt');

# The remote role's settings: whatever the remote session prints its values
# in, the local rows are the same.
$primary->safe_psql('postgres', q{
	ALTER ROLE remote_reader SET DateStyle = 'SQL, DMY';
	ALTER ROLE remote_reader SET IntervalStyle = 'sql_standard';
	ALTER ROLE remote_reader SET extra_float_digits = -10;
});
$primary->wait_for_catchup($standby);
for my $node ($primary, $standby) {
	is(as_remote_reader($node, 'SELECT current_setting(\'DateStyle\') || \' / \' ||
			current_setting(\'IntervalStyle\') || \' / \' || current_setting(\'extra_float_digits\')'),
		'SQL, DMY / sql_standard / -10',
		'on the ' . $node->name . ', remote_reader\'s sessions have its settings');
}

for my $local ('', $dmy, "$sql_standard; $few_digits") {
	my $in = $local eq '' ? 'local defaults' : "local $local";
	same_as("remote role's formats ($in): every value read back", $local,
		'SELECT id, d, i, f, ts FROM {T} ORDER BY id', 'raced.fmt_reader', 'fmt');
}
same_as('remote role\'s formats: WHERE d = a date', '',
	q{SELECT id, d FROM {T} WHERE d = '2024-02-01'}, 'raced.fmt_reader', 'fmt');
same_as('remote role\'s formats: WHERE i = an interval', '',
	q{SELECT id, i FROM {T} WHERE i = '-1 days -02:00:00'}, 'raced.fmt_reader', 'fmt');
same_as('remote role\'s formats: WHERE f = a float8', '',
	'SELECT id, f FROM {T} WHERE f = 0.1234567891', 'raced.fmt_reader', 'fmt');
same_as('remote role\'s formats: a prepared date $1 and interval $2', '', q{
	PREPARE qr(date, interval) AS SELECT id FROM {T} WHERE d = $1 OR i = $2 ORDER BY id;
	EXECUTE qr('2024-02-01', '1 day 03:00:00'); EXECUTE qr('2024-01-02', '-1 days -02:00:00');
	EXECUTE qr('2024-02-01', '1 day 03:00:00'); EXECUTE qr('2024-02-01', '1 day 03:00:00');
	EXECUTE qr('2024-02-01', '1 day 03:00:00'); EXECUTE qr('2024-02-01', '1 day 03:00:00');
	EXECUTE qr('2024-02-01', '1 day 03:00:00');}, 'raced.fmt_reader', 'fmt');

# race_query over the same servers returns what a direct read returns.
my $race_query = q{SELECT * FROM multiquery.race_query(%s,
	'SELECT id, d, i, f, ts FROM public.fmt ORDER BY id')
	AS t(id int, d date, i interval, f float8, ts timestamptz)};
for my $targets (q{'{reader_primary,reader_standby}'}, q{'{reader_reads}'}, q{'{reader_standby}'}) {
	for my $local ('', $dmy, "$sql_standard; $few_digits") {
		my $in = $local eq '' ? 'local defaults' : "local $local";
		same_rows("race_query($targets) under the remote role's formats ($in)", $local,
			sprintf($race_query, $targets), 'SELECT id, d, i, f, ts FROM fmt ORDER BY id');
	}
}
$primary->safe_psql('postgres', q{
	ALTER ROLE remote_reader RESET DateStyle;
	ALTER ROLE remote_reader RESET IntervalStyle;
	ALTER ROLE remote_reader RESET extra_float_digits;
});

# ---------------------------------------------------------------------------
# 3. Collations. The foreign table's declaration decides how its column
# compares and sorts, as a local table declared the same way would; the
# remote column's own collation must not. The remote column has a collation
# that orders differently from the database's default: "C" when the default
# is not C, otherwise a linguistic one.
# ---------------------------------------------------------------------------
my $c_like = $primary->safe_psql('postgres', q{SELECT 'B' < 'a' COLLATE "default"}) eq 't';
my $utf8 = $primary->safe_psql('postgres',
	q{SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()})
  eq 'UTF8';
my $other;
if (!$c_like) {
	$other = 'C';
} else {
	for my $candidate ('en-x-icu', 'und-x-icu', 'en_US', 'en_US.utf8', 'de_DE', 'de_DE.utf8') {
		my ($rc, $out) = $primary->psql('postgres',
			qq{SELECT 'B' < 'a' COLLATE "$candidate" FROM pg_collation
			   WHERE collname = '$candidate' AND collnamespace = 'pg_catalog'::regnamespace});
		if ($rc == 0 && $out eq 'f') {
			$other = $candidate;
			last;
		}
	}
}
SKIP: {
	skip 'no collation here orders differently from the default one', 1 unless defined $other;
	note("database default collation: "
		  . $primary->safe_psql('postgres', 'SELECT datcollate FROM pg_database WHERE datname = current_database()')
		  . "; the other collation: $other");
	my $values = join ', ', map { "($_->[0], '$_->[1]')" }
	  grep { $utf8 || $_->[1] !~ /[^\x00-\x7f]/ }
	  ([1, 'a'], [2, 'B'], [3, 'b'], [4, 'A'], [5, '_x'], [6, "\x{e9}"], [7, 'Z'], [8, 'z'], [9, 'aa']);
	utf8::encode($values);
	$primary->safe_psql('postgres', qq{
		-- The remote tables: one column of the other collation, one of the default.
		CREATE TABLE coll_other (id int, t text COLLATE "$other");
		INSERT INTO coll_other VALUES $values;
		CREATE TABLE coll_default (id int, t text);
		INSERT INTO coll_default VALUES $values;
		-- Declared without a collation over the other collation,
		CREATE FOREIGN TABLE raced.coll_plain (id int, t text) SERVER main_reads
			OPTIONS (schema_name 'public', table_name 'coll_other');
		-- with it over it,
		CREATE FOREIGN TABLE raced.coll_declared (id int, t text COLLATE "$other") SERVER main_reads
			OPTIONS (schema_name 'public', table_name 'coll_other');
		-- and with it over the default one.
		CREATE FOREIGN TABLE raced.coll_over_default (id int, t text COLLATE "$other")
			SERVER main_reads OPTIONS (schema_name 'public', table_name 'coll_default');
		CREATE SCHEMA imported;
	});
	$primary->wait_for_catchup($standby);
	# Each foreign table and the local table declared as it is.
	my @tables = (
		[ 'declared without a collation, remote column of the other', 'raced.coll_plain', 'coll_default' ],
		[ 'declared with the other collation, as the remote column', 'raced.coll_declared', 'coll_other' ],
		[ 'declared with the other collation, remote column of the default', 'raced.coll_over_default', 'coll_other' ],
	);
	my @queries = (
		q{SELECT id, t FROM {T} WHERE t < 'a' ORDER BY id},
		q{SELECT id, t FROM {T} WHERE t COLLATE "default" < 'a' ORDER BY id},
		q{SELECT id, t FROM {T} WHERE t COLLATE "C" < 'a' ORDER BY id},
		q{SELECT id, t FROM {T} WHERE t > 'b' ORDER BY id},
		q{SELECT t FROM {T} ORDER BY t LIMIT 2},
		q{SELECT t FROM {T} ORDER BY t DESC LIMIT 3},
		q{SELECT t FROM {T} ORDER BY t COLLATE "C" LIMIT 3},
		q{SELECT t FROM {T} ORDER BY t COLLATE "default" LIMIT 3},
		q{SELECT min(t), max(t) FROM {T}},
		q{SELECT id FROM {T} WHERE t BETWEEN 'A' AND 'b' ORDER BY id},
	);
	for my $table (@tables) {
		my ($name, $raced, $oracle) = @$table;
		for my $sql (@queries) {
			(my $shown = $sql) =~ s/\{T\}/$raced/;
			same_as("collation, $name: $shown", '', $sql, $raced, $oracle);
		}
	}
	# IMPORT FOREIGN SCHEMA declares the remote column's collation.
	$primary->safe_psql('postgres',
		'IMPORT FOREIGN SCHEMA public LIMIT TO (coll_other) FROM SERVER main_reads INTO imported');
	is($primary->safe_psql('postgres', q{
		SELECT c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
		WHERE a.attrelid = 'imported.coll_other'::regclass AND a.attname = 't'}),
		$other, 'IMPORT FOREIGN SCHEMA imports the column\'s collation');
	same_as('the imported table orders as the remote one', '',
		'SELECT t FROM {T} ORDER BY t LIMIT 3', 'imported.coll_other', 'coll_other');
}

# ---------------------------------------------------------------------------
# 4. System columns. ctid is the remote row's (a standby of this database
# has the same), tableoid the foreign table's; xmin, xmax, cmin and cmax
# cannot be had from a race and must be refused, never made up.
# ---------------------------------------------------------------------------
$primary->safe_psql('postgres', q{
	CREATE TABLE st (id int, title text);
	INSERT INTO st SELECT g, 'title ' || g FROM generate_series(1, 6) g;
	DELETE FROM st WHERE id = 3;
	UPDATE st SET title = 'five' WHERE id = 5;
	CREATE FOREIGN TABLE raced.st (id int, title text) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'st');
});
$primary->wait_for_catchup($standby);
same_as('ctid: WHERE ctid = \'(0,2)\' returns the remote row', '',
	q{SELECT ctid, id FROM {T} WHERE ctid = '(0,2)'}, 'raced.st', 'st');
same_as('ctid: every row\'s ctid is the remote one', '',
	'SELECT ctid, id, title FROM {T} ORDER BY id', 'raced.st', 'st');
same_as('ctid: the updated row\'s new ctid', '',
	q{SELECT id, title FROM {T} WHERE ctid = '(0,7)'}, 'raced.st', 'st');
same_as('ctid: compared with >', '',
	q{SELECT ctid, id FROM {T} WHERE ctid > '(0,3)' ORDER BY ctid}, 'raced.st', 'st');
my ($rc, $out, $err) = run('', 'SELECT ctid FROM raced.st');
unlike($out, qr/4294967295/, 'ctid is never (4294967295,0)');
is($primary->safe_psql('postgres', q{
	SELECT string_agg(DISTINCT (tableoid = 'raced.st'::regclass)::text, ',') FROM raced.st}),
	'true', 'tableoid is the foreign table\'s oid');
is($primary->safe_psql('postgres', q{SELECT tableoid::regclass, id FROM raced.st WHERE id = 2}),
	'raced.st|2', 'tableoid::regclass names the foreign table');
for my $column ('xmin', 'xmax', 'cmin', 'cmax') {
	for my $sql ("SELECT $column, id FROM raced.st",
		"SELECT id FROM raced.st WHERE ${column}::text <> ''")
	{
		($rc, $out, $err) = run('\set VERBOSITY verbose', $sql);
		like($err, qr/ERROR:  0A000: [^\n]*\b$column\b/,
			"$sql: an ERROR, feature_not_supported, naming $column");
		is($out, '', "$sql: and no made-up value");
	}
}

# ---------------------------------------------------------------------------
# 5. A remote enum read as text: the local declaration is text, so the
# conditions mean what they mean for text. Equality and IN: a constant or
# parameter compared with the column goes untyped, which the remote side
# reads as a label of its enum (equality of labels is equality of their
# text), so they return the text comparison's rows, a prepared statement's
# text parameter in its generic plan too. A constant that is no label of the
# enum is then a remote error (invalid input value for enum), as with
# postgres_fdw; that is not tested here. Ordering is where text and the enum
# differ ('foo' sorts before 'bar' in the enum, after it as text): the
# comparison keeps its text cast and the sort its collation, so the remote
# side refuses both rather than answer in enum order.
# ---------------------------------------------------------------------------
$primary->safe_psql('postgres', q{
	CREATE TYPE user_enum AS ENUM ('foo', 'bar');
	CREATE TABLE en (id int, c user_enum);
	INSERT INTO en VALUES (1, 'foo'), (2, 'bar'), (3, 'foo'), (4, NULL);
	CREATE VIEW en_as_text AS SELECT id, c::text AS c FROM en;
	CREATE FOREIGN TABLE raced.en (id int, c text) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'en');
});
$primary->wait_for_catchup($standby);
same_as('enum read as text: WHERE c = \'foo\'', '',
	q{SELECT id, c FROM {T} WHERE c = 'foo' ORDER BY id}, 'raced.en', 'en_as_text');
same_as('enum read as text: WHERE c IN (\'foo\', \'bar\')', '',
	q{SELECT id, c FROM {T} WHERE c IN ('foo', 'bar') ORDER BY id}, 'raced.en', 'en_as_text');
same_as('enum read as text: WHERE c NOT IN (\'foo\')', '',
	q{SELECT id, c FROM {T} WHERE c NOT IN ('foo') ORDER BY id}, 'raced.en', 'en_as_text');
same_as('enum read as text: WHERE c <> \'foo\'', '',
	q{SELECT id, c FROM {T} WHERE c <> 'foo' ORDER BY id}, 'raced.en', 'en_as_text');
same_as('enum read as text: a prepared text $1', '', q{
	PREPARE qe(text) AS SELECT id FROM {T} WHERE c = $1 ORDER BY id;
	EXECUTE qe('foo'); EXECUTE qe('bar'); EXECUTE qe('foo'); EXECUTE qe('foo');
	EXECUTE qe('foo'); EXECUTE qe('foo'); EXECUTE qe('bar');}, 'raced.en', 'en_as_text');
same_as('enum read as text: a prepared text $1, generic plan', 'SET plan_cache_mode = force_generic_plan', q{
	PREPARE qg(text) AS SELECT id FROM {T} WHERE c = $1 ORDER BY id;
	EXECUTE qg('foo'); EXECUTE qg('bar');}, 'raced.en', 'en_as_text');
for my $case (["WHERE c > 'bar'", "SELECT id, c FROM raced.en WHERE c > 'bar' ORDER BY id",
		qr/operator does not exist: user_enum pg_catalog\.> text/],
	["ORDER BY c", "SELECT id, c FROM raced.en WHERE c IS NOT NULL ORDER BY c, id",
		qr/collations are not supported by type user_enum/]) {
	my ($what, $sql, $error) = @$case;
	my ($rc, $out, $err) = run('', $sql);
	ok($rc != 0 && $out eq '', "enum read as text: $what is refused, no rows in enum order");
	like($err, $error, "enum read as text: $what: the remote side's error");
}

# ---------------------------------------------------------------------------
# 6. Errors name the foreign table and the race target, as postgres_fdw's
# name the foreign table.
# ---------------------------------------------------------------------------
$primary->safe_psql('postgres', q{
	CREATE FOREIGN TABLE raced.bad_column (id int, nope text) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'st');
	CREATE FOREIGN TABLE raced.bad_type (id int, title int) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'st');
	CREATE SERVER dead_one FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '1', dbname 'postgres');
	CREATE SERVER dead_two FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '2', dbname 'postgres');
	CREATE USER MAPPING FOR PUBLIC SERVER dead_one;
	CREATE USER MAPPING FOR PUBLIC SERVER dead_two;
	CREATE SERVER dead_reads FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'dead_one, dead_two');
	CREATE FOREIGN TABLE raced.unreachable (id int) SERVER dead_reads
		OPTIONS (schema_name 'public', table_name 'st');
});
my $verbose = '\set VERBOSITY verbose';
my $target = qr/race target "mq_(?:primary|standby1)"/;
($rc, $out, $err) = run($verbose, 'SELECT id, nope FROM raced.bad_column');
like($err, qr/ERROR:  42703: column "nope" does not exist/, 'a remote error keeps its message and SQLSTATE');
my ($context) = $err =~ /^(CONTEXT:.*?)(?=^[A-Z]+:|\z)/ms;
$context //= '';
like($context, qr/foreign table "raced\.bad_column"/, 'its CONTEXT names the foreign table')
  or diag($err);
like($context, $target, 'and the race target') or diag($err);

($rc, $out, $err) = run($verbose,
	'SELECT s.id, b.title FROM raced.st s JOIN raced.bad_type b ON b.id = s.id');
like($err, qr/ERROR:  22P02: invalid input syntax for type integer/,
	'a value that does not fit the declared type is an error');
($context) = $err =~ /^(CONTEXT:.*?)(?=^[A-Z]+:|\z)/ms;
$context //= '';
like($context, qr/column "title"/, 'its CONTEXT names the foreign table\'s column') or diag($err);
like($context, qr/foreign table "(?:raced\.)?bad_type"/, 'and the foreign table') or diag($err);
like($context, $target, 'and the race target') or diag($err);

($rc, $out, $err) = run($verbose, 'SELECT id FROM raced.unreachable');
like($err, qr/foreign table "raced\.unreachable"/, 'a read whose every target is down names the foreign table');
like($err, qr/dead_one.*\n?.*dead_two|dead_two.*\n?.*dead_one/s, 'and each target');

done_testing();
