# The extension on a real primary + streaming standby pair: created on the
# primary, replicated to the standby, and its library answering on both.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "shared_preload_libraries = 'multiquery'");
$primary->start;

# A physical replica made with pg_basebackup, streaming from the primary.
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');

$primary->safe_psql('postgres', 'CREATE EXTENSION multiquery; CREATE EXTENSION multiquery_test');
$primary->wait_for_catchup($standby);
# The version the control file installs by default: the library must agree.
my $default_version = $primary->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'multiquery'");

is($standby->safe_psql('postgres',
		"SELECT extversion FROM pg_extension WHERE extname = 'multiquery'"),
	$default_version, 'the standby sees the extension created on the primary');

my $version = 'SELECT multiquery.version()';
is($primary->safe_psql('postgres', $version), $default_version, 'version() answers on the primary');
is($standby->safe_psql('postgres', $version), $default_version, 'version() answers on the standby');

# The boundary holds on a read-only server as well: the error arrives and the
# backend that raised it goes on serving.
my ($rc, $out, $err) = $standby->psql('postgres',
	"SELECT multiquery_test.boundary('cpp_exception')");
isnt($rc, 0, 'a C++ exception on the standby is an SQL error');
like($err, qr/ERROR:  unexpected C\+\+ exception: probe threw/, 'with its message');

($rc, $out, $err) = $standby->psql('postgres', qq{
		SELECT multiquery_test.boundary('pg_error');
		SELECT multiquery_test.probes_destroyed();
	}, on_error_stop => 0);
like($err, qr/ERROR:  probe raised a PostgreSQL error/, 'an ereport under a C++ object is an SQL error');
is($out, '1', 'the same session goes on, and the C++ object was destroyed');

# The server survived everything above: no backend crashed.
ok(!$primary->log_contains('terminated by signal'), 'no backend of the primary crashed');
ok(!$standby->log_contains('terminated by signal'), 'no backend of the standby crashed');

$standby->stop;
$primary->stop;
done_testing();
