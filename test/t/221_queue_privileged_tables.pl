# Tables whose insert would run with more rights than a stream's writer has.
# The drain inserts as a table's owner, so an entry for a system relation
# (information_schema.sql_features, a pg_catalog table), for a table a
# superuser owns, or for a table an extension holds (pg_cron's cron.job
# would schedule a command as a superuser) would act with the superuser's or
# the extension's rights for anyone allowed to XADD. Each such entry is a
# dead letter (42501) saying why and what to do, and the entries around it
# arrive. Only multiquery.drain_superuser_tables (superusers only) lets a
# superuser-owned or extension-owned table be drained; nothing lets a system
# relation be. Ownership is judged again at every batch.
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
multiquery.drain_streams = 'priv'
multiquery.drain_trim = off
});
$node->safe_psql('postgres', q{
	CREATE ROLE app;
	CREATE ROLE producer LOGIN;
	GRANT CREATE ON SCHEMA public TO app;
	SET ROLE app;
	-- The table the good entries go to, owned by an ordinary role.
	CREATE TABLE good (n int);
	-- Its default says which superuser tables the worker's session lets in.
	CREATE TABLE probe (n int, allowed text DEFAULT current_setting('multiquery.drain_superuser_tables'));
	CREATE TABLE flips (n int);
	CREATE TABLE ext_member (n int);
	RESET ROLE;
	CREATE TABLE su_owned (n int);
	CREATE EXTENSION multiquery_test;
	ALTER EXTENSION multiquery_test ADD TABLE ext_member;
});

# The producer is a Redis user that may only XADD.
is($redis->cli('ACL', 'SETUSER', 'producer', 'on', '>producer-secret', '~*', '+xadd'), 'OK',
	'a Redis user that may only XADD');
$redis->set_auth('producer', 'producer-secret');
like($redis->cli('XRANGE', 'priv', '-', '+'), qr/NOPERM/, 'the producer may not read the stream');

my $id = 0;
sub xadd {
	my ($table, $row) = @_;
	$id++;
	my $out = $redis->cli('XADD', 'priv', "1-$id", 'table', $table, 'row', $row);
	is($out, "1-$id", "the producer added 1-$id for $table");
	return "1-$id";
}

sub drained_to {
	my ($last) = @_;
	return $node->poll_query_until('postgres',
		"SELECT last_id = '$last' FROM multiquery.drain_progress WHERE stream = 'priv'");
}

# Each entry of @$tables, a good one between each two and at the end; true
# once the last one is committed.
my $good = 0;
sub between_good {
	my (@entries) = @_;
	my %ids;
	for my $entry (@entries) {
		xadd('public.good', qq({"n": @{[++$good]}}));
		$ids{ $entry->[0] } = xadd(@$entry);
	}
	ok(drained_to(xadd('public.good', qq({"n": @{[++$good]}}))), 'the stream is drained past them');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM good'), $good, 'every good entry arrived');
	return %ids;
}

# A letter as psql would print its error: its detail and hint are columns
# of their own, NULL when there is none.
sub letter {
	my ($entry_id) = @_;
	return $node->safe_psql('postgres',
		qq{SELECT sqlstate || ' ' || error || coalesce(E'\\nDETAIL:  ' || detail, '')
		          || coalesce(E'\\nHINT:  ' || hint, '')
		     FROM multiquery.dead_letters WHERE stream = 'priv' AND entry_id = '$entry_id'});
}

# Waits until the worker's session has reloaded multiquery.drain_superuser_tables.
my $probe = 0;
sub worker_allows {
	my ($value) = @_;
	$node->safe_psql('postgres', qq{
		ALTER SYSTEM SET multiquery.drain_superuser_tables = '$value';
		SELECT pg_reload_conf();
	});
	for (1 .. 100) {
		++$probe;
		ok(drained_to(xadd('public.probe', qq({"n": $probe}))), "probe $probe drained") or return 0;
		return 1 if $node->safe_psql('postgres', "SELECT allowed FROM probe WHERE n = $probe") eq $value;
		usleep(100_000);
	}
	return 0;
}

# --- Nothing listed: every privileged table is refused ----------------------
my %ids = between_good(
	[ 'information_schema.sql_features',
	  '{"feature_id": "X999", "feature_name": "written by the drain", "sub_feature_id": "", '
	  . '"sub_feature_name": "", "is_supported": "YES", "is_verified_by": null, "comments": null}' ],
	[ 'pg_catalog.pg_description',
	  '{"objoid": 1, "classoid": 1259, "objsubid": 0, "description": "written by the drain"}' ],
	[ 'public.su_owned', '{"n": 1}' ],
	[ 'public.ext_member', '{"n": 1}' ]);
is($node->safe_psql('postgres', q{SELECT count(*) FROM information_schema.sql_features WHERE feature_id = 'X999'}),
	'0', 'information_schema.sql_features was not written');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_description WHERE description = 'written by the drain'}),
	'0', 'pg_catalog.pg_description was not written');
is($node->safe_psql('postgres', 'SELECT (SELECT count(*) FROM su_owned) + (SELECT count(*) FROM ext_member)'),
	'0', 'neither the superuser-owned nor the extension-owned table was written');

like(letter($ids{'information_schema.sql_features'}),
	qr/^42501 the drain does not write system, temporary or multiquery tables such as information_schema\.sql_features\nDETAIL:  A system relation is never a queue table/,
	'information_schema.sql_features: a dead letter, a system relation');
like(letter($ids{'pg_catalog.pg_description'}),
	qr/^42501 the drain does not write system.*pg_catalog\.pg_description\nDETAIL:  A system relation is never a queue table/,
	'pg_catalog.pg_description: a dead letter, a system relation');
