# Hedged start on a real primary and streaming standby: the query goes to the
# first target (the primary) alone and to the standby only when the primary
# has not answered within the hedge delay, or failed. Counted on the standby
# itself: with log_statement = 'all' it logs each query it executes, and each
# race's query carries a marker.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
$standby->append_conf('postgresql.conf', "log_statement = 'all'\n");
$standby->reload;
$primary->safe_psql('postgres', q{
	CREATE SERVER mq_dead FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '1', dbname 'postgres');
	CREATE USER MAPPING FOR PUBLIC SERVER mq_dead;
});

# How many times the standby executed a query carrying $marker.
my $standby_executed = sub {
	my ($marker) = @_;
	my $log = slurp_file($standby->logfile);
	my @hits = $log =~ /execute [^\s:]+: [^\n]*\Q$marker\E/g;
	return scalar @hits;
};
# A race whose primary sleeps $primary_sleep seconds; returns whether a
# standby answered ('t') or the primary ('f'), or the error.
my $session = $primary->background_psql('postgres', on_error_stop => 0);
my $race = sub {
	my ($marker, $primary_sleep, $args, $targets) = @_;
	$targets //= '{mq_primary,mq_standby1}';
	my ($out, $err) = session_query($session, qq{
		SELECT * FROM multiquery.race_query('$targets',
			'SELECT pg_is_in_recovery() /* $marker */
			 FROM (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 0 ELSE $primary_sleep END)) AS s'
			$args) AS t(in_recovery bool)});
	return $out eq '' ? $err : $out;
};
my $hedges = sub {
	return $primary->safe_psql('postgres',
		q{SELECT coalesce(sum(hedges), 0) FROM multiquery.race_stats WHERE target = 'mq_standby1'});
};
# Connections made first, so that connecting is not part of what is measured.
$race->('warm-up', 0, '');
$session->query_safe('SELECT multiquery.race_stats_reset()');

# 1. A fast first target and a long delay: the standby sees nothing.
is($race->("fast-$_", 0, q{, hedge_delay => '5s'}), 'f', "fast primary, long delay: race $_")
	for 1 .. 3;
is($standby_executed->("fast-$_"), 0, "the standby never saw race ${_}'s query") for 1 .. 3;
is($hedges->(), '0', 'no hedge counted');

# 2. A slow first target: one hedge per race, answered by the standby.
is($race->("slow-$_", 3, q{, hedge_delay => '100ms'}), 't', "slow primary: the hedge answers, race $_")
	for 1 .. 3;
is($standby_executed->("slow-$_"), 1, "the standby saw race ${_}'s query once") for 1 .. 3;
is($hedges->(), '3', 'race_stats.hedges counts the three late sends');
ok(poll_until(20, sub { remote_queries($primary, 'slow-') eq '0' }),
	"the slow primary's queries were cancelled");

# 3. The GUC, per session, does the same as the argument.
$session->query_safe(q{SET multiquery.hedge_delay = '5s'});
is($race->('guc-fast', 0, ''), 'f', 'multiquery.hedge_delay = 5s: the primary answers');
is($standby_executed->('guc-fast'), 0, 'and the standby never saw the query');
$session->query_safe('RESET multiquery.hedge_delay');
# A primary that answers at once could win before the standby has begun its
# query (its read-only BEGIN comes first) and have it cancelled unlogged: the
# primary sleeps, so the standby's execution is seen; "at once" is that no
# hedge is counted.
my $hedges_before = $hedges->();
is($race->('default', 1, ''), 't', 'by default (0) the standby is asked too ...');
is($standby_executed->('default'), 1, '... every target gets the query');
is($hedges->(), $hedges_before, '... at once, not as a hedge');

# 4. A first target that fails is hedged at once, not after the delay: the
# race would time out (2 s) long before the 60 s delay.
is($race->('dead-first', 0, q{, timeout_ms => 2000, hedge_delay => '60s'}, '{mq_dead,mq_standby1}'),
	't', 'the first target refused the connection: the next one is sent the query at once');

# 5. 'auto' without a history of the first target: all at once.
$session->query_safe('SELECT multiquery.race_stats_reset()');
is($race->('auto-none', 1, q{, hedge_delay => 'auto'}), 't', "'auto' with no history: the standby is asked too");
is($standby_executed->('auto-none'), 1, '... and the standby got the query too (all at once)');
is($hedges->(), '0', 'without a hedge');

# 6. 'auto' with a history: the first target's p95 winning latency (here 1 s,
# recorded through the statistics' test hook) is the delay.
$session->query_safe(q{SELECT multiquery.race_stats_reset();
	SELECT multiquery_test.record_race('mq_primary', 'win', 1000) FROM generate_series(1, 20)});
is($race->('auto-fast', 0, q{, hedge_delay => 'auto'}), 'f', "'auto' with a 1 s p95: a fast primary answers");
is($standby_executed->('auto-fast'), 0, '... alone');
is($race->('auto-slow', 3, q{, hedge_delay => 'auto'}), 't', "'auto': a primary slower than its p95 is hedged");
is($standby_executed->('auto-slow'), 1, '... the standby got the query once');
is($hedges->(), '1', 'one hedge counted');

# 7. Bad values are refused, with the accepted forms named.
my ($out, $err) = session_query($session, q{SET multiquery.hedge_delay = 'soon'});
like($err, qr/invalid value for parameter "multiquery.hedge_delay": "soon".*'auto' or a duration/s,
	'the GUC refuses a value that is neither auto nor a duration');
($out, $err) = session_query($session, q{SET multiquery.hedge_delay = '-5ms'});
like($err, qr/invalid value for parameter "multiquery.hedge_delay"/, 'or negative');
($out, $err) = session_query($session, q{
	SELECT * FROM multiquery.race_query('{mq_primary}', 'SELECT 1', hedge_delay => '10 parsecs') AS t(x int)});
like($err, qr/ERROR:  invalid hedge_delay: "10 parsecs".*Valid units for this parameter are/s,
	'the argument refuses it too, with the valid units');

$session->quit;
ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
$standby->stop;
$primary->stop;
done_testing();
