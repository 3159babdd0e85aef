# Differential test of racing foreign tables: every read through a raced
# table returns exactly what the same read of the table itself returns. The
# targets are this database's primary and standby, so the oracle is right
# there: each query of a corpus covering every construct the deparser ships
# runs on the raced tables (made by hand and by IMPORT FOREIGN SCHEMA) and on
# the tables, in one session, under varied local session settings, and under
# a remote role whose own settings (DateStyle, IntervalStyle,
# extra_float_digits, TimeZone, search_path with hostile operators and types,
# ...) diverge from the local ones.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;
use MultiQuery::RacedSchema;
use MultiQuery::RacedCorpus;
use MultiQuery::RacedOracle;

my ($primary, $standby) = race_cluster(1);
# A query that crashes a backend is one failed check, not the end of the file.
for my $node ($primary, $standby) {
	$node->append_conf('postgresql.conf', 'restart_after_crash = on');
	$node->reload;
}

my $schema = build_schema($primary, $standby);
my ($db, $flavors) = @$schema{qw(db flavors)};
is($schema->{import_error}, '', 'IMPORT FOREIGN SCHEMA ... LIMIT TO through the hostile role');
is($schema->{imported_by_list}, 2, 'and it imported both tables');
is($primary->safe_psql($db, q{
		SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = 'imported.feelings'::regclass AND attnum > 0}),
	'id integer, mood mood, note text', 'IMPORT declares the enum as its own type');

# The remote sessions really are whom they should be: the superuser's own,
# and the hostile role with its search_path and standard_conforming_strings.
like($primary->safe_psql($db, 'SELECT who FROM raced.whoami'), qr/^\S+$/,
	'raced_group reads as the mapped superuser');
is($primary->safe_psql($db, 'SELECT who, path, scs FROM hostile.whoami'),
	'remote_reader|evil, pg_catalog, public|off',
	'hostile_group reads as remote_reader, with its hostile settings');

my $oracle = MultiQuery::RacedOracle->new(node => $primary, dbname => $db,
	direct => $schema->{direct});

# The comparison can tell: C and the default collation order the corpus's
# text differently, a raced table over a view that changed one float in its
# last digits is told apart, and a raced read that takes its session down
# is a failure that the next read survives.
is($primary->safe_psql($db, q{
		SELECT (SELECT array_agg(t_c ORDER BY t_c COLLATE "C", id) FROM scalars)
			<> (SELECT array_agg(t_c ORDER BY t_c COLLATE "default", id) FROM scalars)}),
	't', 'the default collation orders the text unlike "C"');
$primary->safe_psql($db, q{
	CREATE VIEW scalars_skewed AS
		SELECT id, CASE WHEN id = 121 THEN f8 * (1 + 1e-15) ELSE f8 END AS f8 FROM scalars;
	CREATE FOREIGN TABLE raced.skewed (id int, f8 float8) SERVER raced_group
		OPTIONS (schema_name 'public', table_name 'scalars_skewed');
});
$primary->wait_for_catchup($standby);
my $baseline = [ q{SET DateStyle = 'ISO, MDY'} ];
my $control = $oracle->compare(
	entry => { name => 'skewed', sql => 'SELECT id, f8 FROM {s} WHERE f8 > 0.12 AND f8 < 0.13' },
	flavor => 'skewed', map => { s => 'raced.skewed' }, settings => $baseline, quiet => 1);
ok(!$control->{ok} && grep(/only direct: 121/, @{ $control->{problems} }),
	'the oracle tells a changed last digit apart')
  or diag(explain $control);
# The read that ends its session is one of three in that session: the one
# after it still runs, in a session of its own.
my $others = { name => 'around', sql => 'SELECT id FROM {s} WHERE id < 3' };
my $lost = $oracle->compare_all(
	entries => [
		$others,
		{
			name => 'lost',
			sql => q{SELECT CASE WHEN '{s}' = 'public.scalars' THEN true
				ELSE pg_terminate_backend(pg_backend_pid()) END}
		},
		$others,
	],
	flavor => 'raced', map => { s => 'raced.scalars' }, settings => $baseline, quiet => 1);
ok(!$lost->[1]{ok} && grep(/only the raced read failed: 57P01|session was lost/,
		@{ $lost->[1]{problems} }),
	'a raced read that ends its session is a failure') or diag(explain $lost);
ok($lost->[0]{ok} && $lost->[2]{ok}, 'and the reads around it are compared as usual')
  or diag(explain $lost);

# ---------------------------------------------------------------------------
# The corpus under each settings block, one session per block and flavor.
my @corpus = corpus();
my @blocks = settings_blocks($schema->{monetary},
	grep { $flavors->{$_} } qw(raced imported hostile hostile_imported));
