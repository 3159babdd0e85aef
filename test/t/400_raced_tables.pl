# Racing foreign tables on a primary and its standby: a foreign table on a
# race group reads the rows a direct query reads, the standby answers when the
# primary is slow (both count in race_stats), and a join of a few local rows
# looks the raced table up by key on the remote side instead of fetching it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
# Every remote query logged, to see which lookups the targets received.
for my $node ($primary, $standby) {
	$node->append_conf('postgresql.conf', "log_statement = 'all'");
	$node->reload;
}
$primary->safe_psql('postgres', q{
	CREATE TABLE docs (id int PRIMARY KEY, title text);
	INSERT INTO docs SELECT g, 'title ' || g FROM generate_series(1, 20000) g;
	-- Slow on the primary only: the standby must win a read of it.
	CREATE VIEW who_answers AS
		SELECT pg_is_in_recovery() AS standby
		FROM (SELECT CASE WHEN NOT pg_is_in_recovery() THEN pg_sleep(10) END) AS slow;
	CREATE SERVER main_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_primary, mq_standby1');
	CREATE SCHEMA raced;
	CREATE FOREIGN TABLE raced.docs (id int, title text) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'docs');
	CREATE FOREIGN TABLE raced.who_answers (standby bool) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'who_answers');
	CREATE TABLE wanted (doc int);
	INSERT INTO wanted VALUES (17), (4242), (19999);
	ANALYZE wanted;
});
$primary->wait_for_catchup($standby);

# 1. The rows of a direct read.
for my $where ('id % 7 = 0', 'id IN (3, 5, 8000)', "title LIKE 'title 12%'", 'true') {
	my $direct = $primary->safe_psql('postgres',
		"SELECT id, title FROM docs WHERE $where ORDER BY id");
	my $raced = $primary->safe_psql('postgres',
		"SELECT id, title FROM raced.docs WHERE $where ORDER BY id");
	is($raced, $direct, "raced rows equal a direct read (WHERE $where)");
}

# 2. The standby answers when the primary is slow; both targets raced.
my $start = time;
is($primary->safe_psql('postgres', 'SELECT standby FROM raced.who_answers'), 't',
	'the standby answers a raced read the primary is slow to answer');
cmp_ok(time - $start, '<', 5, 'without waiting for the slow primary');
my $stats = $primary->safe_psql('postgres', q{
	SELECT target || ':' || (races > 0) FROM multiquery.race_stats
	WHERE target IN ('mq_primary', 'mq_standby1') ORDER BY target});
is($stats, "mq_primary:true\nmq_standby1:true", 'race_stats counts both targets');
is($primary->safe_psql('postgres',
		"SELECT wins > 0 FROM multiquery.race_stats WHERE target = 'mq_standby1'"),
	't', 'and the standby\'s win');

# 3. A join of a few local rows: remote lookups by key, a parameterized scan.
$primary->safe_psql('postgres', 'ANALYZE raced.docs');
is($primary->safe_psql('postgres',
		"SELECT reltuples FROM pg_class WHERE oid = 'raced.docs'::regclass"),
	'20000', 'ANALYZE through a race counts the remote rows');
my $join = 'SELECT w.doc, d.title FROM wanted w JOIN raced.docs d ON d.id = w.doc ORDER BY w.doc';
my $plan = $primary->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $join");
like($plan, qr/Nested Loop/, 'the join is a nested loop');
like($plan, qr/Remote SQL: SELECT id, title FROM public\.docs WHERE \(\$1 OPERATOR\(pg_catalog\.=\) id\)/,
	'its raced scan looks up by key');
# The lookups as the targets logged them (the winner of each logged it).
my %offset = map { $_->name => -s $_->logfile } ($primary, $standby);
sub remote_log {
	return join '', map { slurp_file($_->logfile, $offset{ $_->name }) } ($primary, $standby);
}
is($primary->safe_psql('postgres', $join), "17|title 17\n4242|title 4242\n19999|title 19999",
	'the join returns the rows');
my $log = '';
poll_until(10, sub { ($log = remote_log()) =~ /parameters: \$1 = '19999'/ });
my %keys = map { $_ => 1 } ($log =~ /parameters: \$1 = '(\d+)'/g);
is(join(',', sort { $a <=> $b } keys %keys), '17,4242,19999',
	'the remote side received a key lookup for each local row');
like($log, qr/execute [^:]*: SELECT id, title FROM public\.docs WHERE \(\$1 OPERATOR\(pg_catalog\.=\) id\)/,
	'as the parameterized remote query');
unlike($log, qr/FROM public\.docs(?! WHERE)/, 'and never a read of the whole table');

done_testing();
