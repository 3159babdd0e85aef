# Races called on standby 1 over {primary, standby 1, standby 2} while a
# node fails: the primary hung (SIGSTOP), the primary saturated, standby 2
# down; then a failover while races run (the primary stopped, then standby 2
# promoted: at no moment two primaries). Every race answers, and min_lsn
# keeps its meaning on the new timeline.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby1, $standby2) = race_cluster(2);
my $three = '{mq_primary,mq_standby1,mq_standby2}';
# $calls races 0.1 s apart in one session (its connection cache and
# back-off carry over); one line per call: whether a standby answered, and
# the count it read. A saturated primary does $work units of extra work.
$primary->safe_psql('postgres', q{
	CREATE TABLE docs (id int PRIMARY KEY, title text);
	INSERT INTO docs SELECT g, 'doc ' || g FROM generate_series(1, 100) g;
	CREATE FUNCTION race_calls(targets text[], calls int, work int DEFAULT 0)
	RETURNS TABLE (call int, in_recovery bool, n bigint) LANGUAGE plpgsql AS $$
	BEGIN
		FOR i IN 1 .. calls LOOP
			SELECT r, c INTO in_recovery, n FROM multiquery.race_query(targets,
				'SELECT pg_is_in_recovery(), (SELECT count(*) FROM docs)
				   FROM (SELECT count(*) FROM generate_series(1,
				         CASE WHEN pg_is_in_recovery() THEN 0 ELSE $1::int END)) AS w',
				ARRAY[work::text]) AS t(r bool, c bigint);
			call := i;
			RETURN NEXT;
			PERFORM pg_sleep(0.1);
		END LOOP;
	END $$;
	-- Races until standby 2 has been promoted and $after more races have
	-- run there (at most $seconds): how many ran, and how many returned
	-- anything but the 100 rows of docs.
	CREATE FUNCTION races_through_failover(targets text[], after int, seconds int,
		OUT races int, OUT after_promotion int, OUT wrong int) LANGUAGE plpgsql AS $$
	DECLARE
		deadline timestamptz := clock_timestamp() + seconds * interval '1s';
		promoted bool;
		c bigint;
	BEGIN
		races := 0; after_promotion := 0; wrong := 0;
		WHILE after_promotion < after AND clock_timestamp() < deadline LOOP
			SELECT x INTO c FROM multiquery.race_query(targets,
				'SELECT count(*) FROM docs') AS t(x bigint);
			races := races + 1;
			IF c IS DISTINCT FROM 100 THEN wrong := wrong + 1; END IF;
			SELECT NOT r INTO promoted FROM multiquery.race_query('{mq_standby2}',
				'SELECT pg_is_in_recovery()') AS t(r bool);
			IF promoted THEN after_promotion := after_promotion + 1; END IF;
			PERFORM pg_sleep(0.05);
		END LOOP;
	END $$;
});
$primary->wait_for_catchup($_) for ($standby1, $standby2);

my $session = $standby1->background_psql('postgres', on_error_stop => 0);
$session->query_safe(q{SET multiquery.race_timeout = '30s'});
# Warm connections to every target, about to fail under a running race.
$session->query_safe(qq{SELECT * FROM race_calls('$three', 2)});

# Every call returned the table's 100 rows; how many a standby answered.
sub check_calls {
	my ($output, $calls, $what) = @_;
	my @lines = split /\n/, $output;
	is(scalar(@lines), $calls, "$what: every call returned");
	is(scalar(grep { (split /\|/)[2] ne '100' } @lines), 0, "$what: each with the table's rows")
	  or diag($output);
	return scalar grep { (split /\|/)[1] eq 't' } @lines;
}
my $stat = sub {
	my ($target, $column) = @_;
	my ($out) = session_query($session,
		"SELECT $column FROM multiquery.race_stats WHERE target = '$target'");
	return $out;
};
# Waits until a race over $target alone is answered (its back-off over).
my $answers_again = sub {
	my ($target) = @_;
	return poll_until(30, sub {
		my ($out) = session_query($session, qq{
			SELECT * FROM multiquery.race_query('{$target}', 'SELECT 1') AS t(x int)});
		$out eq '1';
	});
};

