# Monitoring: Debian's real prometheus-postgres-exporter with
# monitoring/postgres_exporter.yml scrapes the race and drain statistics of a
# running server, and every metric the Grafana dashboard
# (monitoring/grafana-dashboard.json) charts is among those it exports.
use strict;
use warnings;
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;

my $exporter_bin = '/usr/bin/prometheus-postgres-exporter';
plan skip_all => "$exporter_bin is not installed (test/deps.sh installs it)" unless -x $exporter_bin;

my $redis = MultiQuery::Redis->new;
$redis->start;
my $node = PostgreSQL::Test::Cluster->new('monitored');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
multiquery.redis_port = ${\ $redis->port}
multiquery.drain_database = 'postgres'
multiquery.drain_streams = 'metrics'
});
$node->start;
# The drained table belongs to an ordinary role: the drain refuses superusers' tables.
$node->safe_psql('postgres', q{CREATE EXTENSION multiquery; CREATE TABLE m (n int);
	CREATE ROLE queue_owner; ALTER TABLE m OWNER TO queue_owner;});

# Five races over two targets (this server, named twice), three drained rows.
my $conninfo = 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres';
for (1 .. 5) {
	$node->safe_psql('postgres', qq{
		SELECT * FROM multiquery.race_query(
			ARRAY['$conninfo application_name=one', '$conninfo application_name=two'],
			'SELECT 1') AS t(x int)});
}
$node->safe_psql('postgres', qq{SELECT multiquery.enqueue('m', '{"n": $_}', 'metrics')}) for 1 .. 3;
ok($node->poll_query_until('postgres', 'SELECT count(*) = 3 FROM m'), 'three rows drained');
# Two entries for a table that does not exist: two dead letters (42P01).
$node->safe_psql('postgres', q{SELECT multiquery._redis_xadd('metrics', ARRAY['table', 'public.nowhere', 'row', '{}'])})
	for 1 .. 2;
ok($node->poll_query_until('postgres', q{SELECT count(*) = 2 FROM multiquery.dead_letters WHERE stream = 'metrics'}),
	'two dead letters');

# The exporter, as a pg_monitor role, on a port of its own.
$node->safe_psql('postgres', q{CREATE ROLE scraper LOGIN IN ROLE pg_monitor});
my $port = PostgreSQL::Test::Cluster::get_free_port();
local $ENV{DATA_SOURCE_NAME} =
  'host=' . $node->host . ' port=' . $node->port . ' user=scraper dbname=postgres sslmode=disable';
my $log = PostgreSQL::Test::Utils::tempdir('exporter') . '/exporter.log';
my $exporter = IPC::Run::start([ $exporter_bin, "--web.listen-address=127.0.0.1:$port",
		'--extend.query-path=monitoring/postgres_exporter.yml' ],
	'>', $log, '2>&1');

my $metrics = '';
for (1 .. 100) {
	my $response = HTTP::Tiny->new(timeout => 5)->get("http://127.0.0.1:$port/metrics");
	$metrics = $response->{content} if $response->{success};
	last if $metrics =~ /^multiquery_drain_rows_applied/m;
	select(undef, undef, undef, 0.2);
}
like($metrics, qr/^multiquery_race_races\{[^}]*target="[^"]*application_name=one"[^}]*\} 5$/m,
	'races per target are exported as counters, by target');
like($metrics, qr/^# TYPE multiquery_race_wins counter$/m, 'wins are a counter');
like($metrics, qr/^multiquery_race_p99_ms\{[^}]*\} [0-9.e+-]+$/m, 'p99 latency is a gauge');
like($metrics, qr/^multiquery_drain_rows_applied\{[^}]*stream="metrics"[^}]*\} 3$/m,
	'the drain\'s rows per stream are exported');
like($metrics, qr/^multiquery_drain_running\{[^}]*stream="metrics"[^}]*\} 1$/m, 'and its state');
like($metrics, qr/^multiquery_drain_entries_removed_unread\{[^}]*stream="metrics"[^}]*\} 0$/m,
	'and the entries removed from its stream unread');
like($metrics, qr/^multiquery_dead_letters_entries\{(?=[^}]*sqlstate="42P01")(?=[^}]*stream="metrics")[^}]*\} 2$/m,
	'dead letters are counted by stream and SQLSTATE, by a role that may not read their payloads');
unlike($metrics, qr/^pg_exporter_user_queries_load_error\{[^}]*\} 1$/m, 'the queries file loads without error');

# What the dashboard charts is exported.
my $dashboard = decode_json(slurp_file('monitoring/grafana-dashboard.json'));
my %charted;
for my $panel (@{ $dashboard->{panels} }) {
	$charted{$_} = 1 for map { $_->{expr} =~ /\b(multiquery_[a-z0-9_]+)/g } @{ $panel->{targets} };
}
cmp_ok(scalar(keys %charted), '>=', 5, 'the dashboard charts multiquery metrics');
for my $name (sort keys %charted) {
	like($metrics, qr/^\Q$name\E\{/m, "the dashboard's $name is exported");
}

$exporter->kill_kill;
$node->stop;
$redis->stop;
done_testing();