my $started = time;
my %plans;
for my $block (@blocks) {
	for my $flavor (@{ $block->{flavors} }) {
		my $results = $oracle->compare_all(
			entries => \@corpus, flavor => $flavor, map => $flavors->{$flavor},
			settings => $block->{set}, label => "[$flavor; $block->{name}]",
			explain => $block == $blocks[0] && $flavor eq 'raced');
		for my $i (0 .. $#corpus) {
			$plans{ $corpus[$i]{name} } = $results->[$i]{plan} if defined $results->[$i]{plan};
		}
	}
}
note(sprintf('the corpus of %d reads ran in %d s', scalar @corpus, time - $started));

# Not vacuous: the raced reads went through a raced Foreign Scan, and the
# conditions that must run remotely did.
my @not_raced = grep { $plans{$_} !~ /Foreign Scan.*Race Targets: mq_primary, mq_standby1/s }
  sort keys %plans;
is(join(', ', @not_raced), '', 'every read of the corpus is a raced Foreign Scan');
my $like = qr/(?:~~|OPERATOR\(pg_catalog\.~~\))/;
my $equals = qr/(?:=|OPERATOR\(pg_catalog\.=\))/;
my %remote_sql = (
	'int4 negative constant' => qr/Remote SQL: SELECT id, i4 FROM public\.scalars WHERE .*i4/,
	'LIKE' => qr/Remote SQL: SELECT id, t_default FROM public\.scalars WHERE .*t_default\W* $like/,
	'int4 extremes' => qr/Remote SQL: .* WHERE .*i4 $equals ANY/,
	'autocomplete' => qr/Remote SQL: .* WHERE .*t_default\W* $like .* ORDER BY t_default.* LIMIT 10/,
	'last rows by id' => qr/Remote SQL: .* ORDER BY id LIMIT 10 OFFSET 2990/,
	'bool IS NULL' => qr/Remote SQL: .* WHERE .*b IS NULL/,
	'parameterized nested loop on id' =>
	  qr/Remote SQL: .* WHERE .*\$1(?:::(?:pg_catalog\.)?integer)? $equals id\b/,
	'pushed inner join on the key' => qr/Remote SQL: SELECT .* FROM public\.\w+ r\d+ INNER JOIN public\.\w+ r\d+ ON /,
	'pushed left join, a condition on the nullable side' => qr/Remote SQL: .* LEFT JOIN .* ON \(.*$like/,
	'pushed right join' => qr/Remote SQL: .* (?:LEFT|RIGHT) JOIN /,
	'pushed full join' => qr/Remote SQL: .* FULL JOIN /,
	'pushed full join, a condition above it' => qr/Remote SQL: .* FULL JOIN .* WHERE /,
	'pushed join of three raced tables' => qr/Remote SQL: .* INNER JOIN .* LEFT JOIN /,
	'pushed GROUP BY with a NULL group' => qr/Remote SQL: SELECT b, pg_catalog\.count\(\*\), .* GROUP BY 1$/m,
	'pushed GROUP BY an expression' => qr/Remote SQL: .*avg\(n\) FILTER \(WHERE .* GROUP BY 1$/m,
	'pushed aggregates with FILTER, ORDER BY and DISTINCT' =>
	  qr/Remote SQL: .*string_agg\(.* ORDER BY .* DESC, id\) FILTER \(WHERE .*array_agg\(DISTINCT .* GROUP BY 1$/m,
	'pushed ORDER BY an aggregate with LIMIT' =>
	  qr/Remote SQL: .* GROUP BY 1 HAVING .* ORDER BY pg_catalog\.count\(\*\) DESC, .* LIMIT 7$/m,
	'pushed DISTINCT' => qr/Remote SQL: SELECT t_c FROM public\.scalars GROUP BY 1$/m,
	'pushed DISTINCT with ORDER BY and LIMIT' => qr/Remote SQL: .* GROUP BY 1, 2 ORDER BY .* LIMIT 5$/m,
	'pushed aggregate over a pushed join' => qr/Remote SQL: .* INNER JOIN .* GROUP BY 1$/m,
	'pushed aggregate over a full join, ordered' => qr/Remote SQL: .* FULL JOIN .* GROUP BY 1 ORDER BY /,
	'count(*)' => qr/Remote SQL: SELECT pg_catalog\.count\(\*\) FROM public\.scalars$/m,
);
for my $name (sort keys %remote_sql) {
	like($plans{$name} // '', $remote_sql{$name}, "the condition of '$name' runs remotely");
}

# Tables of two race groups are not joined remotely, nor is a join with a
# condition that must run here.
for my $name ('join of a table raced by both groups', 'pushed join with a local condition on one side') {
	unlike($plans{$name} // '', qr/Remote SQL: .* JOIN /, "'$name' is joined here");
}

# Both targets answered raced reads.
is($primary->safe_psql($db, q{
		SELECT string_agg(target, ',' ORDER BY target) FROM multiquery.race_stats
		WHERE target IN ('mq_primary', 'mq_standby1') AND races > 0}),
	'mq_primary,mq_standby1', 'both targets were raced');

done_testing();
