# Shared set-up for the race TAP tests: a primary with the extension, its
# pg_basebackup standbys, one foreign server per node, and helpers to stop
# nodes (SIGSTOP), watch remote queries and bound waits.
package MultiQuery::RaceTest;

use strict;
use warnings;
use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Time::HiRes qw(time usleep);

our @EXPORT =
  qw(race_cluster freeze_node thaw_node poll_until remote_queries node_pids session_query);

# Every node stopped with SIGSTOP, so that it is continued whatever happens.
my @frozen;

END {
	kill 'CONT', @frozen if @frozen;
}

# race_cluster($standbys): the primary (shared_preload_libraries = multiquery)
# and that many streaming standbys, each reachable as a foreign server named
# mq_ and the node's name ('mq_primary', 'mq_standby1', ...) with a PUBLIC
# user mapping. Returns
# ($primary, @standbys).
sub race_cluster {
	my ($standby_count) = @_;
	my $primary = PostgreSQL::Test::Cluster->new('primary');
	$primary->init(allows_streaming => 1);
	$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
hot_standby_feedback = on
listen_addresses = '127.0.0.1'
});
	$primary->start;
	$primary->safe_psql('postgres', 'CREATE EXTENSION multiquery; CREATE EXTENSION multiquery_test');
	$primary->backup('base');
	my @standbys;
	for my $i (1 .. $standby_count) {
		my $standby = PostgreSQL::Test::Cluster->new("standby$i");
		$standby->init_from_backup($primary, 'base', has_streaming => 1);
		$standby->start;
		push @standbys, $standby;
	}
	for my $node ($primary, @standbys) {
		my $name = 'mq_' . $node->name;
		my $port = $node->port;
		$primary->safe_psql('postgres', qq{
			CREATE SERVER $name FOREIGN DATA WRAPPER multiquery
				OPTIONS (host '127.0.0.1', port '$port', dbname 'postgres');
			CREATE USER MAPPING FOR PUBLIC SERVER $name;
		});
	}
	$primary->wait_for_catchup($_) for @standbys;
	return ($primary, @standbys);
}

# The pids of a node's postmaster and all its children.
sub node_pids {
	my ($node) = @_;
	my $postmaster = $node->{_pid};
	my @children = split /\s+/, `pgrep -P $postmaster`;
	return grep { /^\d+$/ } ($postmaster, @children);
}

# Stops a node's every process with SIGSTOP: its kernel still accepts TCP
# connections, but nothing ever answers.
sub freeze_node {
	my ($node) = @_;
	my @pids = node_pids($node);
	push @frozen, @pids;
	kill 'STOP', @pids;
	return @pids;
}

sub thaw_node {
	my ($node) = @_;
	kill 'CONT', @frozen;
	@frozen = ();
}

# Calls $check until it returns true, at most $seconds; returns its last result.
sub poll_until {
	my ($seconds, $check) = @_;
	my $deadline = time + $seconds;
	while (1) {
		my $result = $check->();
		return $result if $result || time > $deadline;
		usleep(50_000);
	}
}

# How many of race_query's remote queries matching $pattern run on $node.
sub remote_queries {
	my ($node, $pattern) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'multiquery' AND state = 'active'
		  AND query LIKE '%$pattern%'});
}

# Runs $sql in a BackgroundPsql session; returns (stdout, stderr) of this
# query alone (PostgreSQL 15's BackgroundPsql keeps stderr across queries).
sub session_query {
	my ($session, $sql) = @_;
	$session->{stderr} = '';
	my ($out) = $session->query($sql);
	my $err = $session->{stderr};
	$session->{stderr} = '';
	return ($out, $err);
}

1;
