# The database the differential test of racing foreign tables reads, on a
# primary and its standby: tables of every column type a user keeps, filled
# deterministically; a remote role whose own settings are hostile; a local
# schema of look-alike operators; and the raced tables over it all, made by
# hand and by IMPORT FOREIGN SCHEMA, through the ordinary and the hostile
# role. The targets are this database's own primary and standby, so the
# tables themselves are the oracle.
package MultiQuery::RacedSchema;

use strict;
use warnings;
use Exporter 'import';

our @EXPORT = qw(build_schema);

my $db = 'oracle';

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

# The database, in that locale (or in ICU's); returns the locale the
# settings name for lc_monetary and lc_numeric.
sub create_database {
	my ($primary) = @_;
	my $locale = pick_locale();
	if (defined $locale) {
		$primary->safe_psql('postgres',
			"CREATE DATABASE $db LOCALE '$locale' TEMPLATE template0");
	}
	else {
		# No libc locale but C: an ICU default collation sorts differently too.
		$primary->safe_psql('postgres', "CREATE DATABASE $db LOCALE_PROVIDER icu "
			  . "ICU_LOCALE 'und' LOCALE 'C.UTF-8' TEMPLATE template0");
	}
	return $locale // 'C';
}

# The foreign servers of race_cluster live in its database; the same ones,
# for this database, here.
sub create_servers {
	my ($primary, $standby) = @_;
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
}

# Every column type a user keeps, a few thousand rows generated
# deterministically: extremes, NULLs, NaN and infinities, BC dates, DST
# edges, mixed-sign intervals, dates that read differently as MDY and DMY,
# text that sorts differently in C and in the default collation.
sub create_tables {
	my ($primary) = @_;
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
}

# The remote role's own settings, all different from the local session's,
# and a schema of objects that shadow pg_catalog's for any text sent
# unqualified: operators that always match, functions that lie, a "text"
# type that cannot hold a word.
sub create_hostile_role {
	my ($primary, $monetary) = @_;
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
}

# A local schema for the local session's search_path: non-built-in
# look-alikes of operators and functions the corpus uses, which must never be
# sent as the built-in ones (they answer differently, yet never emptily).
sub create_trap {
	my ($primary) = @_;
	$primary->safe_psql($db, q{
		CREATE SCHEMA trap;
		CREATE FUNCTION trap.eq_or_negated(int, int) RETURNS bool LANGUAGE sql IMMUTABLE
			AS 'SELECT $1 OPERATOR(pg_catalog.=) $2 OR $1::int8 OPERATOR(pg_catalog.=) -$2::int8';
		CREATE OPERATOR trap.= (leftarg = int, rightarg = int, function = trap.eq_or_negated);
		CREATE FUNCTION trap.length(text) RETURNS int LANGUAGE sql IMMUTABLE
			AS 'SELECT pg_catalog.length($1) + 1';
		CREATE TEXT SEARCH CONFIGURATION trap.simple (COPY = pg_catalog.english);
	});
}

# The raced tables: by hand, with the remote columns' types and collations
# (the enum as text, as postgres_fdw's own tests declare it, and as itself);
# over each group.
sub create_raced_tables {
	my ($primary, $standby) = @_;
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
}

# And imported: the catalog read through a race of each group. Returns what
# IMPORT FOREIGN SCHEMA ... LIMIT TO through the hostile role said on stderr,
# how many tables it imported, and whether the hostile import is there to
# read (by the list or, failing that, without it).
sub import_tables {
	my ($primary) = @_;
	$primary->safe_psql($db, q{
		CREATE SCHEMA imported;
		IMPORT FOREIGN SCHEMA public LIMIT TO (scalars, feelings)
			FROM SERVER raced_group INTO imported;
		CREATE SCHEMA hostile_imported;
	});
	my ($import_rc, $import_out, $import_err) = $primary->psql($db, q{
		IMPORT FOREIGN SCHEMA public LIMIT TO (scalars, feelings)
			FROM SERVER hostile_group INTO hostile_imported});
	my $imported_count = sub {
		return $primary->safe_psql($db,
			"SELECT count(*) FROM pg_foreign_table t JOIN pg_class c ON c.oid = t.ftrelid "
			  . "WHERE c.relnamespace = 'hostile_imported'::regnamespace "
			  . "AND c.relname IN ('scalars', 'feelings')");
	};
	my $by_list = $imported_count->();
	# Without the list, so that the reads through the import still run.
	$primary->psql($db, 'IMPORT FOREIGN SCHEMA public FROM SERVER hostile_group INTO hostile_imported')
	  if $imported_count->() != 2;
	return ($import_err, $by_list, $imported_count->() == 2);
}

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

# build_schema($primary, $standby): all of the above. Returns
#   db                the database's name
#   monetary          the locale for lc_monetary and lc_numeric ('C' if none)
#   import_error      stderr of IMPORT ... LIMIT TO through the hostile role
#   imported_by_list  how many tables that import brought (2 expected)
#   direct            the placeholders mapped to the tables
#   flavors           {flavor => the placeholders mapped to its raced relations},
#                     hostile_imported only when that import is there
sub build_schema {
	my ($primary, $standby) = @_;
	my $monetary = create_database($primary);
	create_servers($primary, $standby);
	create_tables($primary);
	create_hostile_role($primary, $monetary);
	create_trap($primary);
	create_raced_tables($primary, $standby);
	my ($import_error, $by_list, $hostile_imported) = import_tables($primary);

	# The same view over the table and over each flavor of raced table.
	for my $schema (qw(public raced imported hostile), $hostile_imported ? 'hostile_imported' : ()) {
		$primary->safe_psql($db, qq{CREATE VIEW $schema.scalars_view AS
			SELECT id, d, f8, t_c FROM $schema.scalars WHERE id % 2 = 0});
	}
	my %flavors = (
		raced => flavor('raced', 'feelings_enum', 'hostile'),
		imported => flavor('imported', 'feelings', 'hostile'),
		hostile => flavor('hostile', 'feelings_enum', 'raced'),
		$hostile_imported ? (hostile_imported => flavor('hostile_imported', 'feelings', 'raced')) : (),
	);
	return {
		db => $db,
		monetary => $monetary,
		import_error => $import_error,
		imported_by_list => $by_list,
		direct => flavor('public', 'feelings', 'public'),
		flavors => \%flavors,
	};
}

1;
