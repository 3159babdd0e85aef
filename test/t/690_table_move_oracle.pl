# table_diff and table_sync against an oracle. A source table in one
# database and a target in another start from the same random rows of every
# common type (NULLs, -0, NaN, infinities, numerics that are equal but
# written differently, text that the default collation and "C" order
# differently, timestamps near a DST change); then rows are deleted, added
# and changed on either side at random. table_diff must name exactly the
# keys a comparison of the two tables' rows as text finds, and after
# table_sync the target's rows, read as text in its own database, must be
# the source's, whatever the caller's session settings (DateStyle,
# TimeZone, extra_float_digits, IntervalStyle, search_path). Simple and
# composite keys, several seeds (MQ_SEED picks one to replay).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RacedSchema;

my @seeds = $ENV{MQ_SEED} ? ($ENV{MQ_SEED}) : (7, 8, 9);
my $rows = 1500;

my $node = PostgreSQL::Test::Cluster->new('move_oracle');
$node->init;
$node->start;
# Default collations unlike C's and unlike each other: a libc locale on the
# source's side (ICU's when there is none), ICU's root on the target's.
my $locale = MultiQuery::RacedSchema::pick_locale();
$node->safe_psql('postgres', defined $locale
	? "CREATE DATABASE olddb LOCALE '$locale' TEMPLATE template0"
	: "CREATE DATABASE olddb LOCALE_PROVIDER icu ICU_LOCALE 'de' LOCALE 'C.UTF-8' TEMPLATE template0");
$node->safe_psql('postgres',
	"CREATE DATABASE newdb LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C.UTF-8' TEMPLATE template0");
