# The node most queue tests start from: multiquery preloaded, its drain
# reading the given Redis into database postgres, the test's own settings
# added, started, and the extension created.
package MultiQuery::QueueNode;
use strict;
use warnings;
use Exporter 'import';
use PostgreSQL::Test::Cluster;

our @EXPORT = qw(queue_node);

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

1;
