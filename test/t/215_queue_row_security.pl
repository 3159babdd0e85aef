# Row-level security, column privileges and schema USAGE on drained tables.
# The drain loads most tables through CopyFrom, which checks none of them
# (the COPY command refuses a table with row security; CopyFrom called
# directly does not): a table with row security, or whose insert role may
# insert only some of its columns, must take the INSERT path, where
# PostgreSQL enforces both, and a schema the insert role may not use is
# refused before anything. A row refused is a dead letter (42501), the rows
# around it land, and the stream goes on.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = queue_node('primary', $redis, q{
multiquery.drain_streams = 'secure'
multiquery.drain_trim = off
});
$node->safe_psql('postgres', q{
	CREATE ROLE alice;
	CREATE ROLE drainer;
	GRANT CREATE ON SCHEMA public TO alice;
	SET ROLE alice;
	-- Row security the owner itself is held to.
	CREATE TABLE forced (tenant int, v text);
	ALTER TABLE forced ENABLE ROW LEVEL SECURITY;
	ALTER TABLE forced FORCE ROW LEVEL SECURITY;
	CREATE POLICY own_tenant ON forced FOR INSERT TO alice WITH CHECK (tenant = 1);
	CREATE POLICY see_all ON forced FOR SELECT USING (true);
	-- Row security for the drain role, which is not the owner.
	CREATE TABLE tenant_rows (tenant int, v text);
	ALTER TABLE tenant_rows ENABLE ROW LEVEL SECURITY;
	CREATE POLICY drainer_tenant ON tenant_rows FOR INSERT TO drainer WITH CHECK (tenant = 1);
	GRANT INSERT ON tenant_rows TO drainer;
	-- The drain role may insert one column of two.
	CREATE TABLE cols (a int, secret text);
	GRANT INSERT (a) ON cols TO drainer;
	-- The drain role may insert into a table whose schema it may not use.
	RESET ROLE;
	CREATE SCHEMA hidden;
	CREATE TABLE hidden.t (a int);
	ALTER TABLE hidden.t OWNER TO alice;    -- the drain refuses superusers' tables
	GRANT INSERT ON hidden.t TO drainer;
});

my $id = 0;
sub xadd {
	my ($table, $field, $json) = @_;
	$id++;
	$redis->cli('XADD', 'secure', "1-$id", 'table', $table, $field, $json);
	return "1-$id";
}

sub drained_to {
	my ($last) = @_;
	return $node->poll_query_until('postgres',
		"SELECT last_id = '$last' FROM multiquery.drain_progress WHERE stream = 'secure'");
}

sub dead_letters {
	my ($table) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT string_agg(entry_id || ':' || sqlstate, ',' ORDER BY split_part(entry_id, '-', 2)::int)
		FROM multiquery.dead_letters WHERE stream = 'secure' AND payload[2] = '$table'});
}

# --- The owner inserts (no drain_role): FORCE ROW LEVEL SECURITY holds it.
xadd('public.forced', 'row', '{"tenant": 1, "v": "a"}');
my $refused = xadd('public.forced', 'row', '{"tenant": 2, "v": "b"}');
my $refused_many = xadd('public.forced', 'rows', '[{"tenant": 1, "v": "c"}, {"tenant": 2, "v": "d"}]');
my $last = xadd('public.forced', 'row', '{"tenant": 1, "v": "e"}');
ok(drained_to($last), 'forced: the stream is drained past the refused rows');
is($node->safe_psql('postgres', q{SELECT string_agg(tenant || v, ',' ORDER BY v) FROM forced}),
	'1a,1e', "forced: only the rows the owner's policy lets in landed");
is(dead_letters('public.forced'), "$refused:42501,$refused_many:42501",
	'forced: an entry with a row the policy refuses is a dead letter with 42501, all its rows');

# --- The drain role inserts: its policy and its column privileges hold it.
$node->safe_psql('postgres', q{
	ALTER SYSTEM SET multiquery.drain_role = 'drainer';
	SELECT pg_reload_conf();
});
# The worker takes the setting when it next reloads: probe entries, drained
# in stream order, say from when on it inserts as the drain role.
$node->safe_psql('postgres', q{
	CREATE TABLE whoami (n int, who text DEFAULT current_user);
	ALTER TABLE whoami OWNER TO alice;
	GRANT INSERT ON whoami TO drainer;
});
my $as_drainer = 0;
for my $probe (1 .. 50) {
	ok(drained_to(xadd('public.whoami', 'row', qq({"n": $probe}))), "probe $probe drained")
	  or last;
	$as_drainer = $node->safe_psql('postgres', "SELECT who = 'drainer' FROM whoami WHERE n = $probe") eq 't'
	  and last;
	usleep(100_000);
}
ok($as_drainer, 'the drain inserts as the drain role');
xadd('public.tenant_rows', 'row', '{"tenant": 1, "v": "a"}');
$refused = xadd('public.tenant_rows', 'row', '{"tenant": 2, "v": "b"}');
$last = xadd('public.tenant_rows', 'row', '{"tenant": 1, "v": "c"}');
ok(drained_to($last), 'tenant_rows: the stream is drained past the refused row');
is($node->safe_psql('postgres', q{SELECT string_agg(tenant || v, ',' ORDER BY v) FROM tenant_rows}),
	'1a,1c', "tenant_rows: only the rows the drain role's policy lets in landed");
is(dead_letters('public.tenant_rows'), "$refused:42501",
	'tenant_rows: the refused row is a dead letter with 42501');

xadd('public.cols', 'row', '{"a": 1}');
$refused = xadd('public.cols', 'row', '{"a": 2, "secret": "x"}');
$last = xadd('public.cols', 'row', '{"a": 3}');
ok(drained_to($last), 'cols: the stream is drained past the refused row');
is($node->safe_psql('postgres', q{SELECT string_agg(a || ':' || coalesce(secret, '-'), ',' ORDER BY a) FROM cols}),
	'1:-,3:-', 'cols: the rows with only the granted column landed, and nothing in the other');
is(dead_letters('public.cols'), "$refused:42501",
	'cols: the row with a column the drain role may not insert is a dead letter with 42501');

$refused = xadd('hidden.t', 'row', '{"a": 1}');
$last = xadd('public.cols', 'row', '{"a": 4}');
ok(drained_to($last), 'hidden.t: the stream is drained past it');
is($node->safe_psql('postgres', 'SELECT count(*) FROM hidden.t'), '0',
	'hidden.t: nothing lands in a schema the drain role may not use');
is($node->safe_psql('postgres', qq{
		SELECT sqlstate || ' ' || (error LIKE 'permission denied for schema hidden%')
		FROM multiquery.dead_letters WHERE stream = 'secure' AND entry_id = '$refused'}),
	'42501 true', 'hidden.t: the entry is a dead letter: permission denied for the schema');

done_testing();
