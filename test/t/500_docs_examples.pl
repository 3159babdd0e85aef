# Every example of README.md and docs/*.md runs as written on the demo
# cluster, and shows the output it prints.
#
# The cluster is the one `make demo` starts (test/demo.sh: test/cluster.sh's
# primary, streaming standby and Redis, the extension, and test/demo.sql's
# roles and tables), on ports of its own. Each document is read as a new user
# reads it, on a fresh demo cluster: its blocks run in document order, and
# what they created (foreign servers, schemas, tables, roles, role settings)
# is dropped before the next document. What a fenced block is and how its
# output is compared: test/perl/MultiQuery/DocBlocks.pm.
#
# What the test changes in a block before running it, and nothing else:
# the demo's ports become this cluster's (55432, 55433, 56379, and the
# exporter's 9187), its superuser (postgres, when started as root) the user
# running the test, and the examples' addresses become the demo's nodes, as
# the README tells the demo's users: host '10.0.0.1', port '5432', dbname
# 'app' is the primary (127.0.0.1:55432, database postgres), '10.0.0.2' the
# standby.
use strict;
use warnings;
use File::Temp ();
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use MultiQuery::DocBlocks;

my @documents = ('README.md', sort glob('docs/*.md'));

# The demo cluster, started by the demo's own script.
my %port = map { $_ => PostgreSQL::Test::Cluster::get_free_port() } qw(primary standby redis exporter);
my $cluster_dir = PostgreSQL::Test::Utils::tempdir_short() . '/demo';
# Not local: the END block below stops this cluster, never the default one.
$ENV{MQ_PRIMARY_PORT} = $port{primary};
$ENV{MQ_STANDBY_PORT} = $port{standby};
$ENV{MQ_REDIS_PORT} = $port{redis};
$ENV{MQ_CLUSTER_DIR} = $cluster_dir;
$ENV{MQ_DEMO_INSTALLED} = 1;
# A reader's shell, not the TAP framework's: no PGAPPNAME (pg_basebackup -R
# would name the standby after it), no PGHOST or PGPORT.
delete @ENV{qw(MQ_EXTRA_CONF PGAPPNAME PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE)};
my $started;
END {
	system('bash', 'test/cluster.sh', 'stop')
	  if $started && ($ENV{MQ_CLUSTER_DIR} // '') eq $cluster_dir;
}
$started = 1;
my $demo_log = "$PostgreSQL::Test::Utils::tmp_check/demo.log";
is(system("bash test/demo.sh >'$demo_log' 2>&1"), 0, 'make demo\'s script sets up the cluster')
  or BAIL_OUT('the demo did not start: ' . slurp_file($demo_log));
my $user = `id -un`;
chomp $user;

my @psql = ('psql', '-X', '-h', '127.0.0.1', '-U', $user, '-d', 'postgres');
my $scratch = PostgreSQL::Test::Utils::tempdir('blocks');

# run_captured(\@command, $input_file): (exit status, stdout and stderr).
# The command runs in a process group of its own, which is ended after it
# (a block may leave a server running in the background, as a reader's
# terminal would).
sub run_captured {
	my ($command, $input) = @_;
	my $out = "$scratch/out";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		POSIX::setsid();
		open STDIN, '<', $input // '/dev/null' or die;
		open STDOUT, '>', $out or die;
		open STDERR, '>&', \*STDOUT or die;
		exec @$command or POSIX::_exit(127);
	}
	waitpid $pid, 0;
	my $status = $?;
	kill 'TERM', -$pid;
	return ($status, slurp_file($out));
}

sub sql_value {
	my ($port, $sql) = @_;
	my ($status, $out) = run_captured([ @psql, '-p', $port, '-At', '-c', $sql ]);
	die "query failed on port $port: $sql\n$out" if $status;
	chomp $out;
	return $out;
}

# A reader works at a human pace: the standby has what the primary committed.
sub standby_caught_up {
	my $lsn = sql_value($port{primary}, 'SELECT pg_current_wal_insert_lsn()');
	for (1 .. 300) {
		return if sql_value($port{standby}, "SELECT pg_last_wal_replay_lsn() >= '$lsn'") eq 't';
		usleep(100_000);
	}
	die "the standby did not replay $lsn\n";
}

# The examples' addresses and the demo's ports, as the demo cluster has them.
sub for_this_cluster {
	my ($text) = @_;
	$text =~ s/host '10\.0\.0\.1', port '5432', dbname 'app'/host '127.0.0.1', port '55432', dbname 'postgres'/g;
	$text =~ s/host '10\.0\.0\.2', port '5432', dbname 'app'/host '127.0.0.1', port '55433', dbname 'postgres'/g;
	my %demo = (55432 => $port{primary}, 55433 => $port{standby}, 56379 => $port{redis},
		9187 => $port{exporter});
	$text =~ s/\b(55432|55433|56379|9187)\b/$demo{$1}/g;
	$text =~ s/-U postgres\b/-U $user/g;
	return $text;
}

