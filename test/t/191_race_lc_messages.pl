# Failures are classified by SQLSTATE and connection state, never by the
# message, which follows the target's lc_messages. A params count that does
# not match the query's $n (08P01, the session survives it) is the caller's
# fault on targets that answer in German exactly as on English ones: raised
# at once with the remote SQLSTATE, not reported as "all targets failed".
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
# The error a race raises, as "SQLSTATE: message", or 'no error'.
$primary->safe_psql('postgres', q{
	CREATE FUNCTION race_error(targets text[], query text, params text[])
	RETURNS text LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM * FROM multiquery.race_query(targets, query, params) AS t(x text);
		RETURN 'no error';
	EXCEPTION WHEN OTHERS THEN
		RETURN SQLSTATE || ': ' || SQLERRM;
	END $$;
});

my %targets;
for my $language ('en', 'de') {
	my $options = $language eq 'de' ? q{ options='-c lc_messages=de_DE.UTF-8'} : '';
	$targets{$language} = join(',',
		map { qq{"host=127.0.0.1 port=} . $_->port . qq{ dbname=postgres$options"} }
		  ($primary, $standby));
	$targets{$language} =~ s/'/''/g;    # quoted for the SQL literals below
}

sub race_error {
	my ($language, $query, $params) = @_;
	$query =~ s/'/''/g;
	return $primary->safe_psql('postgres',
		"SELECT race_error('{$targets{$language}}', '$query', '$params')");
}

# The German targets do answer in German (else this test proves nothing).
like(race_error('de', 'SELECT 1/0', '{}'), qr/^22012: Division durch Null/,
	'the German targets report errors in German')
  or diag('the servers need the de_DE.UTF-8 locale and their German catalog: run test/deps.sh as root');

for my $language ('en', 'de') {
	for my $case (['SELECT $1::int + $2::int', '{1}'], ['SELECT $1::int', '{1,2}']) {
		my ($query, $params) = @$case;
		my $error = race_error($language, $query, $params);
		like($error, qr/^08P01: /, "$language: $query with $params: raised with SQLSTATE 08P01");
		unlike($error, qr/targets failed/,
			"$language: $query with $params: the caller's error, not every target's failure");
	}
	# The connections survived it, and the targets were not backed off.
	is( $primary->safe_psql('postgres',
			"SELECT * FROM multiquery.race_query('{$targets{$language}}', 'SELECT 7') AS t(x int)"),
		'7', "$language: the targets answer the next race");
}

done_testing();