is(letter($ids{'public.su_owned'}),
	qq{42501 the drain does not write table public.su_owned\nDETAIL:  The table is owned by superuser "postgres".\n}
	  . 'HINT:  Make an ordinary role its owner, or list the table in multiquery.drain_superuser_tables.',
	'su_owned: a dead letter naming the table, its superuser owner and the setting');
is(letter($ids{'public.ext_member'}),
	qq{42501 the drain does not write table public.ext_member\nDETAIL:  The table is a member of extension "multiquery_test".\n}
	  . 'HINT:  List the table in multiquery.drain_superuser_tables to let the drain write it.',
	'ext_member: a dead letter naming the table, its extension and the setting');
is($node->safe_psql('postgres', qq{SELECT error FROM multiquery.dead_letters WHERE entry_id = '$ids{'public.su_owned'}'}),
	'the drain does not write table public.su_owned', 'the error itself is the message alone');

# --- The setting is a superuser's, and is checked ---------------------------
my ($ret, $out, $err) = $node->psql('postgres',
	q{SET ROLE producer; SET multiquery.drain_superuser_tables = '*'});
like($err, qr/permission denied to set parameter "multiquery.drain_superuser_tables"/,
	'an ordinary role may not set multiquery.drain_superuser_tables');
($ret, $out, $err) = $node->psql('postgres', q{SET multiquery.drain_superuser_tables = 'su_owned'});
like($err, qr/invalid value for parameter "multiquery.drain_superuser_tables": "su_owned"\nDETAIL:  "su_owned" is not a schema-qualified table name/,
	'a name without its schema is refused');
($ret, $out, $err) = $node->psql('postgres', q{ALTER SYSTEM SET multiquery.drain_superuser_tables = '*, public.su_owned'});
like($err, qr/invalid value for parameter/, 'ALTER SYSTEM refuses "*" with names');

# --- A listed table is drained; the others stay refused --------------------
ok(worker_allows('public.su_owned'), 'the worker reloaded drain_superuser_tables = public.su_owned');
%ids = between_good([ 'public.su_owned', '{"n": 2}' ], [ 'public.ext_member', '{"n": 2}' ]);
is($node->safe_psql('postgres', 'SELECT string_agg(n::text, \',\') FROM su_owned'), '2',
	'the listed superuser-owned table is drained');
like(letter($ids{'public.ext_member'}), qr/^42501 .*member of extension "multiquery_test"/s,
	'the extension-owned table that is not listed is still refused');

ok(worker_allows('public.ext_member'), 'the worker reloaded drain_superuser_tables = public.ext_member');
between_good([ 'public.ext_member', '{"n": 3}' ]);
is($node->safe_psql('postgres', 'SELECT string_agg(n::text, \',\') FROM ext_member'), '3',
	'the listed extension-owned table is drained');

# --- "*": every superuser-owned or extension-owned table, no system relation
ok(worker_allows('*'), 'the worker reloaded drain_superuser_tables = *');
%ids = between_good(
	[ 'public.su_owned', '{"n": 4}' ],
	[ 'public.ext_member', '{"n": 4}' ],
	[ 'information_schema.sql_features',
	  '{"feature_id": "X998", "feature_name": "written by the drain", "sub_feature_id": "", '
	  . '"sub_feature_name": "", "is_supported": "YES"}' ],
	[ 'pg_catalog.pg_description',
	  '{"objoid": 1, "classoid": 1259, "objsubid": 0, "description": "written by the drain"}' ]);
is($node->safe_psql('postgres', 'SELECT string_agg(n::text, \',\' ORDER BY n) FROM su_owned'), '2,4',
	'* lets the superuser-owned table be drained');
is($node->safe_psql('postgres', 'SELECT string_agg(n::text, \',\' ORDER BY n) FROM ext_member'), '3,4',
	'* lets the extension-owned table be drained');
is($node->safe_psql('postgres', q{SELECT count(*) FROM information_schema.sql_features WHERE feature_id LIKE 'X99%'}),
	'0', '* still refuses information_schema.sql_features');
like(letter($ids{'information_schema.sql_features'}), qr/^42501 .*A system relation is never a queue table/s,
	'information_schema.sql_features: a dead letter under * too');
like(letter($ids{'pg_catalog.pg_description'}), qr/^42501 .*A system relation is never a queue table/s,
	'pg_catalog.pg_description: a dead letter under * too');

# --- A table given to a superuser between two batches -----------------------
ok(worker_allows(''), 'the worker reloaded an empty drain_superuser_tables');
between_good([ 'public.flips', '{"n": 1}' ]);
is($node->safe_psql('postgres', 'SELECT string_agg(n::text, \',\') FROM flips'), '1',
	'flips, owned by an ordinary role, is drained');
$node->safe_psql('postgres', 'ALTER TABLE flips OWNER TO postgres');
%ids = between_good([ 'public.flips', '{"n": 2}' ]);
is($node->safe_psql('postgres', 'SELECT string_agg(n::text, \',\') FROM flips'), '1',
	'once a superuser owns it, the next batch does not write it');
like(letter($ids{'public.flips'}), qr/^42501 the drain does not write table public\.flips\nDETAIL:  The table is owned by superuser "postgres"\.\nHINT:  .*multiquery\.drain_superuser_tables/,
	'its entry is a dead letter with the hint');

is($node->safe_psql('postgres', q{SELECT count(*) FROM multiquery.dead_letters WHERE payload[2] IN ('public.good', 'public.probe')}),
	'0', 'no good entry became a dead letter');

done_testing();
