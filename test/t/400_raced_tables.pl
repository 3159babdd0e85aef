# Racing foreign tables on a primary and its standby: a foreign table on a
# race group reads the rows a direct query reads, the standby answers when the
# primary is slow (both count in race_stats), and a join of a few local rows
# looks the raced table up by key on the remote side instead of fetching it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
$standby->append_conf('postgresql.conf', "log_statement = 'all'");
$standby->reload;
$primary->safe_psql('postgres', q{
	CREATE TABLE docs (id int PRIMARY KEY, title text);
	INSERT INTO docs SELECT g, 'title ' || g FROM generate_series(1, 20000) g;
	-- Slow on the primary only: the standby must win a read of it.
	CREATE VIEW who_answers AS
		SELECT pg_is_in_recovery() AS standby
		FROM (SELECT CASE WHEN NOT pg_is_in_recovery() THEN pg_sleep(3) END) AS slow;
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
cmp_ok(time - $start, '<', 3, 'without waiting for the slow primary');
my $stats = $primary->safe_psql('postgres', q{
	SELECT target || ':' || (races > 0) || ':' || (wins > 0) FROM multiquery.race_stats
	WHERE target IN ('mq_primary', 'mq_standby1') ORDER BY target});
is($stats, "mq_primary:true:true\nmq_standby1:true:true", 'race_stats counts both targets');

# 3. A join of a few local rows: remote lookups by key, a parameterized scan.
$primary->safe_psql('postgres', 'ANALYZE raced.docs');
is($primary->safe_psql('postgres',
		"SELECT reltuples FROM pg_class WHERE oid = 'raced.docs'::regclass"),
	'20000', 'ANALYZE through a race counts the remote rows');
my $join = 'SELECT w.doc, d.title FROM wanted w JOIN raced.docs d ON d.id = w.doc ORDER BY w.doc';
my $plan = $primary->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $join");
like($plan, qr/Nested Loop/, 'the join is a nested loop');
like($plan, qr/Remote SQL: SELECT id, title FROM public\.docs WHERE \(\$1::integer = id\)/,
	'its raced scan looks up by key');
my $log_offset = -s $standby->logfile;
is($primary->safe_psql('postgres', $join), "17|title 17\n4242|title 4242\n19999|title 19999",
	'the join returns the rows');
my $log = '';
poll_until(10, sub {
	$log = slurp_file($standby->logfile, $log_offset);
	return $log =~ /parameters: \$1 = '19999'/;
});
my @lookups = $log =~ /parameters: \$1 = '(\d+)'/g;
is(join(',', sort { $a <=> $b } @lookups), '17,4242,19999',
	'the remote side received one key lookup per local row');
unlike($log, qr/FROM public\.docs(?! WHERE)/, 'and never a read of the whole table');

done_testing();
