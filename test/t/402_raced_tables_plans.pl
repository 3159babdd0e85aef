# Racing foreign tables under every plan shape that reads a raced scan in an
# unusual way: below a Sort, a Materialize, a Merge Join (with mark and
# restore), a Hash Join, an aggregate; rescanned with and without new
# parameters; from subplans run once per outer row; backwards through a
# scroll cursor; under EXPLAIN ANALYZE; cancelled in the middle. Each shape
# runs on a small remote table and on one whose rows outgrow work_mem (the
# scan's tuplestore spills to disk), with work_mem small and large.
#
# The raced tables' targets are this database's primary and its standby, so
# the real table is the oracle: every raced query must return exactly what
# the same query returns on the table it reads, in the same settings. A
# crashed backend must show as a failed check, not end the file, so the
# primary restarts its backends after a crash (TAP clusters are set up not
# to) and every query that could crash is followed by a check that the
# server kept running.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);
$primary->append_conf('postgresql.conf', 'restart_after_crash = on');
$primary->reload;

$primary->safe_psql('postgres', q{
	CREATE TABLE docs (id int PRIMARY KEY, title text, v text);
	INSERT INTO docs SELECT g, 'title ' || g, md5(g::text) FROM generate_series(1, 100000) g;
	CREATE TABLE small_docs (id int PRIMARY KEY, title text, v text);
	INSERT INTO small_docs SELECT * FROM docs WHERE id <= 300;
	CREATE TABLE events (id int, grp int, val int);
	INSERT INTO events SELECT g, g % 997, g % 13 FROM generate_series(1, 300000) g;
	CREATE TABLE small_events (id int, grp int, val int);
	INSERT INTO small_events SELECT * FROM events WHERE id <= 1000;
	CREATE SERVER main_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_primary, mq_standby1');
	CREATE SCHEMA raced;
	CREATE FOREIGN TABLE raced.docs (id int, title text, v text) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'docs');
	CREATE FOREIGN TABLE raced.small_docs (id int, title text, v text) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'small_docs');
	CREATE FOREIGN TABLE raced.events (id int, grp int, val int) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'events');
	CREATE FOREIGN TABLE raced.small_events (id int, grp int, val int) SERVER main_reads
		OPTIONS (schema_name 'public', table_name 'small_events');
	-- The same targets as another server: another race group, whose tables
	-- are not joined remotely with main_reads' ones.
	CREATE SERVER other_reads FOREIGN DATA WRAPPER multiquery
		OPTIONS (targets 'mq_primary, mq_standby1');
	CREATE FOREIGN TABLE raced.other_events (id int, grp int, val int) SERVER other_reads
		OPTIONS (schema_name 'public', table_name 'events');
	-- 500 local keys, never analyzed (autovacuum would): the planner then
	-- sorts both sides of a Merge Join on the raced table.
	CREATE TABLE local_ids (id int) WITH (autovacuum_enabled = off);
	INSERT INTO local_ids SELECT g * 7 FROM generate_series(1, 500) g;
	-- A few outer rows, one value twice in a row (a rescan with the same value).
	CREATE TABLE few (k int);
	INSERT INTO few VALUES (0), (1), (1), (2);
	-- 200 of those keys and one that no table has: a subplan scanned again for
	-- each of them reads the raced rows once to the end.
	CREATE TABLE probe_ids (id int);
	INSERT INTO probe_ids SELECT id FROM local_ids WHERE id <= 1400 UNION ALL SELECT -1;
	-- Sorted keys, each twice: a Merge Join goes back to its mark for the second.
	CREATE TABLE pairs (k int);
	INSERT INTO pairs SELECT g FROM generate_series(1, 100000, 37) g, generate_series(1, 2);
	CREATE INDEX ON pairs (k);
	ANALYZE few;
	ANALYZE pairs;
});
$primary->wait_for_catchup($standby);

# --- Whether the server kept running ---------------------------------------
# PostgreSQL 15 keeps pg_postmaster_start_time() across a crash and the
# restart of every backend that follows it; the checkpointer is restarted
# then, and the log says why.
sub server_generation {
	my ($rc, $out) = $primary->psql('postgres', q{
		SELECT pg_postmaster_start_time() || ' / checkpointer ' || backend_start
		FROM pg_stat_activity WHERE backend_type = 'checkpointer'});
	return $rc == 0 ? $out : '';
}

