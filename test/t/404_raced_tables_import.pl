# IMPORT FOREIGN SCHEMA on a race group reads the remote catalog from the
# primary, not from whichever target answers first: a standby that has not
# replayed a table created a moment ago must not make the import create
# nothing. A LIMIT TO name the catalog lacks is an error, not a silent no-op.
# A group of standbys only (or whose primary is down) imports when its
# standbys agree, and fails when they differ rather than import a lagging
# catalog.
#
# Replay is paused on a standby with pg_wal_replay_pause() to make it lag.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby1, $standby2) = race_cluster(2);
my $dead_port = PostgreSQL::Test::Cluster::get_free_port();
$primary->safe_psql('postgres', qq{
	CREATE SERVER primary_first FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_primary, mq_standby1');
	CREATE SERVER standby_first FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_standby1, mq_primary');
	CREATE SERVER standbys FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_standby1, mq_standby2');
	CREATE SERVER standbys_reversed FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_standby2, mq_standby1');
	-- A primary target that is down: nothing listens on its port.
	CREATE SERVER mq_dead FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '127.0.0.1', port '$dead_port', dbname 'postgres');
	CREATE USER MAPPING FOR PUBLIC SERVER mq_dead;
	CREATE SERVER dead_primary FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_dead, mq_standby1, mq_standby2');
	CREATE SCHEMA imported;
	CREATE TABLE existing (id int NOT NULL, title text);
});
$primary->wait_for_catchup($_) for ($standby1, $standby2);

# A local server of its own, to import through a group whose primary has
# been stopped (IMPORT cannot run on a standby).
my $client = PostgreSQL::Test::Cluster->new('client');
$client->init;
$client->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
listen_addresses = '127.0.0.1'
});
$client->start;
$client->safe_psql('postgres', 'CREATE EXTENSION multiquery; CREATE SCHEMA imported');
for my $node ($primary, $standby1, $standby2) {
	my ($name, $port) = ('remote_' . $node->name, $node->port);
	$client->safe_psql('postgres', qq{
		CREATE SERVER $name FOREIGN DATA WRAPPER multiquery
			OPTIONS (host '127.0.0.1', port '$port', dbname 'postgres');
		CREATE USER MAPPING FOR PUBLIC SERVER $name;
	});
}
$client->safe_psql('postgres', q{
	CREATE SERVER remote_group FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'remote_primary, remote_standby1, remote_standby2');
});

sub pause_replay {
	my ($standby) = @_;
	$standby->safe_psql('postgres', 'SELECT pg_wal_replay_pause()');
	poll_until(20, sub {
		$standby->safe_psql('postgres', 'SELECT pg_get_wal_replay_pause_state()') eq 'paused' })
	  or die 'replay did not pause on ' . $standby->name;
}

sub resume_replay {
	my ($standby) = @_;
	$standby->safe_psql('postgres', 'SELECT pg_wal_replay_resume()');
	$primary->wait_for_catchup($standby);
}

# IMPORT through $server on $node (the primary unless given);
# (exit code, stderr).
sub import_from {
	my ($server, $tables, $node, $settings, $into) = @_;
	$node //= $primary;
	$into //= 'imported';
	my $limit = defined $tables ? "LIMIT TO ($tables) " : '';
	my ($rc, $out, $err) = $node->psql('postgres', ($settings // '') . qq{
\\set VERBOSITY verbose
IMPORT FOREIGN SCHEMA public ${limit}FROM SERVER $server INTO $into;});
	return ($rc, $err);
}

sub imported {
	my ($table, $node) = @_;
	$node //= $primary;
	return $node->safe_psql('postgres', "SELECT to_regclass('imported.$table') IS NOT NULL") eq 't';
}

