# The upgrade path to the current version (the control file's): from every
# shipped version, ALTER EXTENSION multiquery UPDATE gives exactly the
# objects, definitions, comments and privileges of a fresh install; a role
# granted enqueue() explicitly keeps it while PUBLIC loses it (0.3 stopped
# granting it to everybody); and the library and SQL agree on the version.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use MultiQuery::Upgrade;

my $control = slurp_file('multiquery.control');
my ($current) = $control =~ /default_version\s*=\s*'([^']+)'/;
ok(defined $current, "the control file names the current version ($current)");
my $meta = JSON::PP::decode_json(slurp_file('META.json'));
is($meta->{version}, "$current.0", 'META.json (PGXN) gives the same version');
is($meta->{provides}{multiquery}{version}, "$current.0", 'for the extension too');
my @shipped = sort map { m{multiquery--([0-9.]+)\.sql$} ? $1 : () } glob('extension/multiquery--*.sql');
cmp_ok(scalar(@shipped), '>=', 2, 'earlier versions are shipped: ' . join(', ', @shipped));

my $node = PostgreSQL::Test::Cluster->new('upgrade_current');
$node->init;
$node->start;
$node->safe_psql('postgres', q{CREATE DATABASE fresh; CREATE ROLE app_writer LOGIN;});
$node->safe_psql('fresh', 'CREATE EXTENSION multiquery');
is($node->safe_psql('fresh', 'SELECT multiquery.version()'), $current,
	"the library says $current");
my $fresh = $node->safe_psql('fresh', MultiQuery::Upgrade::members_query());

for my $from (@shipped) {
	my $db = 'from_' . ($from =~ tr/./_/r);
	$node->safe_psql('postgres', "CREATE DATABASE $db; CREATE DATABASE ${db}_granted");
	$node->safe_psql($db, "CREATE EXTENSION multiquery VERSION '$from'");
	$node->safe_psql($db, 'ALTER EXTENSION multiquery UPDATE');
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'multiquery'}),
		$current, "$from updates to $current");
	is($node->safe_psql($db, MultiQuery::Upgrade::members_query()), $fresh,
		"$from updated to $current equals a fresh $current install, object by object");

	$node->safe_psql("${db}_granted", qq{
		CREATE EXTENSION multiquery VERSION '$from';
		GRANT EXECUTE ON FUNCTION multiquery.enqueue(regclass, jsonb, text) TO app_writer;
		ALTER EXTENSION multiquery UPDATE;
	});
	is($node->safe_psql("${db}_granted", q{
		SELECT has_function_privilege('app_writer', 'multiquery.enqueue(regclass, jsonb, text)', 'EXECUTE'),
		       has_function_privilege('public', 'multiquery.enqueue(regclass, jsonb, text)', 'EXECUTE')}),
		't|f', "after $from -> $current a role granted enqueue keeps it; PUBLIC does not");
}

$node->stop;
done_testing();
