# Differential test of racing foreign tables: every read through a raced
# table returns exactly what the same read of the table itself returns. The
# targets are this database's primary and standby, so the oracle is right
# there: each query of a corpus covering every construct the deparser ships
# runs on the raced tables (made by hand and by IMPORT FOREIGN SCHEMA) and on
# the tables, in one session, under varied local session settings, and under
# a remote role whose own settings (DateStyle, IntervalStyle,
# extra_float_digits, TimeZone, search_path with hostile operators and types,
# ...) diverge from the local ones.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;
use MultiQuery::RacedOracle;

my ($primary, $standby) = race_cluster(1);
# A query that crashes a backend is one failed check, not the end of the file.
for my $node ($primary, $standby) {
	$node->append_conf('postgresql.conf', 'restart_after_crash = on');
	$node->reload;
}

# A locale whose collation is not C's: the database's default collation must
# sort differently from "C" (C.UTF-8 does not), or COLLATE "C" against
# "default" would prove nothing. Also used for lc_monetary and lc_numeric.
sub pick_locale {
	my @available = split /\n/, `locale -a 2>/dev/null`;
	for my $wanted (qw(en_US.utf8 en_US.UTF-8 de_DE.utf8 de_DE.UTF-8 fr_FR.utf8 en_GB.utf8)) {
		return $wanted if grep { $_ eq $wanted } @available;
	}
	my ($any) = grep { /^[a-z]{2}_[A-Z]{2}\.utf-?8$/i } @available;
	return $any;
}
my $locale = pick_locale();
my $db = 'oracle';
if (defined $locale) {
	$primary->safe_psql('postgres',
		"CREATE DATABASE $db LOCALE '$locale' TEMPLATE template0");
}
else {
	# No libc locale but C: an ICU default collation sorts differently too.
	$primary->safe_psql('postgres', "CREATE DATABASE $db LOCALE_PROVIDER icu "
		  . "ICU_LOCALE 'und' LOCALE 'C.UTF-8' TEMPLATE template0");
}
my $monetary = $locale // 'C';

# The foreign servers of race_cluster live in its database; the same ones,
# for this database, here.
my ($primary_port, $standby_port) = ($primary->port, $standby->port);
$primary->safe_psql($db, qq{
	CREATE EXTENSION multiquery;
	CREATE SERVER mq_primary FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$primary_port', dbname '$db');
	CREATE SERVER mq_standby1 FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$standby_port', dbname '$db');
	CREATE USER MAPPING FOR PUBLIC SERVER mq_primary;
	CREATE USER MAPPING FOR PUBLIC SERVER mq_standby1;
	CREATE SERVER raced_group FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_primary, mq_standby1');
	-- The same nodes, reached as a role whose settings are hostile.
	CREATE ROLE remote_reader LOGIN;
	CREATE SERVER mq_p_hostile FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$primary_port', dbname '$db');
	CREATE SERVER mq_s_hostile FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$standby_port', dbname '$db');
	CREATE USER MAPPING FOR PUBLIC SERVER mq_p_hostile OPTIONS (user 'remote_reader');
	CREATE USER MAPPING FOR PUBLIC SERVER mq_s_hostile OPTIONS (user 'remote_reader');
	CREATE SERVER hostile_group FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_p_hostile, mq_s_hostile');
});

# Every column type a user keeps, a few thousand rows generated
# deterministically: extremes, NULLs, NaN and infinities, BC dates, DST
# edges, mixed-sign intervals, dates that read differently as MDY and DMY,
# text that sorts differently in C and in the default collation.
$primary->safe_psql($db, q{
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b text);
CREATE TABLE scalars (
	id int PRIMARY KEY,
	i2 int2, i4 int4, i8 int8,
	n numeric, nb numeric(40,20),
	f4 float4, f8 float8,
	b bool,
	d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval,
	t_default text, t_c text COLLATE "C", vc varchar(12), ch char(8),
	tags text[], nums int[], days date[],
	j jsonb, u uuid, bin bytea, ip inet, net cidr, m money,
	dom posint, pr pair, dr daterange, tr tstzrange
);
INSERT INTO scalars
SELECT g,
	CASE WHEN g % 41 = 0 THEN NULL WHEN g = 1 THEN -32768 WHEN g = 2 THEN 32767
		ELSE (g * 37) % 2001 - 1000 END,
	CASE WHEN g % 43 = 0 THEN NULL WHEN g = 3 THEN -2147483648 WHEN g = 4 THEN 2147483647
		ELSE (g * 7919) % 20001 - 10000 END,
	CASE WHEN g % 47 = 0 THEN NULL WHEN g = 5 THEN -9223372036854775808
		WHEN g = 6 THEN 9223372036854775807
		ELSE g::int8 * 1000000007 * (1 - 2 * (g % 2)) END,
	CASE WHEN g % 53 = 0 THEN NULL WHEN g % 97 = 0 THEN 'NaN'
		WHEN g % 100 = 7 THEN 1e-30
		WHEN g % 100 = 8 THEN 123456789012345678901234567890.123456789
		ELSE round(g * 12345.6789 / 7, g % 6) * (1 - 2 * (g % 3 = 0)::int) END,
	CASE WHEN g % 59 = 0 THEN NULL WHEN g % 100 = 9 THEN 'NaN'
		ELSE g * 3.14159265358979323846264338327950288 / 1000 END,
	CASE WHEN g % 61 = 0 THEN NULL WHEN g = 9 THEN 'NaN'::float4
		WHEN g = 10 THEN 'Infinity'::float4 WHEN g = 11 THEN '-Infinity'::float4
		WHEN g % 100 = 12 THEN '-0'::float4 WHEN g % 100 = 13 THEN '0.1'::float4
		WHEN g = 14 THEN '1e-38'::float4 WHEN g = 15 THEN '3.4e38'::float4
		ELSE (g / 7.0)::float4 END,
	CASE WHEN g % 67 = 0 THEN NULL WHEN g % 100 = 16 THEN '0.1'::float8
		WHEN g % 100 = 17 THEN '1e-300'::float8 WHEN g = 18 THEN 'Infinity'::float8
		WHEN g = 118 THEN '-Infinity'::float8 WHEN g % 100 = 19 THEN '-0'::float8
		WHEN g = 20 THEN 'NaN'::float8 WHEN g % 100 = 21 THEN '0.123456789'::float8
		WHEN g % 100 = 22 THEN (1 / 3.0)::float8
		WHEN g % 100 = 23 THEN '123456789.123456789'::float8
		WHEN g % 100 = 24 THEN '9007199254740993'::float8
		ELSE g / 7.0::float8 * pi() END,
	CASE WHEN g % 5 = 4 THEN NULL ELSE g % 3 = 0 END,
	CASE WHEN g % 71 = 0 THEN NULL WHEN g % 100 = 30 THEN date '2024-01-02'
		WHEN g % 100 = 31 THEN date '2024-02-01' WHEN g = 32 THEN 'infinity'::date
		WHEN g = 33 THEN '-infinity'::date WHEN g % 100 = 34 THEN '0044-03-15 BC'::date
		WHEN g = 35 THEN '4713-01-01 BC'::date WHEN g = 36 THEN '294276-12-31'::date
		ELSE date '2024-01-01' + ((g * 13) % 801 - 400) END,
	CASE WHEN g % 73 = 0 THEN NULL WHEN g = 37 THEN '24:00:00'::time
		WHEN g % 100 = 38 THEN '23:59:59.999999'::time
		ELSE time '00:00' + (g * 37 % 86400) * interval '1 second'
			+ (g % 8) * interval '0.125 second' END,
	CASE WHEN g % 79 = 0 THEN NULL
		ELSE ((time '00:00' + (g * 53 % 86400) * interval '1 second')::text
			|| (ARRAY['+00', '+05:30', '-08', '+13:45', '-03:30', '+14'])[1 + g % 6])::timetz END,
	CASE WHEN g % 83 = 0 THEN NULL WHEN g = 39 THEN 'infinity'::timestamp
		WHEN g = 40 THEN '-infinity'::timestamp
		WHEN g % 100 = 41 THEN '0044-03-15 12:00:00 BC'::timestamp
		WHEN g % 100 = 42 THEN '2024-03-10 02:30:00'::timestamp
		WHEN g % 100 = 43 THEN '2024-11-03 01:30:00'::timestamp
		WHEN g % 100 = 44 THEN '2024-01-02 10:00:00'::timestamp
		WHEN g % 100 = 45 THEN '2024-02-01 10:00:00'::timestamp
		ELSE timestamp '2023-06-01' + g * interval '3 hours 17 minutes 11.5 seconds' END,
	CASE WHEN g % 89 = 1 THEN NULL WHEN g = 46 THEN 'infinity'::timestamptz
		WHEN g = 47 THEN '-infinity'::timestamptz
		WHEN g % 100 = 48 THEN '2024-03-10 07:30:00+00'::timestamptz
		WHEN g % 100 = 49 THEN '2024-11-03 05:30:00+00'::timestamptz
		WHEN g % 100 = 50 THEN '2024-11-03 06:30:00+00'::timestamptz
		WHEN g % 100 = 51 THEN '2024-04-06 14:00:00+00'::timestamptz
		WHEN g % 100 = 52 THEN '2024-01-02 10:00:00+05:30'::timestamptz
		WHEN g % 100 = 57 THEN '0044-03-15 12:00:00+00 BC'::timestamptz
		ELSE timestamptz '2023-06-01 00:00:00+00'
			+ g * interval '3 hours 17 minutes 11.5 seconds' END,
	CASE WHEN g % 97 = 1 THEN NULL WHEN g % 100 = 53 THEN '-1 day +2 hours'::interval
		WHEN g % 100 = 54 THEN '1 mon -3 days'::interval
		WHEN g % 100 = 55 THEN '-1 year +2 mons'::interval
		WHEN g % 100 = 56 THEN '1 day -00:00:01'::interval
		WHEN g % 100 = 57 THEN '00:00:00.000001'::interval
		WHEN g % 100 = 58 THEN '-1 days -02:00:00'::interval
		WHEN g % 100 = 59 THEN '-2 hours'::interval
		ELSE make_interval(months => g % 25 - 12, days => g % 61 - 30,
			secs => (g * 97) % 100000 - 50000 + 0.5) END,
	CASE WHEN g % 89 = 0 THEN NULL WHEN g % 3 = 0 THEN w[1 + g % 25]
		ELSE w[1 + g % 25] || ' ' || (g % 17) END,
	CASE WHEN g % 97 = 0 THEN NULL WHEN g % 2 = 0 THEN w[1 + (g / 2) % 25]
		ELSE w[1 + (g * 7) % 25] || '-' || (g % 13) END,
	CASE WHEN g % 101 = 0 THEN NULL ELSE left(w[1 + (g * 11) % 25] || ' ' || g, 12) END,
	CASE WHEN g % 103 = 0 THEN NULL ELSE left(w[1 + (g * 13) % 25], 8) END,
	CASE WHEN g % 107 = 0 THEN NULL WHEN g % 53 = 1 THEN '{}'
		ELSE ARRAY[w[1 + g % 25], w[1 + (g * 3) % 25],
			CASE WHEN g % 5 = 0 THEN NULL ELSE w[1 + (g * 7) % 25] END] END,
	CASE WHEN g % 109 = 0 THEN NULL WHEN g % 59 = 1 THEN '{}'
		ELSE ARRAY[g % 5, g % 7, CASE WHEN g % 4 = 0 THEN NULL ELSE g % 11 END] END,
	CASE WHEN g % 113 = 0 THEN NULL
		ELSE ARRAY[date '2024-01-02' + g % 3, date '2024-02-01' - g % 2] END,
	CASE WHEN g % 127 = 0 THEN NULL
		ELSE jsonb_build_object('k', g % 10, 'name', w[1 + g % 25], 'f', g / 7.0::float8,
			'big', 12345678901234567890.5 + g, 'list', to_jsonb(ARRAY[g % 3, g % 4]),
			'nested', jsonb_build_object('deep', g % 2 = 0)) END,
	CASE WHEN g % 131 = 0 THEN NULL ELSE md5(g::text)::uuid END,
	CASE WHEN g % 137 = 0 THEN NULL WHEN g % 100 = 60 THEN '\x'::bytea
		WHEN g % 100 = 61 THEN '\x00ff5c27'::bytea
		ELSE substring(decode(md5(g::text), 'hex') FROM 1 FOR 1 + g % 8) END,
	ip, network(ip),
	CASE WHEN g % 149 = 0 THEN NULL
		ELSE ((g * 123.45) * CASE WHEN g % 4 = 0 THEN -1 ELSE 1 END)::numeric::money END,
	CASE WHEN g % 151 = 0 THEN NULL ELSE 1 + g % 1000 END,
	CASE WHEN g % 157 = 0 THEN NULL ELSE ROW(g % 10, w[1 + g % 25])::pair END,
	CASE WHEN g % 163 = 0 THEN NULL WHEN g % 100 = 62 THEN 'empty'::daterange
		WHEN g % 100 = 63 THEN '[2024-01-02,)'::daterange
		ELSE daterange(date '2024-01-01' + g % 40, date '2024-01-01' + g % 40 + g % 9 + 1) END,
	CASE WHEN g % 167 = 0 THEN NULL
		WHEN g % 100 = 64 THEN '(,2024-03-10 07:30:00+00]'::tstzrange
		ELSE tstzrange(timestamptz '2024-01-02 10:00:00+05:30' + g * interval '1 hour',
			timestamptz '2024-01-02 11:30:00+05:30' + g * interval '1 hour') END
FROM generate_series(1, 3000) g,
	LATERAL (SELECT ARRAY['apple', 'Apple', 'Äpfel', 'école', 'Ecole', 'zebra', 'Zebra',
		'_under', '-dash', 'a b', 'ab', 'a-b', 'ñandú', 'O''Brien', 'back\slash',
		'Ångström', 'angstrom', 'Éclair', 'eclair', 'ß', 'ss', '1st', '10th', 'x,y{z}"q',
		''] AS w) words,
	LATERAL (SELECT CASE WHEN g % 139 = 0 THEN NULL
		WHEN g % 4 = 0 THEN ('2001:db8::' || to_hex(g) || '/' || (64 + g % 65))::inet
		ELSE ('10.' || (g / 256) % 4 || '.' || g % 256 || '.' || (g * 7) % 256
			|| '/' || (16 + g % 17))::inet END AS ip) address;
CREATE TABLE feelings (id int PRIMARY KEY, mood mood, note text);
INSERT INTO feelings
SELECT g, CASE WHEN g % 9 = 0 THEN NULL ELSE (enum_range(NULL::mood))[1 + g % 4] END,
	'note ' || g
FROM generate_series(1, 600) g;
-- A few local rows to look the raced tables up by, one per kind of key.
CREATE TABLE probe AS
SELECT id AS key, d, f8, ts, tstz, iv, t_default AS word, t_c AS word_c, n, m, u, ip
FROM scalars WHERE id IN (7, 16, 21, 22, 30, 31, 34, 42, 44, 48, 49, 52, 53, 58, 97, 1500);
-- Who reads remotely, with which settings: shows the hostile role is in effect.
CREATE VIEW whoami AS
SELECT current_user::text AS who, current_setting('search_path') AS path,
	current_setting('standard_conforming_strings') AS scs;
ANALYZE;
GRANT SELECT ON scalars, feelings, whoami TO remote_reader;
});