# 1. The primary hangs: its kernel accepts connections, nothing answers.
session_query($session, 'SELECT multiquery.race_stats_reset()');
freeze_node($primary);
my ($calls) = session_query($session, qq{SELECT * FROM race_calls('$three', 8)});
is(check_calls($calls, 8, 'primary hung'), 8, 'primary hung: the standbys answered every call');
thaw_node($primary);
is($stat->('mq_primary', 'wins'), '0', 'race_stats on the standby: the primary won none');
ok($answers_again->('mq_primary'), 'the thawed primary answers again');

# 2. The primary saturated: four backends burn its CPU, and every read
# there costs far more than on a standby (three million rows counted).
my @burners;
for (1 .. 4) {
	my ($out, $err) = ('', '');
	push @burners, IPC::Run::start(
		[ 'psql', '-X', '-d', $primary->connstr('postgres'), '-c',
			q{SET application_name = 'burner'; SELECT count(*) FROM generate_series(1, 1e11::bigint)} ],
		'>', \$out, '2>', \$err, IPC::Run::timeout(120));
}
ok($primary->poll_query_until('postgres',
		q{SELECT count(*) = 4 FROM pg_stat_activity WHERE application_name = 'burner'}),
	'four CPU-bound queries run on the primary');
session_query($session, 'SELECT multiquery.race_stats_reset()');
($calls) = session_query($session, qq{SELECT * FROM race_calls('$three', 8, 3000000)});
is(check_calls($calls, 8, 'primary saturated'), 8,
	'primary saturated: the standbys answered every call');
ok($stat->('mq_primary', 'cancels') > 0, 'the primary\'s late queries were cancelled');
ok(poll_until(20, sub { remote_queries($primary, 'generate_series(1,') eq '0' }),
	'none of them runs on');
$primary->safe_psql('postgres',
	q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'burner'});
$_->finish for @burners;

# 3. Standby 2 down: connection refused.
$standby2->stop('immediate');
session_query($session, 'SELECT multiquery.race_stats_reset()');
($calls) = session_query($session, qq{SELECT * FROM race_calls('$three', 8)});
check_calls($calls, 8, 'standby 2 down');
# Its cached connection breaks first, a new one is refused after; which of
# the two is the last error depends on the back-off between the calls.
like($stat->('mq_standby2', 'last_error'),
	qr/Connection refused|server closed the connection unexpectedly/,
	'race_stats on the standby says why standby 2 failed');
is($stat->('mq_standby2', 'wins'), '0', 'and it won none');
$standby2->start;
$primary->wait_for_catchup($standby2);
ok($answers_again->('mq_standby2'), 'restarted, standby 2 answers again');

# 4. Replay cancels the racing backend: it holds a lock on docs (read in
# its transaction) that the primary's ACCESS EXCLUSIVE lock, replayed, must
# wait for; after max_standby_streaming_delay the standby cancels it, and
# the race's remote queries are cancelled with it.
$standby1->append_conf('postgresql.conf', "max_standby_streaming_delay = 500ms\n");
$standby1->reload;
my ($conflict_out, $conflict_err) = ('', '');
my $conflicted = IPC::Run::start(
	[ 'psql', '-X', '-d', $standby1->connstr('postgres'), '-c', 'BEGIN',
		'-c', 'SELECT count(*) FROM docs',
		'-c', qq{SELECT * FROM multiquery.race_query('$three', 'SELECT pg_sleep(20) /* conflict */',
			timeout_ms => 30000) AS t(x text)} ],
	'>', \$conflict_out, '2>', \$conflict_err, IPC::Run::timeout(60));
ok(poll_until(20, sub {
	remote_queries($primary, 'conflict') eq '1' && remote_queries($standby2, 'conflict') eq '1' }),
	'a race runs on every target from a backend holding a lock on docs');
$primary->safe_psql('postgres', 'BEGIN; LOCK TABLE docs IN ACCESS EXCLUSIVE MODE; COMMIT');
$conflicted->finish;
like($conflict_err, qr/ERROR:  canceling statement due to conflict with recovery/,
	'replaying the lock cancels the race on the standby');
ok(poll_until(20, sub {
	join(',', map { remote_queries($_, 'conflict') } ($primary, $standby1, $standby2)) eq '0,0,0' }),
	'and its remote queries on every target');
$primary->wait_for_catchup($standby1);

# 5. Failover while races run. A write before it, replicated to both
# standbys, and its LSN on the old primary.
$primary->safe_psql('postgres', q{CREATE TABLE notes (id int PRIMARY KEY, body text);
	INSERT INTO notes VALUES (1, 'before the failover')});
