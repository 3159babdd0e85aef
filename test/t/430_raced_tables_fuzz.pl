# Differential fuzzing of racing foreign tables: SQLsmith's random SELECTs
# over the raced tables of test/fuzz/schema.sql, raced over a primary and its
# standby, must return what the same SELECTs over the real tables return
# (test/fuzz/RacedFuzz.pm says how the two are compared and what is
# normalised). Any difference, error of one side only, internal error or
# crash fails; each is written to fuzz_failures.sql (a crash's whole session
# to fuzz_crash_N.sql) in the log directory, replayable with psql -f.
#
# A fixed seed and a bounded run by default; the environment sizes others
# (make fuzz, test/fuzz/run.sh, runs this test with more):
#   MQ_FUZZ_QUERIES  queries to compare (default 500)
#   MQ_FUZZ_SECONDS  the most time spent comparing them (default 80)
#   MQ_FUZZ_SEED     SQLsmith's seed and the settings' (default 4242)
#   MQ_FUZZ_TIMEOUT_MS  each query's statement_timeout (default 1000)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../fuzz";
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use MultiQuery::RaceTest;
use RacedFuzz;

my $queries = $ENV{MQ_FUZZ_QUERIES} // 500;
my $seconds = $ENV{MQ_FUZZ_SECONDS} // 80;
my $seed    = $ENV{MQ_FUZZ_SEED}    // 4242;
my $timeout_ms = $ENV{MQ_FUZZ_TIMEOUT_MS} // 1000;

plan skip_all => 'sqlsmith is not installed (Debian package sqlsmith)'
  unless grep { -x "$_/sqlsmith" } split /:/, $ENV{PATH};

my ($primary, $standby) = race_cluster(1);

# The database of the schema. Its default collation is a real language's
# (German, when the server has it): text then sorts differently from the
# COLLATE "C" columns, and a collation mix-up shows.
my $locale = $primary->safe_psql('postgres', q{
	SELECT collname FROM pg_collation
	WHERE collname IN ('de_DE.utf8', 'en_US.utf8', 'C.utf8') AND collprovider = 'c'
	ORDER BY collname <> 'de_DE.utf8', collname <> 'en_US.utf8' LIMIT 1});
$primary->safe_psql('postgres', "CREATE DATABASE fuzz TEMPLATE template0 ENCODING 'UTF8' LOCALE '"
	  . ($locale || 'C') . "'");

# The race targets of this database: its primary and standby, as race_cluster
# made them for database postgres.
$primary->safe_psql('fuzz', 'CREATE EXTENSION multiquery');
for my $node ($primary, $standby) {
	my ($name, $port) = ('mq_' . $node->name, $node->port);
	$primary->safe_psql('fuzz', qq{
		CREATE SERVER $name FOREIGN DATA WRAPPER multiquery
			OPTIONS (host '127.0.0.1', port '$port', dbname 'fuzz');
		CREATE USER MAPPING FOR PUBLIC SERVER $name;
	});
}
$primary->safe_psql('fuzz', slurp_file("$FindBin::RealBin/../fuzz/schema.sql"));
$primary->wait_for_catchup($standby);

my %nodes = (
	connstr   => $primary->connstr('fuzz'),
	generator => $primary->connstr('fuzz') . ' user=fuzz_gen',
	watch     => [ map { $_->connstr('postgres') } $primary, $standby ],
	locale    => $locale);

# The comparison itself: a raced query that returns other rows, or fails
# alone, is caught (so that a broken harness cannot pass).
my $canary = RacedFuzz->new(%nodes, log_dir => "$PostgreSQL::Test::Utils::log_path/fuzz_canary",
	log => sub { });
my $caught = $canary->run([
	{ id => 1, raced => 'SELECT id FROM raced.items WHERE id < 5',
	  direct => 'SELECT id FROM src.items WHERE id < 6' },
	{ id => 2, raced => 'SELECT 1 / 0 FROM raced.items WHERE id < 5',
	  direct => 'SELECT 1 FROM src.items WHERE id < 5' },
	{ id => 3, raced => 'SELECT id, name FROM raced.items WHERE id < 5',
	  direct => 'SELECT id, name FROM src.items WHERE id < 5' } ]);
is(join(',', map { $_->{id} } @{ $caught->{failures} }), '1,2',
	'the fuzzer tells rows that differ and an error of one side from the same rows');

my $fuzz = RacedFuzz->new(%nodes, log_dir => $PostgreSQL::Test::Utils::log_path, seed => $seed,
	timeout_ms => $timeout_ms, log => sub { note $_[0] });

# About one SQLsmith query in five is usable (see RacedFuzzQueries::prepare).
my @cases = $fuzz->prepare($fuzz->generate(5 * $queries));
note sprintf 'SQLsmith (seed %d): %d usable queries; left out: %s', $seed, scalar @cases,
  join(', ', map { "$_ $fuzz->{skipped}{$_}" } sort keys %{ $fuzz->{skipped} });

my $start   = time;
my $summary = $fuzz->run(\@cases, max => $queries, seconds => $seconds);
my $spent   = time - $start;
diag sprintf 'compared %d raced queries with their direct runs in %.0f s (seed %d): %d returned rows',
  $summary->{ran}, $spent, $seed, $summary->{with_rows};
diag "  $_: $summary->{outcomes}{$_}" for sort keys %{ $summary->{outcomes} };

my @failures = @{ $summary->{failures} };
is(scalar @failures, 0, 'every raced query returns what the real tables return')
  or diag join "\n", 'distinct failures (first of each in fuzz_failures.sql):',
  map { "  $summary->{kinds}{$_}{count} x $_ (failure $summary->{kinds}{$_}{first})" }
  sort keys %{ $summary->{kinds} };
diag "failures written to $fuzz->{failures_file}" if @failures;

# Enough queries ran and returned rows for the run to mean something; a run
# cut short by its time limit is allowed a quarter of its queries.
cmp_ok($summary->{ran} + $summary->{crashes}, '>=', int($queries / 4),
	'a meaningful number of queries were compared');
cmp_ok($summary->{with_rows}, '>=', int($queries / 40),
	'and a meaningful number of them returned rows');

done_testing();
