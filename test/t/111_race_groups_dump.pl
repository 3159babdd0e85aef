# Race groups checked when defined, in sessions that have not loaded the
# library yet (it is not preloaded here), and through pg_dump: a dump
# creates the targets before the group that names them, and a dump of a
# group that the checks would refuse (made with check_function_bodies off,
# as a restore or an earlier version made it) still restores, its error
# left for the race.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('groups');
$node->init;
$node->start;
my $port = $node->port;
my $host = $node->host;
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', 'CREATE EXTENSION multiquery');

# Each psql call is a new session: the validator's call loads the library,
# and the checks that need the server run in that same command.
my ($ret, $out, $err) = $node->psql('src', q{
	CREATE SERVER main_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'main_primary, main_replica')});
like($err, qr/server "main_primary" does not exist/, 'a group naming a missing server is refused');
like($err, qr/DETAIL:  Race group "main_reads" names it in its option "targets"/,
	'naming the group and the option');

# Named so that by name alone the group sorts before one of its targets.
$node->safe_psql('src', qq{
	CREATE SERVER main_primary FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '$host', port '$port', dbname 'src');
	CREATE SERVER main_replica FOREIGN DATA WRAPPER multiquery
		OPTIONS (host '$host', port '$port', dbname 'src');
	CREATE USER MAPPING FOR PUBLIC SERVER main_primary;
	CREATE USER MAPPING FOR PUBLIC SERVER main_replica;
	CREATE SERVER main_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'main_primary, main_replica');
});
($ret, $out, $err) = $node->psql('src', 'CREATE USER MAPPING FOR PUBLIC SERVER main_reads');
like($err, qr/race group "main_reads" takes no user mapping/, 'a user mapping on a group is refused');
($ret, $out, $err) = $node->psql('src', 'DROP SERVER main_replica');
like($err, qr/server main_reads depends on server main_replica/,
	'dropping a target names its group');
is($node->safe_psql('src', q{
	SELECT count(*) FROM multiquery.race_query('{main_reads}', 'SELECT 1') AS t(x int)}),
	'1', 'the group races');

# The dump creates the targets first, and restores as it is.
my $dir = PostgreSQL::Test::Utils::tempdir;
$node->command_ok([ 'pg_dump', '-d', $node->connstr('src'), '-f', "$dir/src.sql" ], 'pg_dump');
my $dump = slurp_file("$dir/src.sql");
my $replica_at = index($dump, 'CREATE SERVER main_replica');
my $group_at = index($dump, 'CREATE SERVER main_reads');
ok($replica_at >= 0 && $group_at > $replica_at, 'the dump creates a target before its group');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('dst'),
	'-f', "$dir/src.sql" ], 'the dump restores');
($ret, $out, $err) = $node->psql('dst', 'DROP SERVER main_primary');
like($err, qr/server main_reads depends on server main_primary/,
	'the restored group depends on its targets again');

# What the checks refuse, made as a restore makes it, dumps and restores.
$node->safe_psql('src', q{
	SET check_function_bodies = off;
	CREATE SERVER main_nested FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'main_reads');
	CREATE SERVER main_dangling FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'main_primary, main_gone');
	CREATE USER MAPPING FOR PUBLIC SERVER main_reads;
});
$node->command_ok([ 'pg_dump', '-d', $node->connstr('src'), '-f', "$dir/legacy.sql" ],
	'pg_dump of groups the checks refuse');
$node->safe_psql('postgres', 'CREATE DATABASE legacy');
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('legacy'),
	'-f', "$dir/legacy.sql" ], 'restores');
($ret, $out, $err) = $node->psql('legacy', q{
	SELECT * FROM multiquery.race_query('{main_nested}', 'SELECT 1') AS t(x int)});
like($err, qr/foreign server "main_reads" is a race group, not a race target/,
	'a group naming a group is refused when it races');
($ret, $out, $err) = $node->psql('legacy', q{
	SELECT * FROM multiquery.race_query('{main_dangling}', 'SELECT 1') AS t(x int)});
like($err, qr/server "main_gone" does not exist\nDETAIL:  Race group "main_dangling" names it/,
	'a group naming a missing server is refused when it races, naming the group');
# Altered with the checks on, the same group is refused.
($ret, $out, $err) = $node->psql('legacy', q{
	ALTER SERVER main_nested OPTIONS (SET targets 'main_reads')});
like($err, qr/foreign server "main_reads" is a race group, not a race target/,
	'and when it is altered');

done_testing();