# Runs a block; returns (ok, what it printed).
sub run_block {
	my ($block, $shows_output) = @_;
	my $file = "$scratch/block";
	my $text = for_this_cluster($block->{text});
	my ($status, $out);
	if ($block->{lang} eq 'psql') {
		my ($statement) = split_transcript($text);
		open my $fh, '>', $file or die;
		print $fh $statement;
		close $fh;
		($status, $out) = run_captured([ @psql, '-p', $port{primary}, '-f', $file ]);
		return ($status == 0, $out);
	}
	open my $fh, '>', $file or die;
	print $fh $text;
	close $fh;
	if ($block->{lang} eq 'sql') {
		# A block whose output the doc shows: as psql -q prints it (no command tags).
		($status, $out) = run_captured([ @psql, '-p', $port{primary}, '-v', 'ON_ERROR_STOP=1',
				($shows_output ? '-q' : ()), '-f', $file ]);
	}
	elsif ($block->{lang} eq 'sh') {
		($status, $out) = run_captured([ 'bash', '-e', '-o', 'pipefail', $file ]);
	}
	elsif ($block->{lang} eq 'redis') {
		($status, $out) = run_captured([ 'redis-cli', '-h', '127.0.0.1', '-p', $port{redis} ], $file);
		$status ||= $out =~ /^(\(error\) )?(ERR|WRONGTYPE|NOSCRIPT|NOAUTH)\b/m ? 1 : 0;
	}
	return ($status == 0, $out);
}

# What a document creates, to drop before the next one: the demo's own
# objects are those there before the first document.
my $demo_objects = sql_value($port{primary}, q{
	SELECT json_build_object(
		'servers', (SELECT json_agg(srvname) FROM pg_foreign_server),
		'schemas', (SELECT json_agg(nspname) FROM pg_namespace),
		'relations', (SELECT json_agg(oid::regclass::text) FROM pg_class
		              WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'v', 'm', 'f', 'p')),
		'roles', (SELECT json_agg(rolname) FROM pg_roles))});
my $undo = <<SQL;
DO \$\$
DECLARE
	demo constant jsonb := '$demo_objects';
	r record;
BEGIN
	FOR r IN SELECT srvname FROM pg_foreign_server WHERE NOT demo->'servers' ? srvname LOOP
		EXECUTE format('DROP SERVER IF EXISTS %I CASCADE', r.srvname);
	END LOOP;
	FOR r IN SELECT nspname FROM pg_namespace WHERE NOT demo->'schemas' ? nspname LOOP
		EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', r.nspname);
	END LOOP;
	FOR r IN SELECT oid::regclass AS name, relkind FROM pg_class
	         WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'v', 'm', 'f', 'p')
	           AND NOT demo->'relations' ? oid::regclass::text LOOP
		EXECUTE format('DROP %s IF EXISTS %s CASCADE',
			CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
			               WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.name);
	END LOOP;
	FOR r IN SELECT rolname FROM pg_roles WHERE NOT demo->'roles' ? rolname LOOP
		EXECUTE format('DROP OWNED BY %I CASCADE', r.rolname);
		EXECUTE format('DROP ROLE %I', r.rolname);
	END LOOP;
	FOR r IN SELECT DISTINCT setrole::regrole AS name FROM pg_db_role_setting WHERE setrole <> 0 LOOP
		EXECUTE format('ALTER ROLE %s RESET ALL', r.name);
	END LOOP;
END
\$\$;
SQL

my $undo_file = "$scratch/undo.sql";
PostgreSQL::Test::Utils::append_to_file($undo_file, $undo);

my ($ran, $skipped) = (0, 0);
for my $document (@documents) {
	my @blocks = eval { doc_blocks($document) };
	ok(!$@, "$document: every fenced block says what it is") or diag($@);
	for my $i (0 .. $#blocks) {
		my $block = $blocks[$i];
		next if $block->{output} || !$MultiQuery::DocBlocks::RUNNABLE{ $block->{lang} };
		my $name = "$block->{file}:$block->{line} ($block->{lang})";
		if (defined $block->{skip}) {
			$skipped++;
			SKIP: { skip "$name: $block->{skip}", 1 }
			next;
		}
		$ran++;
		my $expected;
		if ($block->{lang} eq 'psql') {
			(undef, $expected) = split_transcript($block->{text});
		}
		elsif ($i < $#blocks && $blocks[ $i + 1 ]{output}) {
			$expected = $blocks[ $i + 1 ]{text};
		}
		my ($ok, $out) = run_block($block, defined $expected);
		if (defined $expected) {
			is(normalise($out), normalise($expected), "$name prints what the doc shows")
			  or diag("as printed:\n$out");
		}
		else {
			ok($ok, "$name runs") or diag($out);
		}
		standby_caught_up();
	}
	my ($status, $out) = run_captured([ @psql, '-p', $port{primary}, '-v', 'ON_ERROR_STOP=1', '-q', '-f', $undo_file ]);
	die "could not drop what $document created: $out" if $status;
	standby_caught_up();
}
cmp_ok($ran, '>=', 30, "the docs' examples ran ($ran of them, $skipped exempt)");

done_testing();