# The remote role's own settings, all different from the local session's,
# and a schema of objects that shadow pg_catalog's for any text sent
# unqualified: operators that always match, functions that lie, a "text"
# type that cannot hold a word.
$primary->safe_psql($db, qq{
	CREATE SCHEMA evil;
	GRANT USAGE ON SCHEMA evil TO remote_reader;
	CREATE FUNCTION evil.always(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT true';
	CREATE FUNCTION evil.always(text, text) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT true';
	CREATE FUNCTION evil.always(date, date) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT true';
	CREATE FUNCTION evil.always(float8, float8) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT true';
	CREATE OPERATOR evil.= (leftarg = int, rightarg = int, function = evil.always);
	CREATE OPERATOR evil.< (leftarg = int, rightarg = int, function = evil.always);
	CREATE OPERATOR evil.> (leftarg = int, rightarg = int, function = evil.always);
	CREATE OPERATOR evil.= (leftarg = text, rightarg = text, function = evil.always);
	CREATE OPERATOR evil.~~ (leftarg = text, rightarg = text, function = evil.always);
	CREATE OPERATOR evil.= (leftarg = date, rightarg = date, function = evil.always);
	CREATE OPERATOR evil.= (leftarg = float8, rightarg = float8, function = evil.always);
	CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''apple''';
	CREATE FUNCTION evil.upper(text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT ''APPLE''';
	CREATE FUNCTION evil.length(text) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 10';
	CREATE FUNCTION evil.abs(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 0';
	CREATE DOMAIN evil.text AS pg_catalog.varchar(2);
	CREATE TEXT SEARCH CONFIGURATION evil.simple (COPY = pg_catalog.english);
	ALTER ROLE remote_reader SET DateStyle = 'SQL, DMY';
	ALTER ROLE remote_reader SET IntervalStyle = 'sql_standard';
	ALTER ROLE remote_reader SET extra_float_digits = -10;
	ALTER ROLE remote_reader SET TimeZone = 'Asia/Tokyo';
	ALTER ROLE remote_reader SET search_path = evil, pg_catalog, public;
	ALTER ROLE remote_reader SET lc_monetary = '$monetary';
	ALTER ROLE remote_reader SET bytea_output = 'escape';
	ALTER ROLE remote_reader SET standard_conforming_strings = off;
});

# A local schema for the local session's search_path: non-built-in
# look-alikes of operators and functions the corpus uses, which must never be
# sent as the built-in ones (they answer differently, yet never emptily).
$primary->safe_psql($db, q{
	CREATE SCHEMA trap;
	CREATE FUNCTION trap.eq_or_negated(int, int) RETURNS bool LANGUAGE sql IMMUTABLE
		AS 'SELECT $1 OPERATOR(pg_catalog.=) $2 OR $1::int8 OPERATOR(pg_catalog.=) -$2::int8';
	CREATE OPERATOR trap.= (leftarg = int, rightarg = int, function = trap.eq_or_negated);
	CREATE FUNCTION trap.length(text) RETURNS int LANGUAGE sql IMMUTABLE
		AS 'SELECT pg_catalog.length($1) + 1';
	CREATE TEXT SEARCH CONFIGURATION trap.simple (COPY = pg_catalog.english);
});

# The raced tables: by hand, with the remote columns' types and collations
# (the enum as text, as postgres_fdw's own tests declare it, and as itself);
# over each group.
my $scalar_columns = q{
	id int, i2 int2, i4 int4, i8 int8, n numeric, nb numeric(40,20), f4 float4, f8 float8,
	b bool, d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval,
	t_default text, t_c text COLLATE "C", vc varchar(12), ch char(8),
	tags text[], nums int[], days date[], j jsonb, u uuid, bin bytea, ip inet, net cidr,
	m money, dom public.posint, pr public.pair, dr daterange, tr tstzrange};
for my $schema_server ([ 'raced', 'raced_group' ], [ 'hostile', 'hostile_group' ]) {
	my ($schema, $server) = @$schema_server;
	$primary->safe_psql($db, qq{
		CREATE SCHEMA $schema;
		CREATE FOREIGN TABLE $schema.scalars ($scalar_columns) SERVER $server
			OPTIONS (schema_name 'public', table_name 'scalars');
		CREATE FOREIGN TABLE $schema.feelings (id int, mood text, note text) SERVER $server
			OPTIONS (schema_name 'public', table_name 'feelings');
		CREATE FOREIGN TABLE $schema.feelings_enum (id int, mood public.mood, note text)
			SERVER $server OPTIONS (schema_name 'public', table_name 'feelings');
		CREATE FOREIGN TABLE $schema.whoami (who text, path text, scs text) SERVER $server
			OPTIONS (schema_name 'public', table_name 'whoami');
	});
}
$primary->wait_for_catchup($standby);

# And imported: the catalog read through a race of each group.
$primary->safe_psql($db, q{
	CREATE SCHEMA imported;
	IMPORT FOREIGN SCHEMA public LIMIT TO (scalars, feelings)
		FROM SERVER raced_group INTO imported;
	CREATE SCHEMA hostile_imported;
});
my ($import_rc, $import_out, $import_err) = $primary->psql($db, q{
	IMPORT FOREIGN SCHEMA public LIMIT TO (scalars, feelings)
		FROM SERVER hostile_group INTO hostile_imported});
is($import_err, '', 'IMPORT FOREIGN SCHEMA ... LIMIT TO through the hostile role');
my $imported_count = sub {
	return $primary->safe_psql($db,
		"SELECT count(*) FROM pg_foreign_table t JOIN pg_class c ON c.oid = t.ftrelid "
		  . "WHERE c.relnamespace = 'hostile_imported'::regnamespace "
		  . "AND c.relname IN ('scalars', 'feelings')");
};
is($imported_count->(), 2, 'and it imported both tables');
# Without the list, so that the reads through the import still run.
$primary->psql($db, 'IMPORT FOREIGN SCHEMA public FROM SERVER hostile_group INTO hostile_imported')
  if $imported_count->() != 2;
my $hostile_imported = $imported_count->() == 2;
# The same view over the table and over each flavor of raced table.
for my $schema (qw(public raced imported hostile), $hostile_imported ? 'hostile_imported' : ()) {
	$primary->safe_psql($db, qq{CREATE VIEW $schema.scalars_view AS
		SELECT id, d, f8, t_c FROM $schema.scalars WHERE id % 2 = 0});
}
is($primary->safe_psql($db, q{
		SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = 'imported.feelings'::regclass AND attnum > 0}),
	'id integer, mood mood, note text', 'IMPORT declares the enum as its own type');

# The remote sessions really are whom they should be: the superuser's own,
# and the hostile role with its search_path and standard_conforming_strings.
like($primary->safe_psql($db, 'SELECT who FROM raced.whoami'), qr/^\S+$/,
	'raced_group reads as the mapped superuser');
is($primary->safe_psql($db, 'SELECT who, path, scs FROM hostile.whoami'),
	'remote_reader|evil, pg_catalog, public|off',
	'hostile_group reads as remote_reader, with its hostile settings');

# The corpus's placeholders: {s} scalars, {f} feelings (its enum declared as
# text when made by hand), {fe} feelings with the enum as itself, {v} a view
# over {s}, {h} scalars raced by the other group.
sub flavor {
	my ($schema, $enum_table, $other) = @_;
	return {
		s => "$schema.scalars", f => "$schema.feelings", fe => "$schema.$enum_table",
		v => "$schema.scalars_view", h => "$other.scalars"
	};
}
my %direct = %{ flavor('public', 'feelings', 'public') };
my %flavors = (
	raced => flavor('raced', 'feelings_enum', 'hostile'),
	imported => flavor('imported', 'feelings', 'hostile'),
	hostile => flavor('hostile', 'feelings_enum', 'raced'),
	hostile_imported => flavor('hostile_imported', 'feelings', 'raced'),
);

my $oracle = MultiQuery::RacedOracle->new(node => $primary, dbname => $db, direct => \%direct);

# The comparison can tell: C and the default collation order the corpus's
# text differently, a raced table over a view that changed one float in its
# last digits is told apart, and a raced read that takes its session down
# is a failure that the next read survives.
is($primary->safe_psql($db, q{
		SELECT (SELECT array_agg(t_c ORDER BY t_c COLLATE "C", id) FROM scalars)
			<> (SELECT array_agg(t_c ORDER BY t_c COLLATE "default", id) FROM scalars)}),
	't', 'the default collation orders the text unlike "C"');
$primary->safe_psql($db, q{
	CREATE VIEW scalars_skewed AS
		SELECT id, CASE WHEN id = 121 THEN f8 * (1 + 1e-15) ELSE f8 END AS f8 FROM scalars;
	CREATE FOREIGN TABLE raced.skewed (id int, f8 float8) SERVER raced_group
		OPTIONS (schema_name 'public', table_name 'scalars_skewed');
});
$primary->wait_for_catchup($standby);
my $baseline = [ q{SET DateStyle = 'ISO, MDY'} ];
my $control = $oracle->compare(
	entry => { name => 'skewed', sql => 'SELECT id, f8 FROM {s} WHERE f8 > 0.12 AND f8 < 0.13' },
	flavor => 'skewed', map => { s => 'raced.skewed' }, settings => $baseline, quiet => 1);
ok(!$control->{ok} && grep(/only direct: 121/, @{ $control->{problems} }),
	'the oracle tells a changed last digit apart')
  or diag(explain $control);
$control = $oracle->compare(
	entry => {
		name => 'lost',
		sql => q{SELECT CASE WHEN '{s}' = 'public.scalars' THEN true
			ELSE pg_terminate_backend(pg_backend_pid()) END}
	},
	flavor => 'raced', map => { s => 'raced.scalars' }, settings => $baseline, quiet => 1);
ok(!$control->{ok} && grep(/only the raced read failed: 57P01|session was lost/,
		@{ $control->{problems} }),
	'a raced read that ends its session is a failure') or diag(explain $control);
$control = $oracle->compare(
	entry => { name => 'after', sql => 'SELECT id FROM {s} WHERE id < 3' },
	flavor => 'raced', map => { s => 'raced.scalars' }, settings => $baseline, quiet => 1);
ok($control->{ok}, 'and the next read is compared as usual') or diag(explain $control);

# ---------------------------------------------------------------------------
# The corpus. Each entry: name, sql (or setup and runs), ordered when its
# ORDER BY is total; see MultiQuery::RacedOracle.
my @corpus;
sub read_rows {
	my ($name, $sql, %options) = @_;
	push @corpus, { name => $name, sql => $sql, %options };
}
sub ordered {
	my ($name, $sql, %options) = @_;
	read_rows($name, $sql, ordered => 1, %options);
}
# Nested loops only: the raced side is a parameterized scan (a remote lookup
# per outer value).
my @nested_loop = ('SET enable_hashjoin = off', 'SET enable_mergejoin = off');
my @merge_join = ('SET enable_hashjoin = off', 'SET enable_nestloop = off');

# Integers.
read_rows('int2 range and extreme', 'SELECT id, i2 FROM {s} WHERE i2 < -900 OR i2 = 32767');
read_rows('int2 typed constant', 'SELECT id, i2 FROM {s} WHERE i2 = 110::int2');
read_rows('int4 negative constant', 'SELECT id, i4 FROM {s} WHERE i4 = -2081 OR i4 < -9990');
read_rows('int4 extremes', 'SELECT id, i4 FROM {s} WHERE i4 IN (-2147483648, 2147483647)');
read_rows('int8 range and minimum',
	'SELECT id, i8 FROM {s} WHERE i8 > 2000000000000 OR i8 = -9223372036854775808');
read_rows('integer arithmetic', 'SELECT id FROM {s} WHERE i4 % 7 = 3 AND i2 - 1 > 0');
read_rows('mixed integer widths', 'SELECT id FROM {s} WHERE i2::int8 + i4 > 9500');
read_rows('abs', 'SELECT id, abs(i4 / 2) FROM {s} WHERE abs(i4 / 2) < 25');
read_rows('<> ALL of an array',
	'SELECT id FROM {s} WHERE id < 40 AND i4 <> ALL (ARRAY[-2081, 7559, 9687])');
read_rows('NOT IN', 'SELECT id FROM {s} WHERE id NOT IN (1, 2, 3) AND id < 10');
read_rows('IS DISTINCT FROM', 'SELECT id FROM {s} WHERE i2 IS DISTINCT FROM 110 AND id <= 100');
read_rows('NULLIF', 'SELECT id FROM {s} WHERE NULLIF(i4 % 5, 0) IS NULL AND id <= 200');
read_rows('= ANY of an array constant', q{SELECT id FROM {s} WHERE i4 = ANY ('{-2081,7559,9687}')});
read_rows('a long IN list', 'SELECT id, i4 FROM {s} WHERE id IN ('
	  . join(', ', map { $_ * 7 } 1 .. 400) . ')');
read_rows('no column fetched', 'SELECT 1 FROM {s} WHERE i4 > 9990');
read_rows('uncorrelated EXISTS', 'SELECT EXISTS (SELECT 1 FROM {s} WHERE f8 = 0.1)');

# Constants of another type than the column: the comparison is the
# cross-type one, whose constant the column's type could not hold.
read_rows('int2 against an int4 constant beyond int2', 'SELECT id, i2 FROM {s} WHERE i2 < 40000 AND id < 20');
read_rows('int4 against an int8 constant beyond int4',
	'SELECT id, i4 FROM {s} WHERE i4 < 3000000000 AND i4 > -3000000000 AND id < 20');
read_rows('float4 against a float8 constant', 'SELECT id, f4 FROM {s} WHERE f4 > 0.1 AND f4 < 0.2');
read_rows('date against a timestamp constant',
	q{SELECT id, d FROM {s} WHERE d < '2024-01-02 12:00'::timestamp AND d > '2023-12-30'});
read_rows('timestamp against a date constant', q{SELECT id, ts FROM {s} WHERE ts > '2024-07-01'::date});
read_rows('char(n) against a text constant', q{SELECT id, ch FROM {s} WHERE ch = 'ab'::text});

# Numeric.
read_rows('numeric NaN', q{SELECT id, n FROM {s} WHERE n = 'NaN'});
read_rows('numeric range without NaN', q{SELECT id, n FROM {s} WHERE n > 5000000 AND n <> 'NaN'});
read_rows('numeric tiny and huge',
	'SELECT id, n FROM {s} WHERE n = 1e-30 OR n = 123456789012345678901234567890.123456789');
read_rows('numeric(40,20) range',
	'SELECT id, nb FROM {s} WHERE nb BETWEEN 3.14159265358979323846 AND 3.2');
read_rows('round', 'SELECT id, round(n, 1) FROM {s} WHERE round(n, 1) > 2000000 AND round(n, 1) < 2100000');
read_rows('numeric to float8', 'SELECT id, n FROM {s} WHERE n::float8 > 1e20');

# Floats: constants whose digits the output settings would cut.
read_rows('float8 = 0.1', 'SELECT id, f8 FROM {s} WHERE f8 = 0.1');
read_rows('float8 = 0.123456789', 'SELECT id, f8 FROM {s} WHERE f8 = 0.123456789');
read_rows('float8 = 1/3', 'SELECT id, f8 FROM {s} WHERE f8 = 1.0 / 3');
read_rows('float8 tiny', 'SELECT id, f8 FROM {s} WHERE f8 > 0 AND f8 < 1e-299');
read_rows('float8 infinities and NaN',
	q{SELECT id, f8 FROM {s} WHERE f8 IN ('Infinity', '-Infinity', 'NaN')});
read_rows('float8 negative zero', q{SELECT id, f8 FROM {s} WHERE f8 = '-0'});
read_rows('float8 many digits',
	'SELECT id, f8 FROM {s} WHERE f8 = 123456789.123456789 OR f8 = 9007199254740993');
read_rows('float4 = 0.1', 'SELECT id, f4 FROM {s} WHERE f4 = 0.1::float4');
read_rows('float4 range', 'SELECT id, f4 FROM {s} WHERE f4 > 400 AND f4 < 400.5');
read_rows('float4 specials',
	q{SELECT id, f4 FROM {s} WHERE f4 IN ('NaN', 'Infinity', '-Infinity', '1e-38') OR f4 > 3e38});
read_rows('float8 arithmetic', q{SELECT id, f8 FROM {s} WHERE f8 * 3 > 6000.5 AND abs(f8) < 'Infinity'});
read_rows('float8 = ANY',
	'SELECT id, f8 FROM {s} WHERE f8 = ANY (ARRAY[0.1, 0.123456789, 1e-300]::float8[])');
read_rows('float8 <> ALL',
	q{SELECT id, f8 FROM {s} WHERE f8 <> ALL ('{0.1,0.123456789}') AND id % 100 IN (16, 21, 22)});
ordered('float8 descending with NaN', 'SELECT id, f8 FROM {s} ORDER BY f8 DESC NULLS LAST, id LIMIT 15');
ordered('float8 ascending, NULLs first, offset',
	'SELECT id, f8 FROM {s} ORDER BY f8 NULLS FIRST, id LIMIT 15 OFFSET 40');
read_rows('float4 to float8', 'SELECT id, f4::float8 FROM {s} WHERE f4::float8 = 0.1::float4::float8');
read_rows('trunc of float8', 'SELECT id, trunc(f8) FROM {s} WHERE trunc(f8) = 300');

# Booleans and logic.
read_rows('bool column', 'SELECT id FROM {s} WHERE b AND id < 100');
read_rows('NOT bool', 'SELECT id FROM {s} WHERE NOT b AND id < 100');
read_rows('bool IS NULL', 'SELECT id FROM {s} WHERE b IS NULL AND id < 100');
read_rows('bool IS DISTINCT FROM', 'SELECT id, b FROM {s} WHERE b IS DISTINCT FROM true AND id < 30');
read_rows('AND within OR', 'SELECT id FROM {s} WHERE (i4 > 0 AND f8 < 100) OR NOT b');
read_rows('NOT of OR', q{SELECT id FROM {s} WHERE NOT (t_default LIKE 'a%' OR d IS NULL) AND id < 200});

# Dates: '01/02/2024' is January 2 as MDY, February 1 as DMY; both exist.
read_rows('date literal read by DateStyle', q{SELECT id, d FROM {s} WHERE d = '01/02/2024'});
read_rows('ISO date literal', q{SELECT id, d FROM {s} WHERE d = '2024-01-02'});
read_rows('date range in DateStyle order',
	q{SELECT id, d FROM {s} WHERE d BETWEEN '01/02/2024' AND '03/04/2024'});
read_rows('date infinities', q{SELECT id, d FROM {s} WHERE d IN ('infinity', '-infinity')});
read_rows('BC dates', q{SELECT id, d FROM {s} WHERE d < '0001-01-01'});
read_rows('BC date literal', q{SELECT id, d FROM {s} WHERE d = '0044-03-15 BC'});
read_rows('date arithmetic constant', q{SELECT id, d FROM {s} WHERE d = date '2024-01-02' + 30});
read_rows('date minus integer', q{SELECT id, d FROM {s} WHERE d - 1 = '01/01/2024'});
read_rows('extract from date',
	'SELECT id, d FROM {s} WHERE extract(month FROM d) = 2 AND extract(year FROM d) = 2024');
read_rows('date = ANY',
	q{SELECT id, d FROM {s} WHERE d = ANY (ARRAY['01/02/2024', '2024-03-04']::date[])});
ordered('dates descending', 'SELECT id, d FROM {s} ORDER BY d DESC NULLS LAST, id LIMIT 20');
ordered('dates ascending, NULLs first', 'SELECT id, d FROM {s} ORDER BY d NULLS FIRST, id LIMIT 20');
read_rows('date[] contains',
	q{SELECT id, days FROM {s} WHERE days @> ARRAY['01/02/2024'::date] AND id < 100});
read_rows('date to timestamp', q{SELECT id, d FROM {s} WHERE d::timestamp = '2024-01-02 00:00'});
read_rows('date_trunc of a date (stable)',
	q{SELECT id, d FROM {s} WHERE date_trunc('month', d) = '2024-02-01'});
read_rows('date before current_date (stable)', 'SELECT id, d FROM {s} WHERE d < current_date - 10000');

# Times.
read_rows('time extremes', q{SELECT id, tm FROM {s} WHERE tm = '24:00:00' OR tm = '23:59:59.999999'});
read_rows('time range', q{SELECT id, tm FROM {s} WHERE tm BETWEEN '01:00' AND '01:05'});
read_rows('timetz comparison', q{SELECT id, ttz FROM {s} WHERE ttz < '00:10:00+05:30'});
ordered('timetz order', 'SELECT id, ttz FROM {s} ORDER BY ttz, id LIMIT 20');

# Timestamps.
read_rows('timestamp at DST edges',
	q{SELECT id, ts FROM {s} WHERE ts = '2024-03-10 02:30:00' OR ts = '2024-11-03 01:30:00'});
read_rows('timestamp literal read by DateStyle', q{SELECT id, ts FROM {s} WHERE ts = '01/02/2024 10:00'});
read_rows('date_trunc of a timestamp', q{SELECT id, ts FROM {s} WHERE date_trunc('day', ts) = '2024-01-02'});
read_rows('timestamp to date', q{SELECT id, ts FROM {s} WHERE ts::date = '02/01/2024'});
read_rows('timestamp infinities and BC',
	q{SELECT id, ts FROM {s} WHERE ts IN ('infinity', '-infinity') OR ts < '0001-01-01'});
read_rows('timestamp plus mixed-sign interval',
	q{SELECT id, ts FROM {s} WHERE ts > timestamp '2024-01-02 10:00' + interval '-1 day +2 hours'
		AND ts < '2024-01-02 10:00'});
read_rows('timestamp against timestamptz (stable)',
	q{SELECT id, ts FROM {s} WHERE ts < '2023-06-02'::timestamptz});
ordered('timestamps descending, NULLs first',
	'SELECT id, ts FROM {s} ORDER BY ts DESC NULLS FIRST, id LIMIT 20');
read_rows('extract epoch from timestamp',
	'SELECT id FROM {s} WHERE extract(epoch FROM ts) > 1700000000 AND extract(epoch FROM ts) < 1700050000');

# Timestamps with time zone: the constants are read in the local TimeZone and
# printed with its abbreviations (IST is Israel's for the remote side).
read_rows('timestamptz at the spring-forward gap',
	q{SELECT id, tstz FROM {s} WHERE tstz = '2024-03-10 07:30:00+00'});
read_rows('timestamptz with a half-hour offset',
	q{SELECT id, tstz FROM {s} WHERE tstz = '2024-01-02 10:00:00+05:30'});
read_rows('timestamptz around fall-back',
	q{SELECT id, tstz FROM {s} WHERE tstz BETWEEN '2024-11-03 05:00:00+00' AND '2024-11-03 07:00:00+00'});
read_rows('timestamptz literal in local zone and DateStyle',
	q{SELECT id, tstz FROM {s} WHERE tstz > '01/02/2024 04:00' AND tstz < '01/03/2024'});
read_rows('timestamptz = ANY',
	q{SELECT id, tstz FROM {s} WHERE tstz = ANY (ARRAY['2024-11-03 05:30:00+00',
		'2024-11-03 06:30:00+00']::timestamptz[])});
read_rows('timestamptz infinities and BC',
	q{SELECT id, tstz FROM {s} WHERE tstz IN ('infinity', '-infinity') OR tstz < '0001-01-01 00:00:00+00'});
ordered('timestamptz order with offset',
	'SELECT id, tstz FROM {s} ORDER BY tstz NULLS FIRST, id LIMIT 20 OFFSET 5');
read_rows('date_trunc of timestamptz (stable)',
	q{SELECT id, tstz FROM {s} WHERE date_trunc('day', tstz) = '2024-04-06'});
read_rows('timestamptz to date (stable)', q{SELECT id, tstz::date FROM {s} WHERE tstz::date = '2024-04-07'});
read_rows('AT TIME ZONE',
	q{SELECT id, tstz FROM {s} WHERE tstz AT TIME ZONE 'UTC' = '2024-04-06 14:00:00'});

# Intervals: '-1 2:00:00' is -1 day +2 hours in postgres style, -1 day -2
# hours in sql_standard; both exist.
read_rows('interval literal read by IntervalStyle', q{SELECT id, iv FROM {s} WHERE iv = '-1 2:00:00'});
read_rows('mixed-sign interval', q{SELECT id, iv FROM {s} WHERE iv = '-1 day +2 hours'});
read_rows('interval with months', q{SELECT id, iv FROM {s} WHERE iv IN ('1 mon -3 days', 'P-10M')});
read_rows('interval range', q{SELECT id, iv FROM {s} WHERE iv < '-1 day' AND iv > '-2 days'});
read_rows('tiny intervals',
	q{SELECT id, iv FROM {s} WHERE iv = '00:00:00.000001' OR iv = '1 day -00:00:01'});
read_rows('justify_interval', q{SELECT id, iv FROM {s} WHERE justify_interval(iv) > '11 mons'});
read_rows('interval arithmetic', q{SELECT id, iv FROM {s} WHERE iv + interval '1 day' > '1 mon 20 days'});
read_rows('ISO 8601 interval literal', q{SELECT id, iv FROM {s} WHERE iv = 'P-1DT2H'});
ordered('intervals ascending', 'SELECT id, iv FROM {s} ORDER BY iv, id LIMIT 20');
ordered('intervals descending, offset',
	'SELECT id, iv FROM {s} ORDER BY iv DESC NULLS LAST, id LIMIT 20 OFFSET 10');

# Text in the default collation.
read_rows('text equality', q{SELECT id, t_default FROM {s} WHERE t_default = 'apple'});
read_rows('text less than (default collation)',
	q{SELECT id, t_default FROM {s} WHERE t_default < 'b' AND id < 300});
read_rows('text IN with quotes and backslash',
	q{SELECT id, t_default FROM {s} WHERE t_default IN ('O''Brien', 'back\slash', 'x,y{z}"q', '')});
read_rows('LIKE', q{SELECT id, t_default FROM {s} WHERE t_default LIKE 'a%'});
read_rows('ILIKE with an accent', q{SELECT id, t_default FROM {s} WHERE t_default ILIKE 'é%'});
read_rows('regular expression', q{SELECT id, t_default FROM {s} WHERE t_default ~ '^[A-Z]' AND id < 300});
read_rows('lower', q{SELECT id, lower(t_default) FROM {s} WHERE lower(t_default) = 'apple'});
read_rows('upper of an accent', q{SELECT id FROM {s} WHERE upper(t_default) = 'ÄPFEL'});
read_rows('length', 'SELECT id, length(t_default) FROM {s} WHERE length(t_default) > 9');
read_rows('concatenation', q{SELECT id FROM {s} WHERE t_default || '!' = 'ß!'});
read_rows('left and substr',
	q{SELECT id FROM {s} WHERE left(t_default, 2) = 'Ec' OR substr(t_default, 2, 3) = 'pfe'});
read_rows('text NULL or empty', q{SELECT id, t_default FROM {s} WHERE t_default IS NULL OR t_default = ''});
ordered('text order (default collation)', 'SELECT id, t_default FROM {s} ORDER BY t_default, id LIMIT 30');
ordered('text descending, offset',
	'SELECT id, t_default FROM {s} ORDER BY t_default DESC NULLS LAST, id LIMIT 30 OFFSET 100');
read_rows('COLLATE "C" comparison on a default column',
	q{SELECT id, t_default FROM {s} WHERE t_default COLLATE "C" < 'b' AND id < 300});
ordered('ORDER BY COLLATE "C" on a default column',
	'SELECT id, t_default FROM {s} ORDER BY t_default COLLATE "C", id LIMIT 30');
read_rows('COLLATE "C" on the constant',
	q{SELECT id, t_default FROM {s} WHERE t_default > 'Z' COLLATE "C" AND id < 300});

# Text in a COLLATE "C" column.
read_rows('C column less than', q{SELECT id, t_c FROM {s} WHERE t_c < 'b' AND id < 300});
read_rows('C column compared as "default"',
	q{SELECT id, t_c FROM {s} WHERE t_c COLLATE "default" < 'b' AND id < 300});
ordered('C column order', 'SELECT id, t_c FROM {s} ORDER BY t_c, id LIMIT 30');
ordered('C column ordered as "default"',
	'SELECT id, t_c FROM {s} ORDER BY t_c COLLATE "default", id LIMIT 30');
ordered('C column descending, NULLs first',
	'SELECT id, t_c FROM {s} ORDER BY t_c DESC NULLS FIRST, id LIMIT 30');
read_rows('upper of a C column', q{SELECT id, upper(t_c) FROM {s} WHERE upper(t_c) LIKE 'Ä%'});
read_rows('C column against a default one', 'SELECT id FROM {s} WHERE t_c = t_default COLLATE "C"');
read_rows('min and max in each collation',
	'SELECT min(t_c), max(t_c), min(t_default), max(t_default) FROM {s}');

# varchar(n) and char(n).
read_rows('varchar LIKE', q{SELECT id, vc FROM {s} WHERE vc LIKE 'Apple %'});
read_rows('varchar equality', q{SELECT id, vc FROM {s} WHERE vc = 'zebra 30'});
read_rows('varchar(3) cast', q{SELECT id, vc FROM {s} WHERE vc::varchar(3) = 'Zeb'});
ordered('varchar order', 'SELECT id, vc FROM {s} ORDER BY vc DESC, id LIMIT 20');
read_rows('char(n) equality ignores padding', q{SELECT id, ch FROM {s} WHERE ch = 'apple'});
read_rows('char(n) typed constant', q{SELECT id, ch FROM {s} WHERE ch = 'apple   '::char(8)});
read_rows('char(n) length', 'SELECT id, ch, length(ch) FROM {s} WHERE length(ch) < 3');
read_rows('char(n) to text', q{SELECT id, ch FROM {s} WHERE ch::text = 'ab'});
ordered('char(n) order', 'SELECT id, ch FROM {s} ORDER BY ch NULLS FIRST, id LIMIT 20');

# Arrays.
read_rows('text[] contains', q{SELECT id, tags FROM {s} WHERE tags @> ARRAY['apple']});
read_rows('= ANY of a text[] column', q{SELECT id FROM {s} WHERE 'x,y{z}"q' = ANY (tags)});
read_rows('text[] overlap', q{SELECT id, tags FROM {s} WHERE tags && ARRAY['ß', 'O''Brien'] AND id < 300});
read_rows('empty or NULL text[]', q{SELECT id, tags FROM {s} WHERE tags = '{}' OR tags IS NULL});
read_rows('int[] equality', q{SELECT id, nums FROM {s} WHERE nums = '{1,2,3}'});
read_rows('int[] contains and length',
	q{SELECT id, nums FROM {s} WHERE nums @> '{4}' AND array_length(nums, 1) = 3 AND id < 300});
read_rows('array subscript', 'SELECT id, nums FROM {s} WHERE nums[2] = 6 AND id < 300');
read_rows('cardinality', 'SELECT id FROM {s} WHERE cardinality(nums) = 0');

# jsonb.
read_rows('jsonb contains', q{SELECT id, j FROM {s} WHERE j @> '{"k": 3}' AND id < 200});
read_rows('jsonb ->>', q{SELECT id FROM {s} WHERE j ->> 'name' = 'Äpfel'});
read_rows('jsonb cast to int', q{SELECT id FROM {s} WHERE (j -> 'k')::int = 7 AND id < 300});
read_rows('jsonb ? and nested path',
	q{SELECT id FROM {s} WHERE j ? 'big' AND j -> 'nested' ->> 'deep' = 'true' AND id < 100});
read_rows('jsonb number', q{SELECT id, j -> 'f' FROM {s} WHERE (j ->> 'f')::numeric > 400});
read_rows('jsonpath match', q{SELECT id FROM {s} WHERE j @@ '$.k > 8' AND id < 300});

# uuid, bytea, inet/cidr, money.
read_rows('uuid equality',
	q{SELECT id, u FROM {s} WHERE u = md5('42')::uuid OR u = 'c4ca4238-a0b9-2382-0dcc-509a6f75849b'});
read_rows('uuid range', q{SELECT id, u FROM {s} WHERE u > 'f0000000-0000-0000-0000-000000000000'});
read_rows('bytea equality', q{SELECT id, bin FROM {s} WHERE bin = '\x00ff5c27' OR bin = '\x'});
read_rows('bytea range and length', q{SELECT id, bin FROM {s} WHERE length(bin) = 1 AND bin > '\x80'});
read_rows('bytea substring', q{SELECT id, bin FROM {s} WHERE substring(bin FROM 1 FOR 1) = '\x00'::bytea});
ordered('bytea order', 'SELECT id, bin FROM {s} ORDER BY bin NULLS FIRST, id LIMIT 10');
read_rows('inet contained by', q{SELECT id, ip FROM {s} WHERE ip << '10.1.0.0/16'});
read_rows('inet family and masklen', 'SELECT id, ip FROM {s} WHERE family(ip) = 6 AND masklen(ip) > 120');
read_rows('cidr contains, host',
	q{SELECT id, net FROM {s} WHERE net >>= '10.0.30.210' OR host(ip) = '10.0.21.147'});
ordered('inet order', 'SELECT id, ip FROM {s} ORDER BY ip, id LIMIT 20');
read_rows('money comparison', q{SELECT id, m FROM {s} WHERE m > '300000'});
read_rows('money equality', q{SELECT id, m FROM {s} WHERE m = '-2469' OR m < '-360000'});
ordered('money order', 'SELECT id, m FROM {s} ORDER BY m DESC NULLS LAST, id LIMIT 20');
read_rows('money arithmetic', q{SELECT id, m FROM {s} WHERE m * 2 > '700000'});

# A domain and a composite type (not built in: evaluated locally), ranges
# (their bounds printed as dates and timestamps).
read_rows('domain column', 'SELECT id, dom FROM {s} WHERE dom = 42');
read_rows('domain cast to its base type', 'SELECT id, dom FROM {s} WHERE dom::int > 990');
read_rows('composite field', 'SELECT id, pr FROM {s} WHERE (pr).a = 3 AND id < 200');
read_rows('daterange contains a date read by DateStyle',
	q{SELECT id, dr FROM {s} WHERE dr @> '01/02/2024'::date});
read_rows('empty and unbounded dateranges', q{SELECT id, dr FROM {s} WHERE dr = 'empty' OR upper_inf(dr)});
read_rows('tstzrange contains',
	q{SELECT id, tr FROM {s} WHERE tr @> '2024-01-05 10:00:00+05:30'::timestamptz});
read_rows('tstzrange overlaps a range in local time',
	q{SELECT id, tr FROM {s} WHERE tr && '[2024-01-03 00:00, 2024-01-03 12:00)'});
ordered('tstzrange order', 'SELECT id, tr FROM {s} ORDER BY tr, id LIMIT 10');

# Text search: the configuration is named by a constant, which another
# search_path would read as another configuration.
read_rows('to_tsvector with a named configuration',
	q{SELECT id, t_default FROM {s}
		WHERE to_tsvector('simple', t_default) @@ to_tsquery('simple', 'a | zebra')});
read_rows('plainto_tsquery',
	q{SELECT id FROM {s} WHERE to_tsvector('simple'::regconfig, t_c) @@ plainto_tsquery('simple', 'Apple')});

# An enum: declared as text (as postgres_fdw's tests do) and as itself.
read_rows('enum declared as text: equality', q{SELECT id, mood FROM {f} WHERE mood = 'happy'});
read_rows('enum declared as text: IN',
	q{SELECT id, mood FROM {f} WHERE mood IN ('sad', 'ecstatic') AND id < 200});
read_rows('enum declared as text: IS NULL', 'SELECT id, mood FROM {f} WHERE mood IS NULL');
read_rows('enum declared as text: <>', q{SELECT id, mood FROM {f} WHERE mood <> 'ok' AND id < 100});
read_rows('enum declared as text: grouped', 'SELECT mood, count(*) FROM {f} GROUP BY mood');
read_rows('enum: equality', q{SELECT id, mood FROM {fe} WHERE mood = 'happy'});
read_rows('enum: order comparison', q{SELECT id, mood FROM {fe} WHERE mood > 'ok' AND id < 100});
ordered('enum: order', 'SELECT id, mood FROM {fe} ORDER BY mood NULLS FIRST, id LIMIT 50');
ordered('enum: grouped in order', 'SELECT mood, count(*) FROM {fe} GROUP BY mood ORDER BY mood NULLS LAST');

# Casts and expressions that stay local.
read_rows('int4 to int8', 'SELECT id, i4::int8 FROM {s} WHERE i4::int8 * 1000000 > 9990000000');
read_rows('int2 to int4', 'SELECT id FROM {s} WHERE i2::int4 = -223');
read_rows('float8 to numeric', 'SELECT id, f8::numeric FROM {s} WHERE f8::numeric = 0.1');
read_rows('CAST int8 AS numeric',
	'SELECT id, CAST(i8 AS numeric) FROM {s} WHERE CAST(i8 AS numeric) < -2990000000000');
read_rows('int4 to text (I/O cast)', q{SELECT id FROM {s} WHERE i4::text = '-2081'});
read_rows('text to varchar(3)', q{SELECT id FROM {s} WHERE t_default::varchar(3) = 'Äpf'});
read_rows('date to text (I/O cast)', q{SELECT id FROM {s} WHERE d::text LIKE '%2024%' AND id < 100});
read_rows('interval to text (I/O cast)',
	q{SELECT id, iv::text FROM {s} WHERE iv::text LIKE '%2%' AND id < 300});
read_rows('COALESCE', 'SELECT id FROM {s} WHERE COALESCE(i4, 0) = 0');
read_rows('CASE', 'SELECT id FROM {s} WHERE CASE WHEN b THEN i4 ELSE -i4 END > 9000');
read_rows('GREATEST', 'SELECT id FROM {s} WHERE greatest(i2, i4) > 9900');
read_rows('volatile function', 'SELECT id FROM {s} WHERE random() >= 0 AND id < 5');

# System columns and whole rows: the remote ctid, the local tableoid.
read_rows('ctid condition', q{SELECT ctid, id FROM {s} WHERE ctid = '(0,2)'});
ordered('ctid of rows', 'SELECT ctid, id FROM {s} WHERE id < 10 ORDER BY id');
ordered('tableoid', q{SELECT id, tableoid = '{s}'::regclass FROM {s} WHERE id < 5 ORDER BY id});
ordered('whole-row reference', 'SELECT s FROM {s} s WHERE id IN (21, 30, 53) ORDER BY id');
read_rows('every row and column', 'SELECT * FROM {s}');
read_rows('every feeling', 'SELECT * FROM {f}');

# ORDER BY, LIMIT, OFFSET.
ordered('last rows by id', 'SELECT id, i4 FROM {s} ORDER BY id LIMIT 10 OFFSET 2990');
ordered('int4 descending, NULLs last', 'SELECT id, i4 FROM {s} ORDER BY i4 DESC NULLS LAST, id LIMIT 10');
ordered('numeric with NaN, NULLs first', 'SELECT id, n FROM {s} ORDER BY n NULLS FIRST, id LIMIT 25');
ordered('numeric descending: NaN first', 'SELECT id, n FROM {s} ORDER BY n DESC, id LIMIT 25');
ordered('autocomplete',
	q{SELECT id, t_default FROM {s} WHERE t_default LIKE 'a%' ORDER BY t_default, id LIMIT 10});
ordered('WITH TIES', 'SELECT id FROM {s} ORDER BY id FETCH FIRST 5 ROWS WITH TIES');
ordered('OFFSET without LIMIT', 'SELECT id, i2 FROM {s} WHERE i2 > 990 ORDER BY i2, id OFFSET 3');
ordered('uuid order', 'SELECT id, u FROM {s} ORDER BY u, id LIMIT 10');
ordered('LIMIT 0', 'SELECT id FROM {s} ORDER BY id LIMIT 0', rows => 'any');
ordered('LIMIT ALL', 'SELECT id FROM {s} ORDER BY id DESC LIMIT ALL OFFSET 2995');
ordered('LIMIT from a subquery', 'SELECT id FROM {s} ORDER BY id LIMIT (SELECT count(*) FROM probe)');
ordered('ORDER BY an expression', 'SELECT id, t_default FROM {s} ORDER BY lower(t_default), id LIMIT 20');
ordered('ORDER BY USING a pattern operator',
	'SELECT id, t_default FROM {s} ORDER BY t_default USING ~<~, id LIMIT 20');
ordered('ORDER BY and LIMIT over a local condition',
	'SELECT id, t_c FROM {s} WHERE random() >= 0 ORDER BY t_c, id LIMIT 15');
ordered('DISTINCT ON', 'SELECT DISTINCT ON (d) d, id FROM {s} ORDER BY d, id');
read_rows('UNION of two reads',
	q{SELECT id FROM {s} WHERE d = '01/02/2024' UNION SELECT id FROM {s} WHERE f8 = 0.1});
ordered('window function',
	'SELECT id, row_number() OVER (ORDER BY t_default, id) FROM {s} ORDER BY id LIMIT 40');
ordered('FOR SHARE', 'SELECT id, d FROM {s} WHERE id < 5 ORDER BY id FOR SHARE');
read_rows('LIKE with ESCAPE', q{SELECT id, t_default FROM {s} WHERE t_default LIKE '%\_%' ESCAPE '\'});
read_rows('SIMILAR TO', q{SELECT id, t_default FROM {s} WHERE t_default SIMILAR TO '(a|A)%'});
read_rows('IS TRUE', 'SELECT id FROM {s} WHERE b IS NOT FALSE AND id < 50');
read_rows('BETWEEN SYMMETRIC', 'SELECT id FROM {s} WHERE i2 BETWEEN SYMMETRIC 10 AND -10');
read_rows('row comparison', 'SELECT id FROM {s} WHERE (i2, id) > (990, 0)');
read_rows('= ANY with a NULL element', q{SELECT id FROM {s} WHERE t_default = ANY (ARRAY['apple', NULL])});
push @corpus, {
	name => 'scrollable cursor', ordered => 1,
	runs => [
		'BEGIN',
		'DECLARE c SCROLL CURSOR FOR SELECT id, t_default FROM {s} WHERE id < 100 ORDER BY t_default, id',
		'FETCH 5 FROM c', 'FETCH BACKWARD 2 FROM c', 'FETCH ABSOLUTE 50 FROM c',
		'MOVE LAST IN c', 'FETCH PRIOR FROM c', 'COMMIT',
	],
};

# Prepared statements, executed more than five times (generic plans after
# the fifth; the generic-plan settings block forces them from the first).
sub prepared {
	my ($name, $prepare, @executions) = @_;
	push @corpus, {
		name => "prepared: $name", ordered => 1,
		setup => [$prepare], runs => [ map { "EXECUTE q($_)" } @executions ]
	};
}
prepared('int, LIMIT and OFFSET',
	'PREPARE q(int, bigint, bigint) AS SELECT id, i4 FROM {s} WHERE i4 % 100 = $1 '
	  . 'ORDER BY id LIMIT $2 OFFSET $3',
	'7, 5, 0', '-7, 5, 1', '13, 3, 0', '7, 5, 0', '7, 10, 2', '-13, 4, 0', '7, 5, 0');
prepared('date', 'PREPARE q(date) AS SELECT id, d FROM {s} WHERE d = $1 ORDER BY id',
	q{'01/02/2024'}, q{'2024-02-01'}, q{'infinity'}, q{'0044-03-15 BC'}, q{'01/02/2024'},
	q{'2024-01-02'}, q{'-infinity'});
prepared('float8', 'PREPARE q(float8) AS SELECT id, f8 FROM {s} WHERE f8 = $1 ORDER BY id',
	'0.1', '0.123456789', '1e-300', q{'Infinity'}, q{'-0'}, '0.3333333333333333',
	'123456789.123456789');
prepared('interval', 'PREPARE q(interval) AS SELECT id, iv FROM {s} WHERE iv = $1 ORDER BY id',
	q{'-1 2:00:00'}, q{'-1 day +2 hours'}, q{'1 mon -3 days'}, q{'P-10M'},
	q{'00:00:00.000001'}, q{'-1 days -02:00:00'}, q{'1 day -00:00:01'});
prepared('timestamptz', 'PREPARE q(timestamptz) AS SELECT id, tstz FROM {s} WHERE tstz = $1 ORDER BY id',
	q{'2024-03-10 07:30:00+00'}, q{'2024-11-03 05:30:00+00'}, q{'2024-11-03 01:30:00 EST'},
	q{'2024-01-02 10:00:00+05:30'}, q{'2024-04-06 14:00:00+00'}, q{'infinity'},
	q{'0044-03-15 12:00:00+00 BC'});
prepared('timestamp, used twice',
	q{PREPARE q(timestamp) AS SELECT id, ts FROM {s} WHERE ts <= $1 AND ts > $1 - interval '2 days' ORDER BY id},
	q{'2024-01-02 10:00'}, q{'01/02/2024 10:00'}, q{'2024-03-10 02:30:00'},
	q{'2024-11-03 01:30:00'}, q{'0044-03-16 BC'}, q{'2024-02-01 10:00'}, q{'2023-07-01'});
prepared('text', 'PREPARE q(text) AS SELECT id, t_default FROM {s} WHERE t_default = $1 ORDER BY id',
	q{'apple'}, q{'back\slash'}, q{'O''Brien'}, q{''}, q{'x,y{z}"q'}, q{'Äpfel'}, q{'ß'});
prepared('text in a C column',
	'PREPARE q(text) AS SELECT id, t_c FROM {s} WHERE t_c < $1 AND id < 200 ORDER BY id',
	q{'b'}, q{'B'}, q{'é'}, q{'a'}, q{'Z'}, q{'_'}, q{'1'});
prepared('numeric', 'PREPARE q(numeric) AS SELECT id, n FROM {s} WHERE n = $1 ORDER BY id',
	q{'NaN'}, '1e-30', '123456789012345678901234567890.123456789', '-52910', '1763.7',
	q{'NaN'}, '-37037.037');
prepared('money', 'PREPARE q(money) AS SELECT id, m FROM {s} WHERE m = $1 ORDER BY id',
	q{'-2469'}, q{'-4938'}, q{'-7407'}, q{'-9876'}, q{'-2469'}, q{'-12345'}, q{'-14814'});
prepared('text[]', 'PREPARE q(text[]) AS SELECT id, tags FROM {s} WHERE tags @> $1 ORDER BY id',
	q{'{apple}'}, q{'{ß}'}, q{'{"x,y{z}\"q"}'}, q{'{O''Brien}'}, q{'{apple}'}, q{'{"back\\\\slash"}'},
	q{'{""}'});
push @corpus, {
	name => 'prepared: NULL parameter', ordered => 1,
	setup => ['PREPARE q(date) AS SELECT id, d FROM {s} WHERE d IS NOT DISTINCT FROM $1 ORDER BY id'],
	runs => [ map { "EXECUTE q($_)" } 'NULL', q{'01/02/2024'}, 'NULL', 'NULL', 'NULL', 'NULL', 'NULL' ],
};
prepared('a join parameter',
	'PREPARE q(int) AS SELECT p.key, s.id, s.d FROM probe p JOIN {s} s ON s.d = p.d '
	  . 'WHERE p.key < $1 ORDER BY 1, 2',
	'40', '20', '60', '40', '100', '35', '40');

# The session's settings changed between reads of the same session (the
# connections and prepared remote statements it keeps must not remember
# the old ones).
push @corpus, {
	name => 'settings changed between reads of one session', ordered => 1,
	setup => ['PREPARE qd(date) AS SELECT id, d FROM {s} WHERE d = $1 ORDER BY id'],
	runs => [
		q{SELECT id, d FROM {s} WHERE d = '01/02/2024' ORDER BY id}, q{EXECUTE qd('01/02/2024')},
		q{SET DateStyle = 'SQL, DMY'},
		q{SELECT id, d FROM {s} WHERE d = '01/02/2024' ORDER BY id}, q{EXECUTE qd('01/02/2024')},
		q{SET DateStyle = 'German'},
		q{SELECT id, d FROM {s} WHERE d = '01.02.2024' ORDER BY id}, q{EXECUTE qd('2024-01-02')},
		q{SET IntervalStyle = 'sql_standard'},
		q{SELECT id, iv FROM {s} WHERE iv = '-1 2:00:00' ORDER BY id},
		q{SET extra_float_digits = -15},
		q{SELECT id, f8 FROM {s} WHERE f8 = 0.123456789 ORDER BY id},
		q{SET TimeZone = 'Asia/Kolkata'},
		q{SET DateStyle = 'Postgres, MDY'},
		q{SELECT id, tstz FROM {s} WHERE tstz = '2024-01-02 10:00:00+05:30' ORDER BY id},
		q{EXECUTE qd('01/02/2024')},
	],
};

# Joins: a few local rows looking the raced table up by key, one per type.
for my $key ([qw(id key)], [qw(d d)], [qw(f8 f8)], [qw(ts ts)], [qw(tstz tstz)], [qw(iv iv)],
	[qw(t_default word)], [qw(t_c word_c)], [qw(n n)], [qw(m m)], [qw(u u)], [qw(ip ip)])
{
	my ($column, $local) = @$key;
	ordered("parameterized nested loop on $column",
		"SELECT p.key, s.id, s.$column FROM probe p JOIN {s} s ON s.$column = p.$local ORDER BY p.key, s.id",
		set => \@nested_loop);
}
ordered('merge join of local rows on a timestamp',
	'SELECT p.key, s.id FROM probe p JOIN {s} s ON s.ts = p.ts ORDER BY 1, 2', set => \@merge_join);
ordered('LATERAL lookup with ORDER BY and LIMIT',
	'SELECT p.key, x.id, x.d FROM probe p CROSS JOIN LATERAL '
	  . '(SELECT s.id, s.d FROM {s} s WHERE s.d = p.d ORDER BY s.id LIMIT 2) x ORDER BY p.key, x.id');
ordered('correlated scalar subquery',
	'SELECT p.key, (SELECT count(*) FROM {s} s WHERE s.iv = p.iv) FROM probe p ORDER BY p.key');
ordered('correlated EXISTS',
	'SELECT p.key FROM probe p WHERE EXISTS (SELECT 1 FROM {s} s WHERE s.tstz = p.tstz) ORDER BY 1');
read_rows('semi-join', 'SELECT id, d FROM {s} WHERE id IN (SELECT key FROM probe)');
read_rows('anti-join', 'SELECT count(*) FROM {s} s WHERE NOT EXISTS (SELECT 1 FROM probe p WHERE p.d = s.d)');
ordered('raced table looked up from another raced table',
	'SELECT a.id, b.id FROM {s} a JOIN {s} b ON a.id = b.id + 1 WHERE a.id < 50 ORDER BY a.id',
	set => \@nested_loop);
ordered('merge join of two raced tables, millions of pairs',
	'SELECT a.b, count(*) FROM {s} a JOIN {s} b ON a.b = b.b GROUP BY a.b ORDER BY a.b',
	set => \@merge_join);
ordered('merge join of two raced tables on the key',
	'SELECT a.id, b.t_c FROM {s} a JOIN {s} b ON a.id = b.id ORDER BY a.id', set => \@merge_join);
ordered('full join of local rows',
	'SELECT p.key, s.id FROM probe p FULL JOIN {s} s ON s.id OPERATOR(pg_catalog.=) p.key AND s.id < 50 '
	  . 'WHERE s.id < 60 OR s.id IS NULL ORDER BY 1, 2');
ordered('join of a table raced by both groups',
	'SELECT a.id, b.d, b.f8 FROM {s} a JOIN {h} b ON b.id = a.id WHERE a.id < 100 ORDER BY a.id',
	set => \@nested_loop);
ordered('hash join of two raced tables',
	'SELECT s.id, f.mood FROM {s} s JOIN {fe} f ON f.id = s.id WHERE s.id < 300 ORDER BY s.id',
	set => [ 'SET enable_mergejoin = off', 'SET enable_nestloop = off' ]);

# Subqueries: their values reach the remote side as parameters.
read_rows('initplan: numeric', 'SELECT id, i4 FROM {s} WHERE i4 > (SELECT avg(i4) + 9000 FROM {s})');
read_rows('initplan: date',
	q{SELECT id, d FROM {s} WHERE d = (SELECT max(d) FROM {s} WHERE d < '2024-01-03')});
read_rows('initplan: float8', 'SELECT id, f8 FROM {s} WHERE f8 = (SELECT f8 FROM {s} WHERE id = 21)');
read_rows('initplan: timestamptz',
	'SELECT id, tstz FROM {s} WHERE tstz = (SELECT tstz FROM {s} WHERE id = 52)');
read_rows('initplan: interval', 'SELECT id, iv FROM {s} WHERE iv = (SELECT iv FROM {s} WHERE id = 53)');
read_rows('initplan: C text', 'SELECT id FROM {s} WHERE t_c = (SELECT t_c FROM {s} WHERE id = 30)');
read_rows('initplan: int[]', 'SELECT id FROM {s} WHERE id = ANY (ARRAY(SELECT key FROM probe))');
read_rows('initplan: timestamp[]',
	'SELECT id, ts FROM {s} WHERE ts = ANY (ARRAY(SELECT ts FROM probe WHERE ts IS NOT NULL))');
read_rows('initplan: date[]', 'SELECT id, d FROM {s} WHERE d = ANY (ARRAY(SELECT d FROM probe))');
ordered('ordered subquery with LIMIT',
	'SELECT * FROM (SELECT id, t_default FROM {s} ORDER BY t_default DESC, id LIMIT 10) x ORDER BY id');
read_rows('materialized CTE',
	'WITH x AS MATERIALIZED (SELECT id, i4 FROM {s} WHERE i4 > 9000) SELECT count(*), min(id), max(id) FROM x');

# A view over the raced table.
read_rows('view: date literal', q{SELECT id, d FROM {v} WHERE d = '01/02/2024'});
ordered('view: C text order', 'SELECT * FROM {v} ORDER BY t_c, id LIMIT 10');
ordered('view joined with local rows',
	'SELECT p.key, v.f8 FROM probe p JOIN {v} v ON v.id = p.key ORDER BY 1',
	set => \@nested_loop);

# Aggregates over raced tables.
read_rows('exact aggregates',
	q{SELECT count(*), count(i4), sum(i8), sum(n) FILTER (WHERE n <> 'NaN'), avg(i2), min(d), max(d),
		min(ts), max(tstz), min(iv), max(iv), bool_and(b), bool_or(b) FROM {s}});
read_rows('float aggregates', 'SELECT sum(f8), avg(f4), stddev(f8) FROM {s} WHERE f8 BETWEEN 0 AND 1000',
	approx => 1);
ordered('grouped string_agg',
	q{SELECT b, count(*), string_agg(t_default, ',' ORDER BY id) FROM {s} WHERE id < 200
		GROUP BY b ORDER BY b NULLS FIRST});
ordered('GROUP BY HAVING',
	'SELECT d, count(*) FROM {s} GROUP BY d HAVING count(*) > 5 ORDER BY d NULLS FIRST');
read_rows('count DISTINCT',
	'SELECT count(DISTINCT t_c), count(DISTINCT t_default), count(DISTINCT lower(t_default)) FROM {s}');
read_rows('array_agg of a date read', q{SELECT array_agg(id ORDER BY id) FROM {s} WHERE d = '01/02/2024'});
read_rows('count(*)', 'SELECT count(*) FROM {s}');
read_rows('min and max with NaN', 'SELECT min(f8), max(f8), min(n), max(n) FROM {s}');
read_rows('money aggregates', 'SELECT sum(m), min(m), max(m) FROM {s}');
ordered('grouped by year',
	q{SELECT extract(year FROM d) AS y, count(*) FROM {s}
		WHERE d > '-infinity' AND d < 'infinity' GROUP BY y ORDER BY y});

# A result larger than work_mem: the stored answer spills to disk.
ordered('every row past work_mem', 'SELECT * FROM {s} ORDER BY id', set => ["SET work_mem = '64kB'"]);

# ---------------------------------------------------------------------------
# The settings blocks: local settings varied (not the full cross product),
# each with the flavors of raced tables it runs on.
my @flavors_all = qw(raced imported hostile);
push @flavors_all, 'hostile_imported' if $hostile_imported;
my @blocks = (
	{
		name => 'ISO, MDY; postgres; efd 1; UTC',
		set => [ q{SET DateStyle = 'ISO, MDY'}, q{SET IntervalStyle = 'postgres'},
			'SET extra_float_digits = 1', q{SET TimeZone = 'UTC'} ],
		flavors => \@flavors_all,
	},
	{
		name => 'SQL, DMY; sql_standard; efd -15; New York; generic plans',
		set => [ q{SET DateStyle = 'SQL, DMY'}, q{SET IntervalStyle = 'sql_standard'},
			'SET extra_float_digits = -15', q{SET TimeZone = 'America/New_York'},
			'SET plan_cache_mode = force_generic_plan', qq{SET lc_monetary = '$monetary'},
			q{SET bytea_output = 'escape'} ],
		flavors => [qw(raced hostile)],
	},
	{
		name => 'German; iso_8601; efd 0; Chatham; hostile search_path',
		set => [ q{SET DateStyle = 'German'}, q{SET IntervalStyle = 'iso_8601'},
			'SET extra_float_digits = 0', q{SET TimeZone = 'Pacific/Chatham'},
			'SET search_path = trap, pg_catalog, public', qq{SET lc_numeric = '$monetary'} ],
		flavors => [qw(raced)],
	},
	{
		name => 'Postgres, MDY; postgres_verbose; efd 3; Kolkata',
		set => [ q{SET DateStyle = 'Postgres, MDY'}, q{SET IntervalStyle = 'postgres_verbose'},
			'SET extra_float_digits = 3', q{SET TimeZone = 'Asia/Kolkata'},
			q{SET lc_monetary = 'C'}, 'SET search_path = trap, public' ],
		flavors => [qw(raced hostile)],
	},
);

my $started = time;
my %plans;
for my $block (@blocks) {
	for my $flavor (@{ $block->{flavors} }) {
		for my $entry (@corpus) {
			my $result = $oracle->compare(
				entry => $entry, flavor => $flavor, map => $flavors{$flavor},
				settings => $block->{set}, label => "[$flavor; $block->{name}]",
				explain => $block == $blocks[0] && $flavor eq 'raced');
			$plans{ $entry->{name} } = $result->{plan} if defined $result->{plan};
		}
	}
}
note(sprintf('the corpus of %d reads ran in %d s', scalar @corpus, time - $started));

# Not vacuous: the raced reads went through a raced Foreign Scan, and the
# conditions that must run remotely did.
my @not_raced = grep { $plans{$_} !~ /Foreign Scan.*Race Targets: mq_primary, mq_standby1/s }
  sort keys %plans;
is(join(', ', @not_raced), '', 'every read of the corpus is a raced Foreign Scan');
my $like = qr/(?:~~|OPERATOR\(pg_catalog\.~~\))/;
my $equals = qr/(?:=|OPERATOR\(pg_catalog\.=\))/;
my %remote_sql = (
	'int4 negative constant' => qr/Remote SQL: SELECT id, i4 FROM public\.scalars WHERE .*i4/,
	'LIKE' => qr/Remote SQL: SELECT id, t_default FROM public\.scalars WHERE .*t_default\W* $like/,
	'int4 extremes' => qr/Remote SQL: .* WHERE .*i4 $equals ANY/,
	'autocomplete' => qr/Remote SQL: .* WHERE .*t_default\W* $like .* ORDER BY t_default.* LIMIT 10/,
	'last rows by id' => qr/Remote SQL: .* ORDER BY id LIMIT 10 OFFSET 2990/,
	'bool IS NULL' => qr/Remote SQL: .* WHERE .*b IS NULL/,
	'parameterized nested loop on id' => qr/Remote SQL: .* WHERE .*\$1::(?:pg_catalog\.)?integer/,
);
for my $name (sort keys %remote_sql) {
	like($plans{$name} // '', $remote_sql{$name}, "the condition of '$name' runs remotely");
}

# Both targets answered raced reads.
is($primary->safe_psql($db, q{
		SELECT string_agg(target, ',' ORDER BY target) FROM multiquery.race_stats
		WHERE target IN ('mq_primary', 'mq_standby1') AND races > 0}),
	'mq_primary,mq_standby1', 'both targets were raced');

done_testing();