# 1. Replay paused on standby1: a table just created on the primary is
# missing there. Each import must create it, whichever target the group
# names first.
pause_replay($standby1);
for my $server ('primary_first', 'standby_first') {
	my @missed;
	for my $round (1 .. 10) {
		my $table = "new_${server}_$round";
		$primary->safe_psql('postgres', "CREATE TABLE $table (id int NOT NULL, title text)");
		my ($rc, $err) = import_from($server, $table);
		push @missed, "$table: " . ($rc == 0 ? 'nothing imported' : $err)
		  unless $rc == 0 && imported($table);
	}
	is(scalar(@missed), 0, "$server, standby1 lagging: all 10 imports created the new table")
	  or diag(join "\n", @missed);
}
# The standby named first and alone for a while (hedged start): still the
# primary's catalog.
{
	my $table = 'new_hedged';
	$primary->safe_psql('postgres', "CREATE TABLE $table (id int)");
	my ($rc, $err) = import_from('standby_first', $table, undef,
		q{SET multiquery.hedge_delay = '500ms';});
	ok($rc == 0 && imported($table),
		'standby_first with a hedged start: the import created the new table') or diag($err);
}
# The imported table is declared as the primary has it.
{
	my ($rc, $out, $err) = $primary->psql('postgres', q{
		SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) ||
		                  CASE WHEN attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = 'imported.new_standby_first_1'::regclass AND attnum > 0});
	is($out, 'id integer not null, title text', 'with the columns of the primary\'s table')
	  or diag($err);
}

# 2. A LIMIT TO name that the catalog lacks is an error naming it, and
# nothing of the statement is imported.
for my $server ('primary_first', 'standby_first') {
	my ($rc, $err) = import_from($server, 'no_such_table');
	isnt($rc, 0, "$server: LIMIT TO (no_such_table) is an error");
	like($err, qr/ERROR:  (?:HV00R|42P01): [^\n]*no_such_table/,
		"$server: fdw_table_not_found or undefined_table, naming the table") or diag($err);
	($rc, $err) = import_from($server, 'existing, missing_too');
	like($err, qr/ERROR:  (?:HV00R|42P01): [^\n]*missing_too/,
		"$server: LIMIT TO (existing, missing_too) names the missing one") or diag($err);
	ok(!imported('existing'), "$server: and imports nothing");
}

# 3. A group of standbys only, standby1 lagging: they disagree on a table
# created since, and the import must fail rather than create nothing (or
# something) from the lagging one; with the whole schema too.
$primary->safe_psql('postgres', 'CREATE TABLE after_pause (id int)');
$primary->wait_for_catchup($standby2);
# Each attempt imports into an empty schema of its own, so that only the
# disagreement can fail it and nothing an earlier attempt imported hides it.
sub tables_in {
	my ($schema) = @_;
	return $primary->safe_psql('postgres',
		"SELECT count(*) FROM pg_class WHERE relnamespace = '$schema'::regnamespace");
}
for my $server ('standbys', 'standbys_reversed', 'dead_primary') {
	$primary->safe_psql('postgres', "CREATE SCHEMA lag_$server; CREATE SCHEMA whole_$server");
	my ($rc, $err) = import_from($server, 'after_pause', undef, undef, "lag_$server");
	isnt($rc, 0, "$server, standbys disagreeing: LIMIT TO (after_pause) fails");
	like($err, qr/ERROR:/, "$server: with an error") or diag($err);
	is(tables_in("lag_$server"), '0', "$server: and imports nothing");
	($rc, $err) = import_from($server, undef, undef, undef, "whole_$server");
	isnt($rc, 0, "$server, standbys disagreeing: the whole schema fails");
	is(tables_in("whole_$server"), '0', "$server: and imports nothing");
}

# Once they agree, the same imports succeed.
resume_replay($standby1);
$primary->wait_for_catchup($standby2);
for my $server ('standbys', 'standbys_reversed', 'dead_primary') {
	$primary->safe_psql('postgres', 'DROP FOREIGN TABLE IF EXISTS imported.after_pause');
	my ($rc, $err) = import_from($server, 'after_pause');
	ok($rc == 0 && imported('after_pause'), "$server, standbys agreeing: the import succeeds")
	  or diag($err);
}

# 4. The primary down: the standbys, which agree, are read.
$primary->safe_psql('postgres', 'CREATE TABLE before_stop (id int NOT NULL, label text)');
$primary->wait_for_catchup($_) for ($standby1, $standby2);
my ($rc, $err) = import_from('remote_group', 'before_stop', $client);
ok($rc == 0 && imported('before_stop', $client), 'from another server, with the primary up')
  or diag($err);
$client->safe_psql('postgres', 'DROP FOREIGN TABLE imported.before_stop');
$primary->stop;
($rc, $err) = import_from('remote_group', 'before_stop', $client);
ok($rc == 0 && imported('before_stop', $client),
	'with the primary stopped, the agreeing standbys are imported from') or diag($err);
($rc, $err) = import_from('remote_group', 'not_there', $client);
like($err, qr/ERROR:  (?:HV00R|42P01): [^\n]*not_there/,
	'and a LIMIT TO name they both lack is still an error') or diag($err);

done_testing();
