# Entries trimmed away before the drain read them: a producer capping the
# stream (XADD MAXLEN, XTRIM) while the worker is behind, or while the
# server is down. Redis 7 counts every entry added to a stream and every
# entry its group has been given; once the drain's group has the stream's
# last entry, the difference is what it never saw. The drain cannot bring
# those entries back, but it must say how many are gone, once, and apply
# the rest. Its own trimming of applied entries, and a busy producer, must
# never be taken for a loss.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;
use MultiQuery::QueueNode;

my $redis = MultiQuery::Redis->new;
$redis->start;

my $node = queue_node('primary', $redis, q{
multiquery.drain_streams = 'cap'
});
# Owned by an ordinary role: the drain refuses superusers' tables.
$node->safe_psql('postgres', 'CREATE TABLE t (n int); CREATE ROLE queue_owner; ALTER TABLE t OWNER TO queue_owner');

sub add { $redis->cli('XADD', 'cap', "1-$_", 'table', 'public.t', 'row', qq({"n": $_})) for @_; }
sub rows { return $node->safe_psql('postgres', q{SELECT string_agg(n::text, ',' ORDER BY n) FROM t}); }
sub removal_warnings {
	my ($from) = @_;
	my @found = slurp_file($node->logfile, $from) =~ /WARNING:  stream entries removed unread\n/g;
	return scalar @found;
}
# The server is stopped, the entries numbered in @$added are added, $meanwhile (if any)
# runs, the stream is capped at MAXLEN entries, and the server starts again.
sub capped_while_down {
	my ($added, $maxlen, $meanwhile) = @_;
	$node->stop;
	add(@$added);
	$meanwhile->() if $meanwhile;
	$redis->cli('XTRIM', 'cap', 'MAXLEN', $maxlen);
	$node->start;
}
# drain_status's count of entries removed unread, since the server started.
sub removed_unread {
	return $node->safe_psql('postgres',
		q{SELECT entries_removed_unread FROM multiquery.drain_status WHERE stream = 'cap'});
}
my $worker_pid = sub {
	$node->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type LIKE 'multiquery drain%'});
};

add(1 .. 5);
ok($node->poll_query_until('postgres', 'SELECT count(*) = 5 FROM t'), 'the first five entries are applied');

# The worker is held (SIGSTOP) while the producer adds ten entries and caps
# the stream at four: 1-6 to 1-11 go before the worker could read them.
my $log_at = -s $node->logfile;
my $pid = $worker_pid->();
kill 'STOP', $pid;
add(6 .. 15);
$redis->cli('XTRIM', 'cap', 'MAXLEN', '4');
kill 'CONT', $pid;
ok($node->poll_query_until('postgres', 'SELECT count(*) = 9 FROM t'), 'the entries left are applied');
is(rows(), '1,2,3,4,5,12,13,14,15', 'and only they');
ok($node->wait_for_log(qr/WARNING:  stream entries removed unread\n/, $log_at),
	'a WARNING says entries were removed before the drain read them');
like(slurp_file($node->logfile, $log_at),
	qr/WARNING:  stream entries removed unread\n(?:[^\n]*(?:DETAIL|HINT):  [^\n]*\n)*[^\n]*CONTEXT:  multiquery drain worker 0, stream "cap"\n/,
	'its CONTEXT line names the worker and the stream');
like(slurp_file($node->logfile, $log_at),
	qr/DETAIL:  6 entries of Redis stream "cap" were removed before the drain read them[^\n]*; the last entry it read is 1-15\./,
	'with how many, the stream, and where the drain is');
like($node->safe_psql('postgres', q{SELECT state || ' / ' || last_error FROM multiquery.drain_status WHERE stream = 'cap'}),
	qr{^stream entries removed unread / 6 entries of Redis stream "cap"}, 'drain_status says so too');
is(removed_unread(), '6', 'and counts them');

