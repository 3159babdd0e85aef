# Raced tables read through a pooler that drops the startup options: the
# remote sessions then run with the remote role's own DateStyle, IntervalStyle
# and extra_float_digits, and only the read-only block's settings make the
# values come back in the formats the local side reads. The remote role here
# has DateStyle 'SQL, DMY' (01/02/2024 is the 1st of February),
# IntervalStyle sql_standard and extra_float_digits -10, and every target is
# reached through a proxy that removes the "options" parameter from the
# startup packet, as PgBouncer does. Every read is compared with the same
# read of the local table, in local sessions of several styles.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;
use MultiQuery::StripProxy;

my ($primary, $standby) = race_cluster(1);
my $primary_proxy = start_strip_proxy($primary->port);
my $standby_proxy = start_strip_proxy($standby->port);
$primary->safe_psql('postgres', qq{
	CREATE ROLE pooled_reader LOGIN;
	ALTER ROLE pooled_reader SET DateStyle = 'SQL, DMY';
	ALTER ROLE pooled_reader SET IntervalStyle = 'sql_standard';
	ALTER ROLE pooled_reader SET extra_float_digits = -10;
	CREATE SERVER pooled_primary FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$primary_proxy', dbname 'postgres');
	CREATE SERVER pooled_standby FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$standby_proxy', dbname 'postgres');
	CREATE USER MAPPING FOR PUBLIC SERVER pooled_primary OPTIONS (user 'pooled_reader');
	CREATE USER MAPPING FOR PUBLIC SERVER pooled_standby OPTIONS (user 'pooled_reader');
	CREATE SERVER pooled_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'pooled_primary, pooled_standby');

	CREATE TABLE moments (id int PRIMARY KEY, d date, ts timestamp, tstz timestamptz,
	                      i interval, f float8, r real);
	INSERT INTO moments VALUES
		(1, '2024-02-01', '2024-02-01 10:00:00', '2024-02-01 10:00:00+00',
		 '-1 days -02:00:00', 0.123456789, 0.1),
		(2, '2024-01-02', '2024-01-02 23:59:59.5', '2024-01-02 10:00:00+05',
		 '-1 days +02:00:00', 0.1234567891, 1.0e-30),
		(3, '2024-12-31', '2024-12-31 00:00:00', '2024-12-31 23:59:59.999999+00',
		 '1 year 2 mons 3 days 04:05:06.789', 1e-300, 3.4028235e38),
		(4, '0044-03-15 BC', '0044-03-15 12:00:00 BC', '1999-12-31 23:59:59-08',
		 '-3 mons +10 days -00:00:01', -0.0, 'NaN'),
		(5, 'infinity', '-infinity', 'infinity', '0', 'Infinity', '-Infinity');
	GRANT SELECT ON moments TO pooled_reader;
	CREATE SCHEMA raced;
	CREATE FOREIGN TABLE raced.moments (id int, d date, ts timestamp, tstz timestamptz,
	                                    i interval, f float8, r real)
		SERVER pooled_reads OPTIONS (schema_name 'public', table_name 'moments');
});
$primary->wait_for_catchup($standby);

# The proxy really drops the options: a session through it has the role's styles.
is($primary->safe_psql('postgres', q{SHOW DateStyle},
		connstr => "host=127.0.0.1 port=$standby_proxy dbname=postgres user=pooled_reader "
			. "options='-c datestyle=ISO'"),
	'SQL, DMY', 'through the proxy, a session keeps the role\'s DateStyle whatever its options');

# $sql on the raced table and on the local table, in one local session with
# $settings, return the same output.
sub same_as_local {
	my ($what, $settings, $sql) = @_;
	my $run = sub {
		my ($table) = @_;
		(my $query = $sql) =~ s/\{T\}/$table/g;
		my ($rc, $out, $err) = $primary->psql('postgres', "$settings;\n$query",
			on_error_stop => 1);
		return $rc == 0 ? $out : "ERROR: $err";
	};
	my $expected = $run->('moments');
	unlike($expected, qr/^ERROR/, "$what: the local table answers");
	is($run->('raced.moments'), $expected, "$what: the raced table returns the same");
}

for my $local ('SET DateStyle = ISO', q{SET DateStyle = 'SQL, DMY'},
	q{SET DateStyle = 'German'; SET IntervalStyle = iso_8601},
	q{SET DateStyle = 'Postgres, MDY'; SET extra_float_digits = 0; SET TimeZone = 'Asia/Kolkata'})
{
	same_as_local("$local: every row", $local, 'SELECT * FROM {T} ORDER BY id');
	same_as_local("$local: WHERE d = a date", $local,
		q{SELECT id FROM {T} WHERE d = '2024-02-01'::date ORDER BY id});
	same_as_local("$local: WHERE i < an interval", $local,
		q{SELECT id FROM {T} WHERE i < '0'::interval ORDER BY id});
	same_as_local("$local: WHERE f = a float", $local,
		q{SELECT id FROM {T} WHERE f = 0.1234567891 ORDER BY id});
	same_as_local("$local: a prepared timestamp \$1", $local, q{
		PREPARE q(timestamp) AS SELECT id FROM {T} WHERE ts = $1;
		EXECUTE q('2024-01-02 23:59:59.5'); EXECUTE q('2024-01-02 23:59:59.5');
		EXECUTE q('2024-12-31 00:00:00'); EXECUTE q('2024-01-02 23:59:59.5');
		EXECUTE q('2024-01-02 23:59:59.5'); EXECUTE q('2024-02-01 10:00:00');
		EXECUTE q('2024-01-02 23:59:59.5')});
}

ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
done_testing();
