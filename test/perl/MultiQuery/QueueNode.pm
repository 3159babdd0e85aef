# The node most queue tests start from: multiquery preloaded, its drain
# reading the given Redis into database postgres, the test's own settings
# added, started, and the extension created.
package MultiQuery::QueueNode;
use strict;
use warnings;
use Exporter 'import';
use PostgreSQL::Test::Cluster;

our @EXPORT = qw(queue_node drain_all_at_once count_tries rows_tried);

# queue_node($name, $redis, $settings, %init): $settings are postgresql.conf
# lines (drain_streams and whatever else the test needs); %init goes to
# Cluster->init (allows_streaming => 1, ...). The database is UTF-8 unless
# %init gives initdb options of its own (extra => [...]): the drain's COPY
# path needs UTF-8, and the environment's locale must not decide which path
# a test takes.
sub queue_node {
	my ($name, $redis, $settings, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--encoding=UTF8', '--locale=C' ], %init);
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

# count_tries($node, @tables): a BEFORE INSERT trigger on each table counts
# in a sequence (which a rollback does not undo) every row tried, so that a
# test can bound how often the drain inserted rows it then rolled back.
sub count_tries {
	my ($node, @tables) = @_;
	$node->safe_psql('postgres', q{
		CREATE SEQUENCE tried;
		CREATE FUNCTION count_try() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM nextval('tried');
			RETURN NEW;
		END $$;
		-- The trigger runs as the role the drain inserts as.
		GRANT UPDATE ON SEQUENCE tried TO PUBLIC;
	} . join('', map { "CREATE TRIGGER count_try BEFORE INSERT ON $_ FOR EACH ROW EXECUTE FUNCTION count_try();\n" } @tables));
}

# rows_tried($node): the rows count_tries has counted.
sub rows_tried {
	my ($node) = @_;
	return $node->safe_psql('postgres', q{SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM tried});
}

1;
