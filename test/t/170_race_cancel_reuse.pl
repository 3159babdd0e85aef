# A late cancel must never hit the next query on a reused connection.
# race_query cancels a loser with a CancelRequest that the server handles in a
# forked child; when the loser's query had already ended, the signal can land
# on whatever that connection runs next. Each round here makes a race cancel a
# query that has (almost always) already finished, then at once sends that
# same connection a query that runs a few milliseconds (so that a late signal
# would find it running) and checks it answers its own value. Rounds run in one
# backend, back to back, as an application's would.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::RaceTest;

my ($primary, $standby) = race_cluster(1);

# rounds(kind, count, seconds): runs up to count rounds (stopping after the
# given seconds) and returns "rounds|failures|first failure". kind 'stale':
# a single target with an unreachable min_lsn (its query is always cancelled);
# 'tie': both targets answer a trivial query, the loser is cancelled. The
# follow-up alternates plain and probed (min_lsn 0/0: a pipeline whose
# freshness probe runs first), on each target. A round fails when any of its
# races fails otherwise than expected.
$primary->safe_psql('postgres', q{
CREATE FUNCTION rounds(kind text, count int, seconds int, OUT done int, OUT failures int,
                       OUT first_failure text)
LANGUAGE plpgsql AS $fn$
DECLARE
	stop_at timestamptz := clock_timestamp() + make_interval(secs => seconds);
	target text;
	got int;
BEGIN
	done := 0;
	failures := 0;
	FOR i IN 1 .. count LOOP
		EXIT WHEN clock_timestamp() > stop_at;
		target := CASE WHEN i % 4 < 2 THEN 'mq_standby1' ELSE 'mq_primary' END;
		BEGIN
			IF kind = 'stale' THEN
				BEGIN
					PERFORM * FROM multiquery.race_query(ARRAY[target], 'SELECT 1',
						min_lsn => 'FFFFFFFF/0') AS t(x int);
					RAISE EXCEPTION 'a target was fresh for min_lsn FFFFFFFF/0';
				EXCEPTION WHEN object_not_in_prerequisite_state THEN
					NULL;  -- no target fresh enough: its query was cancelled
				END;
			ELSE
				PERFORM * FROM multiquery.race_query('{mq_primary,mq_standby1}', 'SELECT 1')
					AS t(x int);
			END IF;
			IF i % 2 = 0 THEN
				SELECT x INTO got FROM multiquery.race_query(ARRAY[target],
					'SELECT $1::int FROM pg_sleep(0.003)', ARRAY[i::text]) AS t(x int);
			ELSE
				SELECT x INTO got FROM multiquery.race_query(ARRAY[target],
					'SELECT $1::int FROM pg_sleep(0.003)', ARRAY[i::text],
					min_lsn => '0/0') AS t(x int);
			END IF;
			IF got IS DISTINCT FROM i THEN
				RAISE EXCEPTION 'round % on %: got % instead', i, target, got;
			END IF;
		-- OTHERS leaves out query_canceled, the very failure looked for.
		EXCEPTION WHEN query_canceled OR others THEN
			failures := failures + 1;
			first_failure := coalesce(first_failure, SQLERRM);
		END;
		done := done + 1;
	END LOOP;
END
$fn$;
});

# One session throughout, as an application's: its backend must also not
# gather cancel sockets or connections (each slot keeps at most one of each).
my $session = $primary->background_psql('postgres', on_error_stop => 0);
my ($pid) = session_query($session, 'SELECT pg_backend_pid()');
my $open_files = sub { my @fds = glob("/proc/$pid/fd/*"); return scalar @fds };
my %files;
for my $kind ('stale', 'tie', 'stale') {
	my ($out, $err) = session_query($session, "SELECT * FROM rounds('$kind', 200, 20)");
	my ($done, $failures, $first) = split /\|/, $out, 3;
	$done //= 0;
	note "$kind: $done rounds, $failures failed" . ($first ? ": $first" : '') . ($err ? " $err" : '');
	cmp_ok($done, '>=', 50, "$kind: enough rounds ran to catch a late cancel");
	is($failures, 0, "$kind: no query on a reused connection was hit by the previous race's cancel")
	  or diag("first failure: $first");
	$files{$kind} //= $open_files->();
}
ok($files{stale} > 0 && $open_files->() <= $files{stale},
	'the backend holds no more files after 400 more rounds than after its first 200');
$session->quit;

# The cancelled queries left nothing behind: no race query still runs on
# either node once the rounds are over.
for my $node ($primary, $standby) {
	ok(poll_until(10, sub { remote_queries($node, 'pg_sleep') eq '0' }),
		$node->name . ': no race query left running');
}

done_testing();
