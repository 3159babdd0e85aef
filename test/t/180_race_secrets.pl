# Passwords in race targets never show: URI targets whose password holds
# '?', '#' or a percent-encoded '@', a password given under a percent-encoded
# key (pass%77ord), and keyword=value strings, racing to failure (connection
# refused, authentication failed, unparsable) and to success. The password
# must appear in no error (message, detail, hint), no row of race_stats or
# race_connections, and no line of the server log.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary) = race_cluster(0);
my $port = $primary->port;

# Every fragment of every password carries a marker: [A-Z]\dkr.
my $marker = qr/[A-Z]\dkr/;
my $hba = $primary->data_dir . '/pg_hba.conf';
my $rules = slurp_file($hba);
open(my $fh, '>', $hba) or die "cannot write $hba: $!";
print $fh "host all sec_user 127.0.0.1/32 scram-sha-256\n" . $rules;
close $fh;
$primary->reload;
$primary->safe_psql('postgres', q{
	SET log_statement = 'none';
	CREATE ROLE sec_user LOGIN PASSWORD 'A1kr?A2kr#A3kr@A4kr';
});

my $session = $primary->background_psql('postgres', on_error_stop => 0);
# The caller's own statement text is PostgreSQL's to log, not the extension's:
# keep it out so that the log shows only what race_query writes.
$session->query_safe(q{SET log_statement = 'none'; SET log_min_error_statement = 'panic';
	SET multiquery.target_backoff = 0});
$session->query_safe('\set VERBOSITY verbose');

my @cases = (
	[ 'URI password with ? # %40, right', "postgresql://sec_user:A1kr?A2kr#A3kr%40A4kr\@127.0.0.1:$port/postgres", 'ok' ],
	[ 'URI password with ? # %40, wrong', "postgresql://sec_user:B1kr?B2kr#B3kr%40B4kr\@127.0.0.1:$port/postgres",
	  qr/password authentication failed for user "sec_user"/ ],
	[ 'URI password with ?, refused', "postgresql://sec_user:C1kr?C2kr\@127.0.0.1:1/postgres", qr/connect|refused/i ],
	[ 'percent-encoded key, right', "postgresql://sec_user\@127.0.0.1:$port/postgres?pass%77ord=A1kr%3FA2kr%23A3kr%40A4kr", 'ok' ],
	[ 'percent-encoded key, wrong', "postgresql://sec_user\@127.0.0.1:$port/postgres?application_name=x&pass%77ord=D1kr",
	  qr/password authentication failed for user "sec_user"/ ],
	[ 'percent-encoded sslpassword key, refused', "postgresql://sec_user\@127.0.0.1:1/postgres?sslpass%77ord=E1kr", qr/connect|refused/i ],
	[ 'percent-encoded key, unparsable', "postgresql://127.0.0.1:$port/postgres?pass%77ord=F1kr%zz", qr/invalid connection string/ ],
	[ 'URI password with an unencoded /, refused', "postgresql://sec_user:H1kr/H2kr\@127.0.0.1:$port/postgres",
	  qr/invalid connection string.*\n.*DETAIL:.*"\@" follows/ ],
	[ 'keyword=value, wrong', "host=127.0.0.1 port=$port user=sec_user password='G1kr?G2kr#G3kr\@G4kr'",
	  qr/password authentication failed for user "sec_user"/ ],
);

for my $case (@cases) {
	my ($what, $target, $expect) = @$case;
	(my $literal = $target) =~ s/'/''/g;
	my ($out, $err) = session_query($session, qq{
		SELECT x FROM multiquery.race_query(ARRAY['$literal'], 'SELECT 1') AS t(x int)});
	if ($expect eq 'ok') {
		is($out, '1', "$what: the race succeeds") or diag($err);
	} else {
		like($err, $expect, "$what: the race fails as expected");
	}
	unlike($err, $marker, "$what: no password in the error") or diag($err);
}

my ($stats) = session_query($session, q{
	SELECT count(*) || ' ' || string_agg(target || ' ' || coalesce(last_error, ''), ' ')
	FROM multiquery.race_stats});
like($stats, qr/^[5-9] /, 'race_stats tracks the targets that got to race');
unlike($stats, $marker, 'no password in race_stats') or diag($stats);

my ($connections, $err) = session_query($session, q{
	SELECT count(*) || ' ' || string_agg(target, ' ') FROM multiquery.race_connections()});
is($err, '', 'race_connections lists the cached connections');
like($connections, qr/^2 /, 'both successful targets are cached');
unlike($connections, $marker, 'no password in race_connections') or diag($connections);
$session->quit;

my @leaks = grep { /$marker/ } split /\n/, slurp_file($primary->logfile);
is(scalar(@leaks), 0, 'no password in the server log') or diag(join("\n", @leaks));
ok(!$primary->log_contains('terminated by signal'), 'no backend crashed');
$primary->stop;
done_testing();
