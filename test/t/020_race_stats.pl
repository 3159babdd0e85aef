# Race statistics in shared memory on real servers: shared by concurrent
# backends, reset from any session, kept on a standby too, gone after a
# restart; and, without shared_preload_libraries, empty views and no crash.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $per_session = 20000;

my $primary = PostgreSQL::Test::Cluster->new('stats_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
multiquery.stats_max_targets = 8
});
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION multiquery; CREATE EXTENSION multiquery_test');

is($primary->safe_psql('postgres',
		'SELECT tracking, targets, max_targets, untracked FROM multiquery.race_stats_info'),
	't|0|8|0', 'preloaded: statistics are tracked, with the configured table size');

# Two sessions record at the same time; a third sees every outcome exactly once.
my $one = $primary->background_psql('postgres');
my $two = $primary->background_psql('postgres');
my $record = sub {
	my ($target, $outcome) = @_;
	return "SELECT count(*) FROM generate_series(1, $per_session) AS i, "
	  . "LATERAL multiquery_test.record_race('$target', '$outcome', i % 50 + 1, "
	  . "CASE WHEN '$outcome' = 'error' THEN 'error ' || i END);";
};
$one->query_until(qr/started/, "\\echo started\n" . $record->('node_a', 'win') . "\n");
$two->query_safe($record->('node_a', 'cancel'));
$two->query_safe($record->('node_b', 'error'));
$one->query_safe('SELECT 1');  # waits for the first session's batch to finish

is($primary->safe_psql('postgres', q{
		SELECT target, races, wins, cancels, errors FROM multiquery.race_stats ORDER BY target}),
	"node_a|" . (2 * $per_session) . "|$per_session|$per_session|0\n"
	  . "node_b|$per_session|0|0|$per_session",
	'concurrent sessions lose no outcome and count none twice');
is($primary->safe_psql('postgres', q{
		SELECT last_error FROM multiquery.race_stats WHERE target = 'node_b'}),
	"error $per_session", 'the last error is the one recorded last');
is($primary->safe_psql('postgres', q{
		SELECT sum(wins) FROM multiquery.race_wins_per_minute WHERE target = 'node_a'}),
	$per_session, 'every win is in the per-minute view');
# Latencies 1..50 ms, evenly: the median is 25 ms give or take the histogram's 1/32.
ok($primary->safe_psql('postgres', q{
		SELECT abs(p50_ms - 25) <= 25 / 32.0 FROM multiquery.race_stats WHERE target = 'node_a'})
	  eq 't', 'the median winning latency is within the histogram error');

# A reset from the first session empties what the second one reads.
$one->query_safe('SELECT multiquery.race_stats_reset()');
is($two->query_safe('SELECT count(*) FROM multiquery.race_stats'), '0',
	'a reset in one session is seen by another');
is($two->query_safe('SELECT count(*) FROM multiquery.race_wins_per_minute'), '0',
	'and it empties the per-minute view too');
$one->quit;
$two->quit;

# A full table counts what it cannot track instead of failing the race.
$primary->safe_psql('postgres', q{
	SELECT count(*) FROM generate_series(1, 10) AS i,
	       LATERAL multiquery_test.record_race('full_' || i, 'win', i)});
is($primary->safe_psql('postgres',
		'SELECT targets, untracked FROM multiquery.race_stats_info'),
	'8|2', 'beyond stats_max_targets, outcomes are counted as untracked');

# A standby keeps statistics of its own (a race may run on any node).
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('stats_standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
$standby->safe_psql('postgres',
	"SELECT multiquery_test.record_race('from_standby', 'win', 3)");
is($standby->safe_psql('postgres', 'SELECT target, wins FROM multiquery.race_stats'),
	'from_standby|1', 'a standby records in its own shared memory');
is($primary->safe_psql('postgres',
		q{SELECT count(*) FROM multiquery.race_stats WHERE target = 'from_standby'}),
	'0', 'which the primary does not share');
$standby->stop;

# Statistics live in shared memory only: a restart starts them afresh.
$primary->restart;
is($primary->safe_psql('postgres',
		'SELECT targets, untracked, count(s.target) FROM multiquery.race_stats_info '
		  . 'LEFT JOIN multiquery.race_stats s ON true GROUP BY 1, 2'),
	'0|0|0', 'after a restart the statistics start empty');

# Without shared_preload_libraries the library loads on first use, records
# nothing, and says so without alarm.
my $plain = PostgreSQL::Test::Cluster->new('stats_plain');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION multiquery; CREATE EXTENSION multiquery_test');
my ($rc, $out, $err) = $plain->psql('postgres', q{
	SELECT multiquery_test.record_race('node_a', 'win', 5);
	SELECT multiquery_test.record_race('node_a', 'error', 5, 'boom');
	SELECT multiquery_test.record_race('node_a', 'hedge', NULL);
	SELECT multiquery.race_stats_reset();
	SELECT count(*) FROM multiquery.race_stats;
	SELECT count(*) FROM multiquery.race_wins_per_minute;
	SELECT tracking, targets, untracked, stats_reset IS NULL FROM multiquery.race_stats_info;
	SELECT multiquery_test.latency_quantile('node_a', 0.5) IS NULL;
});
is($rc, 0, 'not preloaded: recording, reading and resetting all succeed');
is($out, "\n\n\n\n0\n0\nf|0|0|t\nt", 'not preloaded: the views are empty and tracking is off');
is($err, '', 'not preloaded: nothing is said about it');

ok(!$primary->log_contains('terminated by signal'), 'no backend of the primary crashed');
ok(!$plain->log_contains('terminated by signal'), 'no backend of the plain server crashed');
$primary->stop;
$plain->stop;
done_testing();