my ($port, $host) = ($node->port, $node->host);
$node->safe_psql('newdb', qq{
	CREATE EXTENSION multiquery;
	CREATE EXTENSION postgres_fdw;
	CREATE SERVER old_srv FOREIGN DATA WRAPPER postgres_fdw
		OPTIONS (host '$host', port '$port', dbname 'olddb');
	CREATE USER MAPPING FOR CURRENT_USER SERVER old_srv;
	CREATE SCHEMA old;
});
for my $db ('olddb', 'newdb') {
	$node->safe_psql($db, q{CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')});
}

# The columns, each with how to make a random value (a SQL literal or NULL).
my @chars = ('a', 'B', 'z', 'é', 'É', ' ', '-', '_', 'ß', 'Z', '1');
sub word { join '', map { $chars[ int rand @chars ] } 1 .. 1 + int rand 6 }
sub quoted { my $s = shift; $s =~ s/'/''/g; "'$s'" }
sub maybe_null { my $make = shift; rand() < 0.1 ? 'NULL' : $make->() }
my @columns = (
	[ 'i4',   'int',              sub { int(rand 2e9) - 1e9 } ],
	[ 'i8',   'bigint',           sub { (int(rand 2) ? '-' : '') . int(rand 9e15) } ],
	[ 'num',  'numeric',          sub { "'" . (qw(1.10 1.1 0 -0.000 1e-20 123456789.123456789 NaN))[ int rand 7 ] . "'::numeric" } ],
	[ 'f8',   'float8',           sub { "'" . (qw(-0 0 NaN Infinity -Infinity 0.1 1e308 3.14159265358979))[ int rand 8 ] . "'" } ],
	[ 'f4',   'real',             sub { "'" . (qw(0.1 -0 1.5e-30 3.4e38 NaN))[ int rand 5 ] . "'" } ],
	[ 't',    'text',             sub { quoted(word()) } ],
	[ 'tc',   'text COLLATE "C"', sub { quoted(word()) } ],
	[ 'vc',   'varchar(12)',      sub { quoted(word()) } ],
	[ 'b',    'boolean',          sub { rand() < 0.5 ? 'true' : 'false' } ],
	[ 'd',    'date',             sub { "date '2024-01-01' + " . (int(rand 4000) - 2000) } ],
	[ 'ts',   'timestamp',        sub { "timestamp '2024-03-31 01:30' + interval '" . int(rand 7200) . " s'" } ],
	[ 'tz',   'timestamptz',      sub { "timestamptz '2024-10-27 00:30+00' + interval '" . int(rand 7200) . " s'" } ],
	[ 'iv',   'interval',         sub { "interval '" . int(rand 50) . " days " . int(rand 90000) . " s'" } ],
	[ 'by',   'bytea',            sub { "'\\x" . join('', map { sprintf '%02x', int rand 256 } 1 .. int rand 5) . "'" } ],
	[ 'jb',   'jsonb',            sub { quoted(sprintf '{"k": %d, "w": "%s", "n": null}', int rand 9, word()) } ],
	[ 'u',    'uuid',             sub { "'" . join('-', map { sprintf '%08x', int rand 2**32 } 1) . "-0000-4000-8000-" . sprintf('%012x', int rand 2**40) . "'" } ],
	[ 'ai',   'int[]',            sub { "'{" . join(',', map { int rand 9 } 1 .. int rand 4) . "}'" } ],
	[ 'at',   'text[]',           sub { "ARRAY[" . join(',', map { quoted(word()) } 1 .. 1 + int rand 3) . "]" } ],
	[ 'ip',   'inet',             sub { "'10." . int(rand 256) . '.' . int(rand 256) . ".0/" . (16 + int rand 17) . "'" } ],
	[ 'js',   'json',             sub { quoted(sprintf '{"k":  %d, "k": "%s"}', int rand 9, word()) } ],
	[ 'pt',   'point',            sub { "point(" . int(rand 9) . ", " . (int(rand 9) / 4) . ")" } ],
	[ 'mo',   'mood',             sub { "'" . (qw(sad ok happy))[ int rand 3 ] . "'" } ],
);

# Every row of a table as text, sorted by key, read in its own database
# under fixed settings: what the oracle compares.
sub dump_rows {
	my ($db, $table, $key) = @_;
	return $node->safe_psql($db, qq{
		SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres';
		SET extra_float_digits = 3;
		SELECT $key, r::text FROM $table r ORDER BY $key COLLATE "C"});
}

sub rows_by_key {
	my ($dump) = @_;
	my %rows;
	for my $line (split /\n/, $dump) {
		my ($key, $row) = $line =~ /^(.*?)\|(\(.*\))$/ or die "unexpected line: $line";
		$rows{$key} = $row;
	}
	return \%rows;
}

for my $seed (@seeds) {
	for my $composite (0, 1) {
		srand($seed * 2 + $composite);
		my $name = $composite ? "pairs_$seed" : "single_$seed";
		my $key_columns = $composite ? 'k1 int, k2 text' : 'k1 int';
		my $pk = $composite ? 'k1, k2' : 'k1';
		my $key_text = $composite ? "k1 || ',' || k2" : 'k1::text';
		my $ddl = "CREATE TABLE $name ($key_columns, "
			. join(', ', map { "$_->[0] $_->[1]" } @columns) . ", PRIMARY KEY ($pk))";
		$node->safe_psql($_, $ddl) for 'olddb', 'newdb';
		# The foreign table's columns have the types of the target's, but
		# not their collations.
		my $foreign_ddl = "CREATE FOREIGN TABLE old.$name ($key_columns, "
			. join(', ', map { "$_->[0] " . ($_->[1] =~ s/ COLLATE "C"//r) } @columns)
			. ") SERVER old_srv OPTIONS (schema_name 'public', table_name '$name')";
		$node->safe_psql('newdb', $foreign_ddl);

		my %used;
		my $make_key = sub {
			for (;;) {
				my $k1 = int rand 100000;
				my $key = $composite ? "$k1, " . quoted(word()) : "$k1";
				return $key unless $used{$key}++;
			}
		};
		my $make_row = sub {
			my ($key) = @_;
			return "($key, " . join(', ', map { my $c = $_; maybe_null($c->[2]) } @columns) . ")";
		};
		my @keys = map { $make_key->() } 1 .. $rows;
		my $values = join(",\n", map { $make_row->($_) } @keys);
		$node->safe_psql($_, "INSERT INTO $name VALUES $values") for 'olddb', 'newdb';

		# Both sides drift: rows deleted, added and changed, on either side.
		for my $db ('olddb', 'newdb') {
			my @sql;
			for my $key (@keys) {
				my $where = $composite ? do { my ($a, $b) = split /, /, $key, 2; "k1 = $a AND k2 = $b" } : "k1 = $key";
				my $roll = rand;
				if ($roll < 0.01) {
					push @sql, "DELETE FROM $name WHERE $where";
				} elsif ($roll < 0.03) {
					my $c = $columns[ int rand @columns ];
					push @sql, "UPDATE $name SET $c->[0] = " . maybe_null($c->[2]) . " WHERE $where";
				}
			}
			push @sql, "INSERT INTO $name VALUES " . $make_row->($make_key->()) for 1 .. 10;
			$node->safe_psql($db, join(";\n", @sql));
		}

		# The oracle's diff: keys compared as the rows' text.
		my $source = rows_by_key(dump_rows('olddb', $name, $key_text));
		my $target = rows_by_key(dump_rows('newdb', $name, $key_text));
		my %expected;
		for my $k (keys %$source) {
			$expected{$k} = !exists $target->{$k} ? 'missing'
				: $target->{$k} ne $source->{$k} ? 'changed' : undef;
		}
		exists $source->{$_} or $expected{$_} = 'extra' for keys %$target;
		my $expected = join("\n", sort map { "$expected{$_} $_" }
			grep { defined $expected{$_} } keys %expected);
		cmp_ok(scalar(grep { defined } values %expected), '>', 20, "$name: the sides differ");

		my $key_of = $composite ? q{(key->>'k1') || ',' || (key->>'k2')} : q{key->>'k1'};
		my ($diff_out, $diff_err);
		$node->psql('newdb', qq{
			SELECT change || ' ' || ($key_of) FROM multiquery.table_diff('public.$name', 'old.$name')
			ORDER BY 1}, stdout => \$diff_out, stderr => \$diff_err);
		my $got = join("\n", sort split /\n/, $diff_out // '');
		is($got, $expected, "$name: table_diff names exactly the keys whose rows differ")
			or diag("stderr: $diff_err");

		# Synced under settings unlike the oracle's.
		my ($sync_out, $sync_err);
		$node->psql('newdb', qq{
			SET DateStyle = 'SQL, DMY'; SET TimeZone = 'Pacific/Chatham';
			SET extra_float_digits = 0; SET IntervalStyle = 'sql_standard';
			SET search_path = old, pg_catalog;
			CALL multiquery.table_sync('public.$name', 'old.$name');
		}, stdout => \$sync_out, stderr => \$sync_err);
		is($sync_err, '', "$name: table_sync under other settings raises nothing");
		is(dump_rows('newdb', $name, $key_text), dump_rows('olddb', $name, $key_text),
			"$name: after table_sync the target holds the source's rows, value for value");
		is($node->safe_psql('newdb', "SELECT count(*) FROM multiquery.table_diff('public.$name', 'old.$name')"),
			'0', "$name: and table_diff finds nothing left");
	}
}

$node->stop;
done_testing();