my $generation = server_generation();
my $log_at = -s $primary->logfile;

sub new_log {
	return slurp_file($primary->logfile, $log_at);
}

# One check: the server neither crashed nor restarted since the last one.
# $stderr, what the last query printed, tells whether its connection was
# lost; the postmaster may not have logged the crash yet.
sub server_still_up {
	my ($what, $stderr) = @_;
	if (($stderr // '') =~ /server closed the connection|connection to server was lost/) {
		poll_until(10, sub { new_log() =~ /terminated by signal/ });
	}
	# After a crash, the next checks wait until the server is back.
	if (new_log() =~ /terminated by signal/) {
		poll_until(60, sub {
			new_log() =~ /terminated by signal(?s:.*)database system is ready to accept connections/ });
	}
	my $now = poll_until(60, sub { server_generation() });
	my $log = new_log();
	$log_at = -s $primary->logfile;
	my @crash = $log =~ /^(.*(?:terminated by signal|Failed process was running).*)$/mg;
	my $ok = ok($now eq $generation && !@crash, "$what: the server is still up");
	diag(@crash ? join("\n", @crash) : "server restarted: $generation -> $now") unless $ok;
	$generation = $now;
	return $ok;
}

# --- Comparing with the real table -------------------------------------------
# Where two outputs first differ, for a short diagnostic.
sub first_difference {
	my ($got, $expected) = @_;
	my @got = split /\n/, $got, -1;
	my @expected = split /\n/, $expected, -1;
	my $at = 0;
	$at++ while $at < @got && $at < @expected && $got[$at] eq $expected[$at];
	return sprintf("%d lines, expected %d; first difference at line %d: got '%s', expected '%s'",
		scalar(@got), scalar(@expected), $at + 1, $got[$at] // '(none)',
		$expected[$at] // '(none)');
}

# Replaces {T} by the table, {E} by the events table, {H} and {Q} by half and a
# quarter of the table's rows.
sub fill {
	my ($sql, $size) = @_;
	my %words = (
		T => $size->{docs},
		E => $size->{events},
		H => int($size->{rows} / 2),
		Q => int($size->{rows} / 4));
	$sql =~ s/\{(\w)\}/$words{$1}/g;
	return $sql;
}

my @sizes = (
	{ name => '300 rows', docs => 'small_docs', events => 'small_events', rows => 300 },
	{ name => '100,000 rows', docs => 'docs', events => 'events', rows => 100000 });

# The query on the raced table returns what it returns on the real one, in
# the same settings; then the server is still up. Returns whether it did.
sub same_as_real {
	my ($what, $settings, $sql, $size) = @_;
	my $real_sql = fill($sql, { %$size, docs => "public.$size->{docs}",
			events => "public.$size->{events}" });
	my $raced_sql = fill($sql, { %$size, docs => "raced.$size->{docs}",
			events => "raced.$size->{events}" });
	my ($rc, $expected, $err) = $primary->psql('postgres', "$settings;\n$real_sql");
	if ($rc != 0) {
		fail("$what: the oracle (the real table) answers");
		diag($err);
		return 0;
	}
	my ($raced_rc, $got, $raced_err) = $primary->psql('postgres', "$settings;\n$raced_sql");
	my $ok = ok($raced_rc == 0 && $got eq $expected, "$what: the rows of the real table");
	unless ($ok) {
		diag("exit code $raced_rc; " . first_difference($got, $expected));
		diag($raced_err) if $raced_err ne '';
	}
	server_still_up($what, $raced_err);
	return $ok;
}

# The plan of the raced query has the shape the case is about (so that each
# case tests what it says).
sub plan_like {
	my ($what, $settings, $sql, $size, $pattern) = @_;
	my $raced_sql = fill($sql, { %$size, docs => "raced.$size->{docs}",
			events => "raced.$size->{events}" });
	my ($rc, $plan, $err) = $primary->psql('postgres',
		"$settings;\nEXPLAIN (VERBOSE, COSTS OFF) $raced_sql");
	like($plan, $pattern, "$what: the plan has that shape") or diag($err);
}

# --- The shapes ----------------------------------------------------------------
my $no_hash_no_merge = 'SET enable_hashjoin = off; SET enable_mergejoin = off';
my @cases = (
	{
		what => 'Sort over the raced scan',
		sql => 'SELECT id, title FROM {T} ORDER BY reverse(v), id',
		plan => qr/^\s*Sort\n.*\n\s+Sort Key: \(reverse\(\w+\.v\)\), \w+\.id\n\s+->  Foreign Scan/,
	},
	{
		what => 'Merge Join over a Sort of the raced scan (local keys never analyzed)',
		settings => 'SET enable_hashjoin = off; SET enable_nestloop = off',
		sql => 'SELECT count(*), sum(length(d.v)) FROM {T} d JOIN local_ids l ON d.id = l.id',
		plan => qr/Merge Join.*->  Sort\n(?:.*\n){2}\s+->  Foreign Scan on raced\.\w+ d/s,
	},
	{
		what => 'Merge Join with its mark restored in a Materialize over the raced scan',
		settings => 'SET enable_hashjoin = off; SET enable_nestloop = off; SET enable_sort = off',
		sql => 'SELECT p.k, d.title FROM (SELECT k FROM pairs ORDER BY k OFFSET 0) p '
		  . 'JOIN {T} d ON d.id = p.k ORDER BY p.k',
		plan => qr/Merge Join.*->  Materialize\n.*\n\s+->  Foreign Scan on raced\.\w+ d/s,
	},
	{
		what => 'Hash Join hashing the whole raced table',
		settings => 'SET enable_mergejoin = off; SET enable_nestloop = off',
		sql => 'SELECT count(*), sum(length(d.v)), max(d.title) '
		  . 'FROM local_ids l JOIN {T} d ON d.id = l.id',
		plan => qr/Hash Join.*->  Hash\n.*\n\s+->  Foreign Scan on raced\.\w+ d/s,
	},
	{
		# random() * 0 keeps the join condition local: the raced scan is not
		# parameterized and is read again for each outer row.
		what => 'Nested Loop rescanning a Materialize over the raced scan',
		settings => $no_hash_no_merge,
		sql => 'SELECT f.k, count(d.id), sum(length(d.v)) FROM few f '
		  . 'LEFT JOIN {T} d ON d.id % 3 = f.k + (random() * 0)::int GROUP BY f.k ORDER BY f.k',
		plan => qr/Nested Loop Left Join.*->  Materialize\n.*\n\s+->  Foreign Scan on raced\.\w+ d/s,
	},
	{
		what => 'Nested Loop rescanning the raced scan itself with unchanged parameters',
		settings => "$no_hash_no_merge; SET enable_material = off",
		sql => 'SELECT f.k, count(d.id), sum(length(d.v)) FROM few f '
		  . 'LEFT JOIN {T} d ON d.id % 3 = f.k + (random() * 0)::int GROUP BY f.k ORDER BY f.k',
		plan => qr/Nested Loop Left Join(?:(?!Materialize|Memoize).)*->  Foreign Scan on raced\.\w+ d/s,
	},
	{
		what => 'Nested Loop re-racing a parameterized raced scan for each outer row',
		settings => "$no_hash_no_merge; SET enable_memoize = off; SET enable_material = off",
		sql => 'SELECT f.k, count(d.id), sum(length(d.v)) FROM few f '
		  . 'LEFT JOIN {T} d ON d.id % 50 = f.k GROUP BY f.k ORDER BY f.k',
		plan => qr/Nested Loop Left Join.*->  Foreign Scan on raced\.\w+ d\n(?:.*\n)*\s+Remote SQL: .*\$1\b/s,
	},
	{
		what => 'Memoize over a parameterized raced scan',
		settings => $no_hash_no_merge,
		sql => 'SELECT f.k, count(d.id), sum(length(d.v)) FROM few f '
		  . 'LEFT JOIN {T} d ON d.id % 50 = f.k GROUP BY f.k ORDER BY f.k',
		plan => qr/->  Memoize\n(?:.*\n)*\s+->  Foreign Scan on raced\.\w+ d\n(?:.*\n)*\s+Remote SQL: .*\$1\b/,
	},
	{
		what => 'Nested Loop looking up 500 keys, one race each',
		settings => "$no_hash_no_merge; SET enable_memoize = off; SET enable_material = off",
		sql => 'SELECT l.id, d.title FROM local_ids l LEFT JOIN {T} d ON d.id = l.id ORDER BY l.id',
		plan => qr/Nested Loop Left Join.*->  Foreign Scan on raced\.\w+ d\n(?:.*\n)*\s+Remote SQL: .*\(id\b.*\$1\)/s,
	},
	# The aggregates below read val::text::int, which cannot go remote (a
	# cast through text): the grouping stays local, over the raced scan.
	{
		# Grouped by an expression, so that no ORDER BY goes remote.
		what => 'HashAggregate (GROUP BY) over the raced scan',
		settings => 'SET enable_hashagg = on',
		sql => 'SELECT grp % 1000, count(*), sum(val::text::int), min(id), max(id) FROM {E} GROUP BY 1 ORDER BY 1',
		plan => qr/HashAggregate\n(?:.*\n)*\s+->  Foreign Scan on raced\.\w+/,
	},
	{
		what => 'GroupAggregate (GROUP BY) over a Sort of the raced scan',
		settings => 'SET enable_hashagg = off',
		sql => 'SELECT grp % 1000, count(*), sum(val::text::int), min(id), max(id) FROM {E} GROUP BY 1 ORDER BY 1',
		plan => qr/GroupAggregate\n(?:.*\n)*\s+->  Sort\n(?:.*\n)*\s+->  Foreign Scan on raced\.\w+/,
	},
	{
		what => 'GroupAggregate (GROUP BY) over the raced scan sorted remotely',
		settings => 'SET enable_hashagg = off',
		sql => 'SELECT grp, count(*), sum(val::text::int), min(id), max(id) FROM {E} GROUP BY grp ORDER BY grp',
		plan => qr/GroupAggregate\n(?:.*\n)*\s+->  Foreign Scan on raced\.\w+\n(?:.*\n)*\s+Remote SQL: .* ORDER BY grp/,
	},
	{
		# The OR keeps EXISTS a subplan; BETWEEN keeps it from being hashed.
		what => 'correlated EXISTS subplan re-raced for each outer row',
		sql => 'SELECT count(*), sum(l.id) FROM local_ids l WHERE l.id <= 700 AND (l.id % 2 = 1 OR '
		  . "EXISTS (SELECT 1 FROM {T} d WHERE d.id BETWEEN l.id - 1 AND l.id + 1 AND d.title LIKE '%5%'))",
		plan => qr/\(SubPlan 1\)(?:.*\n)*\s+SubPlan 1\n\s+->  Foreign Scan on raced\.\w+ d\n(?:.*\n)*\s+Remote SQL: .*\$1\b/,
	},
	{
		# d.id::text cannot go remote: the sum is computed here, over the rows.
		what => 'correlated scalar subplan fetching many rows per outer row',
		sql => 'SELECT l.id, (SELECT sum(length(d.v || d.id::text)) FROM {T} d WHERE d.id % 20 = l.id % 20) '
		  . 'FROM local_ids l WHERE l.id <= 140 ORDER BY l.id',
		plan => qr/SubPlan 1\n(?:.*\n)*\s+->  Foreign Scan on raced\.\w+ d\n(?:.*\n)*\s+Remote SQL: .*\$1\b/,
	},
	{
		what => 'uncorrelated IN subplan, hashed',
		sql => 'SELECT count(*), sum(l.id) FROM local_ids l WHERE l.id IN (SELECT id FROM {T}) OR l.id < 0',
		plan => qr/\(hashed SubPlan 1\)(?:.*\n)*\s+->  Foreign Scan on raced\.\w+/,
	},
	{
		# bit has no hash opclass: the subplan is scanned again for each outer row.
		what => 'uncorrelated IN subplan, not hashed, through a Materialize',
		settings => 'SET enable_material = on',
		sql => 'SELECT count(*), sum(l.id) FROM probe_ids l '
		  . 'WHERE l.id::bit(32) IN (SELECT id::bit(32) FROM {T}) OR l.id < -5',
		plan => qr/Filter: \(\(SubPlan 1\)(?:.*\n)*\s+->  Materialize\n(?:.*\n)*\s+->  Foreign Scan on raced\.\w+/,
	},
	{
		what => 'uncorrelated IN subplan, not hashed, rescanning the raced scan itself',
		settings => 'SET enable_material = off',
		sql => 'SELECT count(*), sum(l.id) FROM probe_ids l '
		  . 'WHERE l.id::bit(32) IN (SELECT id::bit(32) FROM {T}) OR l.id < -5',
		plan => qr/Filter: \(\(SubPlan 1\)(?:(?!Materialize).)*->  Foreign Scan on raced\.\w+/s,
	},
);

for my $work_mem ('64kB', '256MB') {
	for my $size (@sizes) {
		for my $case (@cases) {
			# Synchronized scans would start each rescan of the real table where
			# the last one stopped (shared_buffers is tiny here): slow, not wrong.
			my $settings = "SET work_mem = '$work_mem'; SET synchronize_seqscans = off";
			$settings .= "; $case->{settings}" if $case->{settings};
			my $what = "$case->{what} ($size->{name}, work_mem $work_mem)";
			plan_like($what, $settings, $case->{sql}, $size, $case->{plan});
			same_as_real($what, $settings, $case->{sql}, $size);
		}
	}
}

# The query that first showed the crash, in the default settings: a never
# analyzed local table of 500 keys joined to 100,000 raced rows plans a Merge
# Join over a Sort of the raced scan.
{
	my $sql = 'SELECT count(*) FROM {T} d JOIN local_ids l ON d.id = l.id';
	plan_like('the reported Merge Join', 'RESET work_mem', $sql, $sizes[1],
		qr/Merge Join.*->  Sort\n(?:.*\n){2}\s+->  Foreign Scan on raced\.docs d/s);
	same_as_real('the reported Merge Join', 'RESET work_mem', $sql, $sizes[1]);
}

# --- Joins and aggregates sent to the remote side --------------------------------
# In the default settings, before and after ANALYZE of the raced tables: a
# GROUP BY over a raced table is one remote query returning the groups, a
# join of two raced tables of one race group one remote query returning the
# joined rows (with its aggregate, when grouped), and a few local rows look
# a raced table up by key, a race per key.
my $no_local_work = qr/\A(?:(?!Aggregate|Join|Nested Loop|Sort|Limit|Unique).)*Foreign Scan\n/s;
my $end = qr/(?:\n|\z)/;
my @pushed = (
	{
		what => 'GROUP BY over a raced table, remotely',
		sql => 'SELECT grp, count(*), sum(val), avg(val), min(id) FROM {E} GROUP BY grp',
		plan => qr/$no_local_work(?:.*\n)*\s+Remote SQL: SELECT grp, pg_catalog\.count\(\*\), pg_catalog\.sum\(val\), pg_catalog\.avg\(val\), pg_catalog\.min\(id\) FROM public\.\w+ GROUP BY 1$end/,
	},
	{
		what => 'HAVING, ORDER BY an aggregate and LIMIT over the groups, remotely',
		sql => 'SELECT grp, count(*) FROM {E} WHERE val > 2 GROUP BY grp HAVING sum(val) > 10 '
		  . 'ORDER BY count(*) DESC, grp LIMIT 5',
		plan => qr/$no_local_work(?:.*\n)*\s+Remote SQL: .* WHERE \(val OPERATOR\(pg_catalog\.>\) 2\) GROUP BY 1 HAVING .*sum\(val\).* ORDER BY pg_catalog\.count\(\*\) DESC, grp LIMIT 5$end/,
	},
	{
		what => 'DISTINCT over a raced table, remotely',
		sql => 'SELECT DISTINCT val FROM {E} WHERE grp < 100',
		plan => qr/$no_local_work(?:.*\n)*\s+Remote SQL: SELECT val FROM public\.\w+ WHERE .* GROUP BY 1$end/,
	},
	{
		what => 'join of two raced tables on the key, remotely',
		sql => 'SELECT d.id, d.title, e.val FROM {T} d JOIN {E} e ON e.id = d.id WHERE d.id % 100 = 0',
		plan => qr/$no_local_work(?:.*\n)*\s+Remote SQL: SELECT r1\.id, r1\.title, r2\.val FROM public\.\w+ r1 INNER JOIN public\.\w+ r2 ON /,
	},
	{
		what => 'left join of two raced tables, remotely',
		sql => 'SELECT d.id, e.grp FROM {T} d LEFT JOIN {E} e ON e.id = d.id AND e.val = 3 WHERE d.id < 2000',
		plan => qr/$no_local_work(?:.*\n)*\s+Remote SQL: .* FROM public\.\w+ r1 LEFT JOIN public\.\w+ r2 ON \(.*\) WHERE \(\(?r1\.id OPERATOR\(pg_catalog\.<\) 2000\)/,
	},
	{
		what => 'aggregate over a join of two raced tables, remotely',
		sql => 'SELECT e.val, count(*), max(d.title) FROM {T} d JOIN {E} e ON e.id = d.id GROUP BY e.val',
		plan => qr/$no_local_work(?:.*\n)*\s+Remote SQL: SELECT r2\.val, pg_catalog\.count\(\*\), pg_catalog\.max\(\(r1\.title COLLATE pg_catalog\."default"\)\) FROM public\.\w+ r1 INNER JOIN public\.\w+ r2 ON .* GROUP BY 1$end/,
	},
	{
		# Against a remote table of 100,000 rows (300 are fetched whole).
		what => 'a few local rows looking a raced table up by key',
		sizes => ['100,000 rows'],
		sql => 'SELECT f.k, d.title FROM few f JOIN {T} d ON d.id = f.k',
		plan => qr/Nested Loop\n(?:.*\n)*\s+->  Foreign Scan on raced\.\w+ d\n(?:.*\n)*\s+Remote SQL: .*WHERE \(\$1 OPERATOR\(pg_catalog\.=\) id\)/,
	},
	{
		what => 'tables of two race groups, joined here',
		sql => 'SELECT d.id, o.val FROM {T} d JOIN raced.other_events o ON o.id = d.id WHERE d.id % 100 = 0',
		plan => qr/(?:Join|Nested Loop)(?:.*\n)*\s+->  Foreign Scan on raced\.\w+ \w\n(?:.*\n)*\s+->  (?:\w+ )*Foreign Scan on raced\.\w+ \w\n/,
	},
);
for my $analyzed (0, 1) {
	if ($analyzed) {
		$primary->safe_psql('postgres', 'ANALYZE raced.docs, raced.events, raced.small_docs, '
			  . 'raced.small_events, raced.other_events');
	}
	for my $size (@sizes) {
		for my $case (@pushed) {
			next if $case->{sizes} && !grep { $_ eq $size->{name} } @{ $case->{sizes} };
			my $what = "$case->{what} ($size->{name}, "
			  . ($analyzed ? 'analyzed' : 'never analyzed') . ')';
			plan_like($what, 'RESET work_mem', $case->{sql}, $size, $case->{plan});
			# In a total order, whatever the plan's.
			same_as_real($what, 'RESET work_mem', "SELECT * FROM ($case->{sql}) q ORDER BY q", $size);
		}
	}
}

# --- A scroll cursor, read forwards and backwards --------------------------------
my $cursor = q{
BEGIN;
DECLARE c SCROLL CURSOR FOR %s;
FETCH 3 FROM c;
FETCH BACKWARD 2 FROM c;
FETCH ABSOLUTE {H} FROM c;
MOVE FORWARD 10 IN c;
FETCH BACKWARD 3 FROM c;
FETCH ABSOLUTE -1 FROM c;
MOVE BACKWARD ALL IN c;
FETCH 2 FROM c;
FETCH LAST FROM c;
FETCH PRIOR FROM c;
FETCH RELATIVE -{Q} FROM c;
FETCH ABSOLUTE {Q} FROM c;
FETCH BACKWARD ALL FROM c;
COMMIT;
};
my @cursors = (
	# The ORDER BY goes to the remote side; the cursor's Materialize goes
	# backwards over the raced scan.
	[ 'a scroll cursor over a Materialize of the raced scan', 'SELECT id, title FROM {T} ORDER BY id',
		qr/^\s*Materialize\n\s+->  Foreign Scan on \w+\n/ ],
	# A local Sort can go backwards itself.
	[ 'a scroll cursor over a Sort of the raced scan', 'SELECT id, title FROM {T} ORDER BY reverse(v), id',
		qr/^\s*Sort\n.*\n\s+->  Foreign Scan on \w+\n/ ],
);
for my $work_mem ('64kB', '256MB') {
	for my $size (@sizes) {
		for my $c (@cursors) {
			my ($name, $query, $pattern) = @$c;
			my $what = "$name ($size->{name}, work_mem $work_mem)";
			my $settings = "SET work_mem = '$work_mem'";
			my ($rc, $plan, $err) = $primary->psql('postgres', "$settings;\n"
				  . fill("EXPLAIN (COSTS OFF) DECLARE c SCROLL CURSOR FOR $query",
					{ %$size, docs => "raced.$size->{docs}" }));
			like($plan, $pattern, "$what: the plan has that shape") or diag($err);
			same_as_real($what, $settings, sprintf($cursor, $query), $size);
		}
	}
}

# --- EXPLAIN ANALYZE ---------------------------------------------------------------
for my $work_mem ('64kB', '256MB') {
	for my $size (@sizes) {
		my $what = "EXPLAIN ANALYZE of a Merge Join over a Sort ($size->{name}, work_mem $work_mem)";
		my $matches = $primary->safe_psql('postgres',
			"SELECT count(*) FROM $size->{docs} d JOIN local_ids l ON d.id = l.id");
		my ($rc, $out, $err) = $primary->psql('postgres', qq{
			SET work_mem = '$work_mem'; SET enable_hashjoin = off; SET enable_nestloop = off;
			EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
			SELECT count(*) FROM raced.$size->{docs} d JOIN local_ids l ON d.id = l.id});
		like($out, qr/Foreign Scan on $size->{docs} d \(actual rows=$size->{rows} loops=1\)/,
			"$what: the raced scan returned every row") or diag($err);
		like($out, qr/Merge Join \(actual rows=$matches loops=1\)/, "$what: and the join its rows");
		server_still_up($what, $err);
	}
}

# --- Cancelled in the middle -----------------------------------------------------------
# statement_timeout while the raced rows are being received, then while the
# spilled rows are being read back (pg_sleep makes each row slow), each
# followed in the same session by raced reads that must answer, and the
# server must not have restarted.
my $after_cancel = q{
RESET statement_timeout;
SELECT count(*), sum(length(v)) FROM {S}.docs WHERE id % 3 = 0;
SELECT id, title FROM {S}.small_docs WHERE id BETWEEN 10 AND 12 ORDER BY id;
};
sub after_cancel_in {
	my ($schema) = @_;
	(my $sql = $after_cancel) =~ s/\{S\}/$schema/g;
	return $sql;
}
my $expected_after = $primary->safe_psql('postgres', after_cancel_in('public'));
for my $cancel (
	[ 'while the raced rows arrive', '100ms',
		'SELECT count(*), sum(val::text::int), max(grp), min(id) FROM raced.events' ],
	[ 'while the spilled rows are read back', '2s',
		"SELECT count(*) FROM raced.docs d WHERE d.v IS NOT NULL AND pg_sleep(0.0001)::text = ''" ])
{
	my ($when, $timeout, $sql) = @$cancel;
	my $what = "statement_timeout $when";
	my ($rc, $out, $err) = $primary->psql('postgres', qq{
		SET work_mem = '64kB';
		SET statement_timeout = '$timeout';
		$sql;
		} . after_cancel_in('raced'),
		on_error_stop => 0);
	like($err, qr/canceling statement due to statement timeout/, "$what: the read is cancelled");
	is($out, $expected_after, "$what: the same session then reads raced tables")
	  or diag($err);
	server_still_up($what, $err);
}

done_testing();
