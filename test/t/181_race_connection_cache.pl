# The per-backend connection cache is bounded: a backend racing 200 distinct
# connection strings against a standby with max_connections = 10 never runs
# it out of connections; the least recently used connection is closed first;
# a race needing more connections than the bound gets them while it runs;
# idle connections are closed after multiquery.race_connection_idle_timeout;
# race_connections, race_disconnect and race_disconnect_all list and close
# this backend's connections, and a disconnected target reconnects.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
my $sport = $standby->port;
is($standby->safe_psql('postgres', 'SHOW max_connections'), '10',
	'the standby takes at most 10 connections');

my $session = $primary->background_psql('postgres', on_error_stop => 0);
sub target { return "host=127.0.0.1 port=$sport dbname=postgres application_name=$_[0]" }
sub race {
	my ($sql) = @_;
	return session_query($session, qq{SELECT count(*) FROM multiquery.race_query(
		ARRAY[$sql], 'SELECT 1') AS t(x int)});
}
sub race_app { return race(join(',', map { "'" . target($_) . "'" } @_)) }
# The application names of the standby's client backends matching $like.
sub remote_apps {
	my ($like) = @_;
	return $standby->safe_psql('postgres', qq{
		SELECT coalesce(string_agg(application_name, ' ' ORDER BY application_name), '')
		FROM pg_stat_activity WHERE application_name LIKE '$like'});
}
sub listed_apps {
	my ($out) = session_query($session, q{
		SELECT coalesce(string_agg(app, ' ' ORDER BY app), '') FROM (
			SELECT substring(target FROM 'application_name=(\S+)') AS app
			FROM multiquery.race_connections()) c});
	return $out;
}

# 1. Two hundred distinct connection strings (a per-job application_name).
session_query($session, 'SET multiquery.race_max_cached_connections = 4');
my ($out, $err) = session_query($session, qq{
	DO \$\$ BEGIN FOR i IN 1 .. 200 LOOP
		PERFORM * FROM multiquery.race_query(
			ARRAY['host=127.0.0.1 port=$sport dbname=postgres application_name=job' || i],
			'SELECT 1') AS t(x int);
	END LOOP; END \$\$});
is($err, '', '200 distinct targets race without error');
unlike($err, qr/too many clients/, 'the standby never ran out of connections');
ok(poll_until(10, sub { remote_apps('job%') eq 'job197 job198 job199 job200' }),
	'the standby holds only the 4 most recently used connections')
  or diag(remote_apps('job%'));
is(listed_apps(), 'job197 job198 job199 job200', 'race_connections lists those 4');

# 2. Least recently used first.
($out) = session_query($session, 'SELECT multiquery.race_disconnect_all()');
is($out, 't', 'race_disconnect_all closes what there is');
($out) = session_query($session, 'SELECT multiquery.race_disconnect_all()');
is($out, 'f', 'and then finds nothing to close');
ok(poll_until(10, sub { remote_apps('job%') eq '' }), 'the standby saw them go');
session_query($session, 'SET multiquery.race_max_cached_connections = 3');
race_app($_) for qw(lru_a lru_b lru_c lru_a);
race_app('lru_d');
is(listed_apps(), 'lru_a lru_c lru_d', 'the least recently used connection was closed');
ok(poll_until(10, sub { remote_apps('lru%') eq 'lru_a lru_c lru_d' }),
	'on the standby too') or diag(remote_apps('lru%'));

# A race's own targets are never the ones closed to make room for it, even
# the least recently used (lru_c).
my $remote_pid = sub { $standby->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE application_name = '$_[0]'") };
my $c_pid = $remote_pid->('lru_c');
session_query($session, 'SET multiquery.race_max_cached_connections = 2');
($out, $err) = race_app('lru_e', 'lru_c');
is($out, '1', 'a race over lru_e and lru_c answers') or diag($err);
is(listed_apps(), 'lru_c lru_e', 'its two targets are what the cache keeps');
is($remote_pid->('lru_c'), $c_pid, 'lru_c kept its connection');

# 3. A race with more targets than the bound has them all while it runs.
session_query($session, 'SELECT multiquery.race_disconnect_all()');
session_query($session, 'SET multiquery.race_max_cached_connections = 2');
($out, $err) = race_app(map { "wide_$_" } 1 .. 5);
is($out, '1', 'a race over 5 targets with a bound of 2 answers') or diag($err);
ok(poll_until(10, sub { my @a = split / /, remote_apps('wide%'); @a <= 2 }),
	'afterwards at most 2 of its connections stay') or diag(remote_apps('wide%'));

# 4. The idle timeout, enforced at the next race and in the listing.
session_query($session, 'SELECT multiquery.race_disconnect_all()');
session_query($session, q{SET multiquery.race_max_cached_connections = 8;
	SET multiquery.race_connection_idle_timeout = '1s'});
race_app('idle_1');
is(remote_apps('idle%'), 'idle_1', 'a connection is cached');
sleep 2;
race_app('idle_2');
ok(poll_until(10, sub { remote_apps('idle%') eq 'idle_2' }),
	'the next race closed the connection idle for longer than the timeout')
  or diag(remote_apps('idle%'));
sleep 2;
is(listed_apps(), '', 'the listing closes and omits connections idle too long');
ok(poll_until(10, sub { remote_apps('idle%') eq '' }), 'the standby saw it go');
session_query($session, 'RESET multiquery.race_connection_idle_timeout');

# 5. Listing and disconnecting a foreign server's connection.
my $pid_query = q{SELECT pid FROM multiquery.race_query('{mq_standby1}',
	'SELECT pg_backend_pid()') AS t(pid int)};
my ($pid) = session_query($session, $pid_query);
($out) = session_query($session, q{
	SELECT target, state, idle_since <= now() AND idle_since > now() - interval '1 min',
	       server_pid, host, port
	FROM multiquery.race_connections() WHERE target = 'mq_standby1'});
is($out, "mq_standby1|idle|t|$pid|127.0.0.1|$sport", 'race_connections describes the connection');
($out) = session_query($session, q{SELECT multiquery.race_disconnect('mq_standby1')});
is($out, 't', 'race_disconnect closes it');
ok(poll_until(10, sub {
	$standby->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid") eq '0' }),
	'its remote backend is gone');
($out) = session_query($session, q{SELECT multiquery.race_disconnect('mq_standby1')});
is($out, 'f', 'a second race_disconnect finds nothing');
my ($again, $err2) = session_query($session, $pid_query);
is($err2, '', 'the next race reconnects');
ok($again =~ /^\d+$/ && $again ne $pid, 'on a new connection');
(undef, $err) = session_query($session, q{SELECT multiquery.race_disconnect('no_such_server')});
like($err, qr/server "no_such_server" does not exist/, 'an unknown server is an error');
race_app('by_string');
($out) = session_query($session, "SELECT multiquery.race_disconnect('" . target('by_string') . "')");
is($out, 't', 'a connection string target is disconnected by its string');
ok(poll_until(10, sub { remote_apps('by_string') eq '' }), 'the standby saw it go');

# 6. Like race_query, the functions are not PUBLIC's.
session_query($session, 'CREATE ROLE plain_user');
for my $call ('multiquery.race_connections()', "multiquery.race_disconnect('mq_standby1')",
	'multiquery.race_disconnect_all()') {
	(undef, $err) = session_query($session, "SET ROLE plain_user; SELECT $call; RESET ROLE");
	like($err, qr/permission denied for function/, "$call is not granted to PUBLIC");
	session_query($session, 'RESET ROLE');
}
$session->quit;

ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
$standby->stop;
$primary->stop;
done_testing();
