# statement_timeout, pg_cancel_backend and pg_terminate_backend stop a
# running race_query promptly, and its remote queries are cancelled on every
# target (they leave the targets' pg_stat_activity).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
my $race = q{SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}',
	'SELECT pg_sleep(60)') AS t(x text);};

# Starts the sleeping race in a session of its own; returns the session once
# both remote queries run, and the caller's backend pid.
sub start_race {
	my ($name) = @_;
	my $session = $primary->background_psql('postgres', on_error_stop => 0);
	$session->query_safe("SET application_name = '$name'");
	my $pid = $session->query_safe('SELECT pg_backend_pid()');
	chomp $pid;
	$session->query_until(qr/started/, "\\echo started\n$race\n");
	ok(poll_until(20, sub {
		remote_queries($primary, 'pg_sleep(60)') eq '1'
		  && remote_queries($standby, 'pg_sleep(60)') eq '1';
	}), "$name: the race runs on both targets");
	return ($session, $pid);
}

sub remote_queries_end {
	my ($what) = @_;
	ok(poll_until(20, sub {
		remote_queries($primary, 'pg_sleep(60)') eq '0'
		  && remote_queries($standby, 'pg_sleep(60)') eq '0';
	}), "$what: the remote queries were cancelled on both targets");
}

# pg_cancel_backend from another session.
my ($session, $pid) = start_race('race_cancelled');
my $started = time;
$primary->safe_psql('postgres', "SELECT pg_cancel_backend($pid)");
ok(pump_until($session->{run}, $session->{timeout}, \$session->{stderr},
		qr/canceling statement due to user request/),
	'pg_cancel_backend stops race_query');
ok(time - $started < 10, 'promptly');
remote_queries_end('pg_cancel_backend');
my ($out, $err) = session_query($session,
	q{SELECT * FROM multiquery.race_query('{mq_primary,mq_standby1}', 'SELECT 7') AS t(x int)});
is($out, '7', 'the session and its drained connections serve the next race');

# statement_timeout.
$started = time;
(undef, $err) = session_query($session, "SET statement_timeout = '1s'; $race");
like($err, qr/canceling statement due to statement timeout/, 'statement_timeout stops race_query');
ok(time - $started < 10, 'promptly');
remote_queries_end('statement_timeout');
$session->quit;

# pg_terminate_backend: the backend exits, and cancels on its way out.
($session, $pid) = start_race('race_terminated');
$started = time;
$primary->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok(poll_until(10, sub {
	$primary->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid") eq '0';
}), 'pg_terminate_backend ends the racing backend');
remote_queries_end('pg_terminate_backend');
$session->{run}->kill_kill;

ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
$standby->stop;
$primary->stop;
done_testing();
