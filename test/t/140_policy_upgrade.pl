# The extension's upgrade path from 0.1 to 0.2: version 0.1 installed and
# updated to 0.2 has exactly the objects, definitions, comments and
# privileges of a fresh 0.2 install (141 goes on to the current version); roles granted race_query keep it across the update; a view of the
# user's on race_query stops the update with PostgreSQL's own error; and the
# new arguments work after the update.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Upgrade;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;

my $objects = MultiQuery::Upgrade::members_query();

$node->safe_psql('postgres', q{
	CREATE DATABASE fresh; CREATE DATABASE upgraded; CREATE DATABASE granted;
	CREATE ROLE app_reader LOGIN;
});
$node->safe_psql('fresh', q{CREATE EXTENSION multiquery VERSION '0.2'});
$node->safe_psql('upgraded', q{CREATE EXTENSION multiquery VERSION '0.1'});
is($node->safe_psql('upgraded', q{SELECT extversion FROM pg_extension WHERE extname = 'multiquery'}),
	'0.1', 'version 0.1 can still be installed');
my (undef, undef, $removed) = $node->psql('upgraded', q{SELECT multiquery._selftest_boundary('none')});
like($removed, qr/ERROR:  function multiquery._selftest_boundary was removed in multiquery 0.3/,
	'its test hooks, gone from the library, say so');
is($node->safe_psql('upgraded', q{SELECT pg_get_function_identity_arguments(
		'multiquery.race_query'::regproc)}),
	'targets text[], query text, params text[], timeout_ms integer', 'with its own race_query');
$node->safe_psql('upgraded', q{ALTER EXTENSION multiquery UPDATE TO '0.2'});
is($node->safe_psql('upgraded', q{SELECT extversion FROM pg_extension WHERE extname = 'multiquery'}),
	'0.2', 'ALTER EXTENSION UPDATE goes to 0.2');

my $fresh = $node->safe_psql('fresh', $objects);
my $upgraded = $node->safe_psql('upgraded', $objects);
like($fresh, qr/race_query\(text\[\],text,text\[\],integer,pg_lsn,text\)/,
	'the catalog listing sees the new race_query');
is($upgraded, $fresh,
	'after the update the objects, definitions, comments and privileges equal a fresh 0.2 install');

# A role granted race_query under 0.1 keeps it, with its grant option.
$node->safe_psql('granted', q{
	CREATE EXTENSION multiquery VERSION '0.1';
	GRANT EXECUTE ON FUNCTION multiquery.race_query(text[], text, text[], integer)
		TO app_reader WITH GRANT OPTION;
	CREATE VIEW uses_race AS
		SELECT * FROM multiquery.race_query('{x}', 'SELECT 1') AS t(x int);
});
my ($rc, $out, $err) = $node->psql('granted', q{ALTER EXTENSION multiquery UPDATE TO '0.2'});
like($err, qr/cannot update multiquery to 0\.2: race_query is used by rule _RETURN on view public\.uses_race.*HINT:  Drop those objects/s,
	'a view on race_query stops the update, and the error names it');
is($node->safe_psql('granted', q{SELECT extversion FROM pg_extension WHERE extname = 'multiquery'}),
	'0.1', 'and the failed update changed nothing');
$node->safe_psql('granted', q{DROP VIEW uses_race; ALTER EXTENSION multiquery UPDATE TO '0.2'});
is($node->safe_psql('granted', q{
	SELECT has_function_privilege('app_reader',
		'multiquery.race_query(text[], text, text[], integer, pg_lsn, text)', 'EXECUTE'),
	       has_function_privilege('app_reader',
		'multiquery.race_query(text[], text, text[], integer, pg_lsn, text)', 'EXECUTE WITH GRANT OPTION'),
	       has_function_privilege('public',
		'multiquery.race_query(text[], text, text[], integer, pg_lsn, text)', 'EXECUTE')}),
	't|t|f', 'a role granted race_query under 0.1 keeps it (and its grant option); PUBLIC still not');

# The new arguments work after the update: a race against this very server,
# which has certainly inserted its own current LSN, hedged.
my $self = 'host=' . $node->host . ' port=' . $node->port . ' dbname=upgraded';
is($node->safe_psql('upgraded', qq{
	SELECT * FROM multiquery.race_query(ARRAY['$self'], 'SELECT 40 + 2',
		min_lsn => pg_current_wal_insert_lsn(), hedge_delay => '5ms') AS t(x int)}),
	'42', 'min_lsn and hedge_delay work after the update');
($rc, $out, $err) = $node->psql('upgraded', qq{
	SELECT * FROM multiquery.race_query(ARRAY['$self'], 'SELECT 1',
		min_lsn => 'FFFFFFFF/0') AS t(x int)});
like($err, qr/no target was fresh enough.*stale: inserted [0-9A-F]+\/[0-9A-F]+ < min_lsn FFFFFFFF\/0/s,
	'an LSN the server has not reached makes it stale, and the error says so');

$node->stop;
done_testing();
