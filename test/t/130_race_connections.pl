# The connection cache (reuse, reconnect after the remote backend is
# terminated, dropped when a user mapping changes), large and wide results
# within work_mem, and the password rule for non-superusers: a password the
# target asks for, never shown anywhere.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
my $session = $primary->background_psql('postgres', on_error_stop => 0);
my $pid_query = q{SELECT pid FROM multiquery.race_query('{mq_standby1}',
	'SELECT pg_backend_pid()') AS t(pid int)};

# 9. Reuse, and reconnection after the remote backend was terminated.
my ($first) = session_query($session, $pid_query);
my ($second) = session_query($session, $pid_query);
is($second, $first, 'the same remote backend serves consecutive races');
$standby->safe_psql('postgres', "SELECT pg_terminate_backend($first)");
ok(poll_until(10, sub {
	$standby->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $first")
	  eq '0' }), 'the remote backend is gone');
my ($third, $err) = session_query($session, $pid_query);
is($err, '', 'the next race does not fail');
ok($third =~ /^\d+$/ && $third ne $first, 'it runs on a new connection');

# 8. A million rows through a tuplestore of 64 kB, and wide rows.
my ($count) = session_query($session, q{
	SET work_mem = '64kB';
	SELECT count(*), sum(g) FROM multiquery.race_query('{mq_primary,mq_standby1}',
		'SELECT g FROM generate_series(1, 1000000) g') AS t(g bigint)});
is($count, '1000000|500000500000', 'a million rows arrive whole');
my ($wide) = session_query($session, q{
	SELECT count(*), sum(length(w)) FROM multiquery.race_query('{mq_primary,mq_standby1}',
		'SELECT repeat(md5(g::text), 3000) FROM generate_series(1, 500) g') AS t(w text)});
is($wide, '500|48000000', 'wide rows arrive whole');

# 10. A non-superuser: a password the target asks for works; a target that
# does not ask for one is refused; passwords appear nowhere.
my $hba = $primary->data_dir . '/pg_hba.conf';
my $rules = slurp_file($hba);
open(my $fh, '>', $hba) or die "cannot write $hba: $!";
print $fh "host all app_user 127.0.0.1/32 scram-sha-256\n"
  . "host all trusted_user 127.0.0.1/32 trust\n" . $rules;
close $fh;
$primary->reload;
# log_statement = all in these tests: keep the set-up's passwords out of the log.
$primary->safe_psql('postgres', q{
	SET log_statement = 'none';
	CREATE ROLE app_user LOGIN PASSWORD 'app-secret-1';
	CREATE ROLE trusted_user LOGIN;
	GRANT EXECUTE ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) TO app_user;
	GRANT USAGE ON FOREIGN SERVER mq_primary TO app_user;
	CREATE USER MAPPING FOR app_user SERVER mq_primary
		OPTIONS (user 'app_user', password 'app-secret-1');
});
my $as_app = q{SET ROLE app_user;
	SELECT who FROM multiquery.race_query('{mq_primary}', 'SELECT current_user::text')
		AS t(who text)};
my ($who) = session_query($session, $as_app);
is($who, 'app_user', 'a non-superuser races with the password of its user mapping');
session_query($session, 'RESET ROLE');

# Changing the user mapping drops the cached connection: the wrong password
# now fails where the old connection would have answered.
$primary->safe_psql('postgres', q{
	SET log_statement = 'none';
	ALTER USER MAPPING FOR app_user SERVER mq_primary OPTIONS (SET password 'wrong-secret-2');
});
(undef, $err) = session_query($session, $as_app);
like($err, qr/password authentication failed for user "app_user"/,
	'after ALTER USER MAPPING the new (wrong) password is used');
unlike($err, qr/secret/, 'the error shows no password');
session_query($session, 'RESET ROLE');

$primary->safe_psql('postgres', q{
	SET log_statement = 'none';
	ALTER USER MAPPING FOR app_user SERVER mq_primary
		OPTIONS (SET user 'trusted_user', SET password 'unused-secret-3');
});
(undef, $err) = session_query($session, $as_app);
like($err, qr/password is required/, 'a target that does not ask for the password is refused');
unlike($err, qr/secret/, 'the error shows no password');
session_query($session, 'RESET ROLE');

# A role that loses superuser must not keep using a connection it made as
# a superuser to a target that never asked for the password: its next race
# connects again, and is refused.
my $trusting = 'host=127.0.0.1 port=' . $primary->port
  . ' dbname=postgres user=trusted_user password=boss-pw-5';
# (Not a "secret-": the caller's own statement, logged as written, holds it.)
$primary->safe_psql('postgres', q{
	CREATE ROLE boss SUPERUSER;
	GRANT EXECUTE ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) TO boss;
});
my $as_boss = qq{SET ROLE boss;
	SELECT who FROM multiquery.race_query(ARRAY['$trusting'], 'SELECT current_user::text')
		AS t(who text)};
($who, $err) = session_query($session, $as_boss);
is($who, 'trusted_user', 'a superuser may use a target that asks for no password');
$primary->safe_psql('postgres', 'ALTER ROLE boss NOSUPERUSER');
($who, $err) = session_query($session, $as_boss);
like($err, qr/password is required/,
	'once it is no longer superuser, the cached connection is not used: the target is refused');
unlike($err, qr/boss-pw/, 'the error shows no password');
session_query($session, 'RESET ROLE');

(undef, $err) = session_query($session, q{SET ROLE app_user;
	SELECT * FROM multiquery.race_query('{"host=127.0.0.1 port=1 password=conn-secret-4"}',
		'SELECT 1') AS t(x int)});
like($err, qr/password=\*\*\*/, 'a connection string is shown without its password');
unlike($err, qr/secret/, 'the error shows no password');
session_query($session, 'RESET ROLE');
$session->quit;

# The caller's own statement text is logged as written (log_statement = all):
# that is the caller's choice; nothing race_query logs may show a password.
my @leaks = grep { /secret-/ && !/(statement: |STATEMENT:  )SELECT \* FROM multiquery\.race_query/ }
  split /\n/, slurp_file($primary->logfile);
is(scalar(@leaks), 0, 'no password in the server log') or diag(join("\n", @leaks));
ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
$standby->stop;
$primary->stop;
done_testing();