my $old_lsn = $primary->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
$primary->wait_for_catchup($_) for ($standby1, $standby2);

my ($loop_out, $loop_err) = ('', '');
my $loop = IPC::Run::start(
	[ 'psql', '-XAtq', '-d', $standby1->connstr('postgres'), '-c',
		qq{SET multiquery.target_backoff = 0;
		   SELECT * FROM races_through_failover('$three', 20, 60)} ],
	'>', \$loop_out, '2>', \$loop_err, IPC::Run::timeout(120));
ok($standby1->poll_query_until('postgres', q{
		SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%races_through_failover(%'
		   AND state = 'active' AND pid <> pg_backend_pid()}),
	'races run on standby 1');
sleep 1;
$primary->stop('fast');
$standby2->promote;
$loop->finish;
chomp $loop_out;
my ($races, $after, $wrong) = split /\|/, $loop_out;
is($loop_err, '', 'no race failed across the primary\'s stop and the promotion');
is($after, '20', 'races went on after the promotion');
ok($races > $after, 'and ran before it too');
is($wrong, '0', 'every race returned the table\'s rows');

# No split brain: the old primary is down, the promoted standby 2 is the one
# server not in recovery, standby 1 still one.
my $who = sub {
	my ($target) = @_;
	my ($out, $err) = session_query($session, qq{
		SELECT * FROM multiquery.race_query('{$target}', 'SELECT pg_is_in_recovery()', timeout_ms => 5000)
			AS t(r bool)});
	return $out eq '' ? 'error' : $out;
};
session_query($session, 'SET multiquery.target_backoff = 0');
is($who->('mq_primary'), 'error', 'the old primary does not answer');
is($who->('mq_standby2'), 'f', 'standby 2 answers as the primary');
is($who->('mq_standby1'), 't', 'standby 1 is still a standby');

# min_lsn on the new timeline. The new timeline goes on from the LSN where
# standby 2 was promoted: a position taken on the old primary for a write
# the promoted standby had received keeps its meaning. (One it never
# received is lost with the write, and the new timeline passes its LSN
# without it: min_lsn compares positions, not histories.)
my $query = q{SELECT pg_is_in_recovery(), (SELECT count(*) FROM notes WHERE id = $1)
	FROM (SELECT pg_sleep(CASE WHEN pg_is_in_recovery() THEN 0 ELSE 1 END)) AS slow};
my $race = sub {
	my ($targets, $id, $lsn) = @_;
	my ($out, $err) = session_query($session, qq{
		SELECT * FROM multiquery.race_query('$targets', '$query', '{$id}', min_lsn => '$lsn')
			AS t(in_recovery bool, seen bigint)});
	return $out eq '' ? $err : $out;
};
is($race->('{mq_standby2}', 1, $old_lsn), 'f|1',
	'an LSN taken on the old primary: the new primary has it, with the write');
is($race->($three, 1, $old_lsn), 't|1', 'and so has standby 1, which answers first');

# A write on the new primary: standby 1 still follows the stopped primary,
# so it is stale for the new LSN and the new primary answers.
$standby2->safe_psql('postgres', q{INSERT INTO notes VALUES (2, 'after the failover')});
my $new_lsn = $standby2->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
is($race->($three, 2, $new_lsn), 'f|1',
	'an LSN of the new primary: standby 1, behind it, does not answer; the new primary does');
like($stat->('mq_standby1', 'last_error'), qr{^stale: replayed .* < min_lsn \Q$new_lsn\E$},
	'standby 1 is stale in race_stats');

# Standby 1 pointed at the new primary follows its timeline, and then has it.
$standby1->enable_streaming($standby2);
$standby1->reload;
ok($standby1->poll_query_until('postgres',
		"SELECT pg_last_wal_replay_lsn() >= '$new_lsn'::pg_lsn"), 'standby 1 follows the new primary');
is($standby1->safe_psql('postgres', 'SELECT received_tli FROM pg_stat_wal_receiver'), '2',
	'on the new timeline');
is($race->('{mq_standby1}', 2, $new_lsn), 't|1', 'and answers for the new LSN, with the write');

$session->quit;
for my $node ($primary, $standby1, $standby2) {
	ok(!$node->log_contains('terminated by signal'), 'no backend of ' . $node->name . ' crashed');
}
$standby1->stop;
$standby2->stop;
done_testing();
