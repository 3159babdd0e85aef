# The node most queue tests start from: multiquery preloaded, its drain
# reading the given Redis into database postgres, the test's own settings
# added, started, and the extension created.
package MultiQuery::QueueNode;
use strict;
use warnings;
use Exporter 'import';
use PostgreSQL::Test::Cluster;

our @EXPORT = qw(queue_node drain_all_at_once);

# queue_node($name, $redis, $settings, %init): $settings are postgresql.conf
# lines (drain_streams and whatever else the test needs); %init goes to
# Cluster->init (allows_streaming => 1, ...).
sub queue_node {
	my ($name, $redis, $settings, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(%init);
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
multiquery.redis_port = ${\ $redis->port}
multiquery.drain_database = 'postgres'
$settings});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION multiquery');
	return $node;
}

# drain_all_at_once($node, $stream, $last_id): points the drain (until now
# reading another stream) at $stream, whose entries are all in Redis
# already, so that they come in as one batch; true once the entry $last_id
# is committed.
sub drain_all_at_once {
	my ($node, $stream, $last_id) = @_;
	$node->safe_psql('postgres', qq{
		ALTER SYSTEM SET multiquery.drain_streams = '$stream';
		SELECT pg_reload_conf();
	});
	return $node->poll_query_until('postgres',
		"SELECT last_id = '$last_id' FROM multiquery.drain_progress WHERE stream = '$stream'");
}

1;