# While the server is down: 1-16 to 1-25 added, the stream capped at three.
my $log_at_restart = -s $node->logfile;
capped_while_down([16 .. 25], 3);
ok($node->poll_query_until('postgres', 'SELECT count(*) = 12 FROM t'), 'after a restart, the entries left are applied');
is(rows(), '1,2,3,4,5,12,13,14,15,23,24,25', 'and only they');
ok($node->wait_for_log(qr/DETAIL:  7 entries of Redis stream "cap" were removed before the drain read them/, $log_at_restart),
	'the seven entries removed while the server was down are reported');
is(removed_unread(), '7', 'and counted (the count starts again with the server)');

# Down again, this time as if the worker had been given 1-26 and 1-27
# without applying them (its group ahead of drain_progress, as after a stop
# with a read in flight); then the stream is capped at two. When the worker
# rewinds to 1-25 it keeps the group's count, so the six entries it was
# never given (1-28 to 1-33) are still reported. (1-26 and 1-27, given and
# then removed, count as read: a loss that late is not seen.)
my $log_at_rewind = -s $node->logfile;
capped_while_down([26 .. 35], 2,
	sub { $redis->cli('XGROUP', 'SETID', 'cap', 'multiquery', '1-27', 'ENTRIESREAD', '27') });
ok($node->poll_query_until('postgres', 'SELECT count(*) = 14 FROM t'), 'after a rewind, the entries left are applied');
is(rows(), '1,2,3,4,5,12,13,14,15,23,24,25,34,35', 'and only they');
ok($node->wait_for_log(qr/DETAIL:  6 entries of Redis stream "cap" were removed before the drain read them/, $log_at_rewind),
	'the entries the group was never given are reported across the rewind');
is(removed_unread(), '6', 'and counted');

# One entry lost, said as one.
my $log_at_one = -s $node->logfile;
$pid = $worker_pid->();
kill 'STOP', $pid;
add(36, 37);
$redis->cli('XTRIM', 'cap', 'MAXLEN', '1');
kill 'CONT', $pid;
ok($node->poll_query_until('postgres', 'SELECT count(*) = 1 FROM t WHERE n = 37'), 'the entry kept is applied');
ok($node->wait_for_log(qr/DETAIL:  1 entry of Redis stream "cap" was removed before the drain read it \(/, $log_at_one),
	'a single entry lost is reported as one');
is(removed_unread(), '7', 'and added to the count');

# A busy producer while the worker drains and trims what it applied: no
# loss, so no report, and the four losses above are each reported once.
my $quiet_from = -s $node->logfile;
$redis->pipe_generated(3000,
	sub { my $i = $_[0] + 1; ['XADD', 'cap', "2-$i", 'table', 'public.t', 'row', qq({"n": @{[1000 + $i]}})] });
ok($node->poll_query_until('postgres', 'SELECT count(*) = 3015 FROM t'), 'a burst of 3,000 entries is applied');
ok($node->poll_query_until('postgres', q{SELECT trimmed_to = '2-3000' FROM multiquery.drain_status WHERE stream = 'cap'}),
	'and trimmed by the drain');
sleep 2;    # two more of the worker's checks
is(removal_warnings($quiet_from), 0, 'neither the burst nor the drain\'s own trimming is taken for a loss');
is(removal_warnings($log_at), 4, 'each loss was reported once');
is($node->safe_psql('postgres', q{SELECT state FROM multiquery.drain_status WHERE stream = 'cap'}), 'running',
	'and the state is back to running once entries flow');
is(removed_unread(), '7', 'the count is unchanged by the burst');
# last_error is the last error and when it happened, kept while the drain
# runs again (as pg_stat_archiver's last_failed_wal): state says what is now.
like($node->safe_psql('postgres', q{SELECT last_error || ' / ' || (last_error_at IS NOT NULL)
		FROM multiquery.drain_status WHERE stream = 'cap'}),
	qr{^1 entry of Redis stream "cap" was removed before the drain read it .* / true$},
	'the last error stays, with its time, next to state running');

done_testing();
