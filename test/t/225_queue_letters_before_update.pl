# Dead letters and drain_status across the update to 0.5: the library of
# 0.5 drains against the schema of 0.4 until ALTER EXTENSION ... UPDATE
# (a letter then has no detail, hint or attempts column: its detail and
# hint follow the error as psql prints them, and drain_status has 0.4's
# columns); the update moves those lines into the new columns, and from then
# on letters fill the columns themselves.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = PostgreSQL::Test::Cluster->new('before_update');
$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
multiquery.redis_port = ${\ $redis->port}
multiquery.drain_database = 'postgres'
multiquery.drain_streams = 'old'
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION multiquery VERSION '0.4';
	CREATE ROLE queue_owner;
	CREATE TABLE good (n int);
	ALTER TABLE good OWNER TO queue_owner;
	-- A superuser's table: refused, with a detail and a hint.
	CREATE TABLE su_owned (n int);
});

my $good = 0;
# Adds an entry for su_owned, then one for good; true once good's has landed.
sub refused_then_good {
	my $id = $redis->cli('XADD', 'old', '*', 'table', 'public.su_owned', 'row', '{"n": 1}');
	++$good;
	$redis->cli('XADD', 'old', '*', 'table', 'public.good', 'row', qq({"n": $good}));
	ok($node->poll_query_until('postgres', "SELECT count(*) = $good FROM good"),
		"good entry $good drained");
	return $id;
}

my $detail = 'The table is owned by superuser "postgres".';
my $hint = 'Make an ordinary role its owner, or list the table in multiquery.drain_superuser_tables.';

my $old_id = refused_then_good();
is($node->safe_psql('postgres', qq{SELECT error FROM multiquery.dead_letters WHERE entry_id = '$old_id'}),
	"the drain does not write table public.su_owned\nDETAIL:  $detail\nHINT:  $hint",
	'before the update, the letter keeps detail and hint in its error');
is($node->safe_psql('postgres', q{SELECT state || ' ' || entries_applied FROM multiquery.drain_status WHERE stream = 'old'}),
	'running 1', 'and drain_status shows the 0.4 columns');

$node->safe_psql('postgres', 'ALTER EXTENSION multiquery UPDATE');
is($node->safe_psql('postgres', qq{SELECT error || ' | ' || detail || ' | ' || hint || ' | ' || attempts
		FROM multiquery.dead_letters WHERE entry_id = '$old_id'}),
	"the drain does not write table public.su_owned | $detail | $hint | 1",
	'the update moves them to their columns');

my $new_id = refused_then_good();
is($node->safe_psql('postgres', qq{SELECT error || ' | ' || detail || ' | ' || hint || ' | ' || attempts
		FROM multiquery.dead_letters WHERE entry_id = '$new_id'}),
	"the drain does not write table public.su_owned | $detail | $hint | 1",
	'after it, the drain fills the columns itself');
is($node->safe_psql('postgres', q{SELECT entries_applied || ' ' || entries_removed_unread
		FROM multiquery.drain_status WHERE stream = 'old'}),
	'2 0', 'and drain_status has its new column');

$node->stop;
$redis->stop;
done_testing();
