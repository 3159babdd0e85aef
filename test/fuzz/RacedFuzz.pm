# The differential fuzzer of racing foreign tables.
#
# SQLsmith generates random SELECTs over the raced tables of schema.sql (the
# role it reads the catalog as sees only schemas raced and local). Each query
# runs twice in one session and one transaction: reading the raced tables,
# and with "raced." replaced by "src.", reading the real tables the race
# targets serve (the targets are this database's primary and standby, so the
# real tables are the oracle). A raced answer must be an answer PostgreSQL
# itself gives: rows that differ, an error only the raced run raises (or only
# the direct one), an internal error only the raced run raises, a raced read
# that outlives statement_timeout, a hung or lost session and a crash are
# failures. Between queries, in the same session (so that cached race
# connections see them change), settings change now and then: those that
# change the text form of values (DateStyle, IntervalStyle,
# extra_float_digits, TimeZone, bytea_output, lc_monetary) and those that
# change plans (work_mem down to 64kB, so that raced results spill; join
# methods; plan_cache_mode; the race's prepared statements).
#
# Used by test/t/430_raced_tables_fuzz.pl (test/fuzz/run.sh, make fuzz, runs
# that test longer):
#
#   my $fuzz = RacedFuzz->new(connstr => ..., generator => ..., watch => [...],
#                             log_dir => ..., seed => 42);
#   my @cases = $fuzz->prepare($fuzz->generate(3000));
#   my $summary = $fuzz->run(\@cases, max => 600, seconds => 90);
#
# Every failure is logged with its settings, what each run returned and the
# first rows only one returned, and appended to fuzz_failures.sql (psql -f
# replays it); the whole session of a crash goes to fuzz_crash_N.sql, every
# query run to fuzz_queries.sql.
#
# SQLsmith's statements are filtered and rewritten in RacedFuzzQueries.pm
# (whose header says into what, and why); the psql sessions they run in are
# RacedFuzzSessions.pm. RacedFuzz inherits the methods of both.
#
# What legitimately differs between the two runs, and how it is normalised
# (the first four when the queries are prepared, in RacedFuzzQueries.pm; the
# others when the runs are compared, here):
# - SQLsmith bounds subqueries with LIMIT and no ORDER BY, so which rows a
#   bounded subquery yields depends on the plan, and the two runs' plans
#   differ by construction. Each such subquery gets a total order: a
#   one-column read of one table is ordered by that column (which then goes
#   to the remote side with the LIMIT), any other one by the text of its
#   whole row. The top level is ordered the same way and bounded to
#   max_rows. EXISTS subqueries keep their bare LIMIT: any row will do.
#   Rows are then compared as multisets.
# - TABLESAMPLE (of the small local table) samples at random: it samples the
#   whole table, repeatably.
# - Volatile functions (random(), clock_timestamp(), pg_sleep(), ...) and
#   stable ones whose value changes between two statements of a transaction
#   (statement_timestamp(), the current transaction's statistics, *_if_assigned)
#   make the two runs differ: such queries are skipped. Both runs share a
#   transaction, so now() and txid_current() agree.
# - Aggregates whose result depends on the order of their input (array_agg,
#   string_agg, json[b]_agg, json[b]_object_agg, xmlagg) differ with the
#   plan: such queries are skipped.
# - Floating point sums depend on the order of addition: when the rows
#   differ, values of float and geometric columns are compared with a
#   relative tolerance.
# - Evaluation order: which error a query raises first, or whether it raises
#   one at all, may depend on the plan (a condition evaluated before or after
#   a join). When the runs disagree, the real tables' query is run again:
#   first in its own transaction, as the raced run was, and under other join
#   methods and scan types; a raced answer (rows or error SQLSTATE) one of
#   those runs gives is accepted. A raced scan also evaluates the conditions
#   it sends before its local ones, an order no plan of the real tables'
#   query has: a raced error raised by the remote query is accepted when that
#   remote query, run here on the real tables, raises it too.
#   The other way round, the raced scan's remote conditions may keep rows
#   from an expression that fails on them in every plan of the real tables'
#   query (a cast of a column to a type modifier out of range, on rows the
#   remote condition excludes): a data exception (SQLSTATE class 22) of the
#   real tables' run alone, under every plan, is accepted and logged.
# - statement_timeout (a raced read costs more than a local one): a query
#   that times out on both sides is skipped, on one side only it is counted
#   as inconclusive; a raced read that overruns the timeout by far fails.
# - Both runs failing is accepted whatever the SQLSTATEs (the first error met
#   depends on the plan), unless only the raced one is an internal error
#   (XX000), which no query may cause beyond PostgreSQL's own.
package RacedFuzz;

use strict;
use warnings;
use parent qw(RacedFuzzQueries RacedFuzzSessions);
use File::Path qw(make_path);
use List::Util qw(max min);
use RacedFuzzSessions qw($FIELD_SEP);
use Time::HiRes qw(time);

# The settings varied between queries. The first value of each is the
# default; each query changes each setting with probability $CHANGE_RATE.
# Settings that change the text form of values or the plan: the raced read
# must return the same rows whatever they are.
my @SETTINGS = (
	[ DateStyle => "'ISO, MDY'", "'SQL, DMY'", "'German'", "'Postgres, YMD'", "'SQL, MDY'" ],
	[ IntervalStyle => 'postgres', 'sql_standard', 'iso_8601', 'postgres_verbose' ],
	[ extra_float_digits => 1, -10, 0, 3 ],
	[ TimeZone => "'UTC'", "'America/Sao_Paulo'", "'Asia/Kathmandu'", "'Pacific/Chatham'" ],
	[ bytea_output => 'hex', 'escape' ],
	[ lc_monetary => "'C'", 'LOCALE' ],
	[ work_mem => "'4MB'", "'64kB'" ],
	[ enable_hashjoin => 'on', 'off' ],
	[ enable_mergejoin => 'on', 'off' ],
	[ enable_nestloop => 'on', 'off' ],
	[ 'multiquery.race_prepared_statements' => 16, 0 ],
	[ plan_cache_mode => 'auto', 'force_generic_plan', 'force_custom_plan' ],
);
my $CHANGE_RATE = 0.2;

# Plans the real tables' query is run under when the two runs disagree.
my @ORACLE_PLANS = map { join '', map { "SET LOCAL $_; " } @$_ } (
	[ 'enable_hashjoin = off',  'enable_mergejoin = off', 'enable_nestloop = on' ],
	[ 'enable_hashjoin = off',  'enable_nestloop = off',  'enable_mergejoin = on' ],
	[ 'enable_mergejoin = off', 'enable_nestloop = off',  'enable_hashjoin = on' ],
	[ 'enable_indexscan = off', 'enable_bitmapscan = off', 'max_parallel_workers_per_gather = 0' ],
	[ 'enable_seqscan = off',   'max_parallel_workers_per_gather = 0' ],
);

# Relative tolerances of floating point values, by the column's type.
my %TOLERANCE = (real => 1e-5, default => 1e-10);
my $FLOAT_TYPE =
  qr/^(?:real|double precision|point|lseg|box|path|polygon|line|circle|record)(?:\[\])?$/;

# connstr: where to run the queries (the primary's database of schema.sql);
# watch: connection strings of every node whose restart means a crash;
# psql (or bindir, where it is; default: psql from PATH); sqlsmith: the
# SQLsmith program;
# generator: the connection string SQLsmith reads the catalog with;
# log_dir: where failures and queries are written; seed; timeout_ms: the
# statement_timeout of each query; batch: queries per psql session;
# max_rows: the most rows compared per query; locale: a locale the server
# has, for lc_monetary (none: lc_monetary stays C); log: prints a line.
sub new {
	my ($class, %args) = @_;
	my $self = {
		timeout_ms => 1000,
		batch      => 10,
		max_rows   => 2000,
		sqlsmith   => 'sqlsmith',
		seed       => 1,
		log        => sub { print STDERR "$_[0]\n" },
		%args,
	};
	$self->{psql} //= $self->{bindir} ? "$self->{bindir}/psql" : 'psql';
	for my $required (qw(connstr watch generator log_dir)) {
		die "RacedFuzz: $required is required" unless defined $self->{$required};
	}
	make_path($self->{log_dir});
	my $locale = $self->{locale} ? "'$self->{locale}'" : undef;
	$self->{choices} =
	  [ map { [ grep { defined } map { $_ eq 'LOCALE' ? $locale : $_ } @$_ ] } @SETTINGS ];
	bless $self, $class;
	$self->{failures_file} = "$self->{log_dir}/fuzz_failures.sql";
	unlink $self->{failures_file};
	return $self;
}

sub say {
	my ($self, $line) = @_;
	$self->{log}->($line);
}

# ---------------------------------------------------------------------------
# Running

# Runs the cases until max of them were compared or seconds have passed;
# returns the summary (counts by outcome, failures).
sub run {
	my ($self, $cases, %limits) = @_;
	my $max      = $limits{max} // scalar @$cases;
	my $deadline = time + ($limits{seconds} // 90);
	my @queue    = @$cases;
	my %summary  = (outcomes => {}, failures => [], ran => 0, with_rows => 0, crashes => 0);
	$self->{summary} = \%summary;
	$self->{settings} = { map { $_->[0] => $_->[1] } @{ $self->{choices} } };
	srand($self->{seed});
	$self->{start_times} = $self->start_times;
	while (@queue && $summary{ran} < $max && time < $deadline) {
		# Small sessions near the end, so that the last one ends in time.
		my $size = time > $deadline - 20 ? 3 : $self->{batch};
		my @batch = splice @queue, 0, min($size, $max - $summary{ran});
		$_->{settings} = $self->next_settings for @batch;
		my @unfinished = $self->run_batch(\@batch);
		unshift @queue, @unfinished;
		last if $summary{crashes} >= ($limits{max_crashes} // 10);
	}
	$summary{timed_out} = @queue && $summary{ran} < $max && time >= $deadline;
	$self->write_queries($cases);
	return \%summary;
}

# The settings of the next query: the previous ones, each changed at random
# now and then, so that a cached race connection sees them change.
sub next_settings {
	my ($self) = @_;
	for my $setting (@{ $self->{choices} }) {
		my ($name, @values) = @$setting;
		next if rand() >= $CHANGE_RATE;
		$self->{settings}{$name} = $values[ int(rand(@values)) ];
	}
	return { %{ $self->{settings} } };
}

sub settings_sql {
	my ($settings) = @_;
	return join '', map { "SET $_ = $settings->{$_};\n" } sort keys %$settings;
}

# Runs one session of cases and judges each; returns the cases that did not
# run because the session was lost before them.
sub run_batch {
	my ($self, $batch) = @_;
	my @steps;
	for my $case (@$batch) {
		push @steps, { sql => settings_sql($case->{settings}) . 'BEGIN;' },
		  run_steps($case, 'raced', "$case->{id} raced"),
		  run_steps($case, 'direct', "$case->{id} direct"), { sql => 'COMMIT;' };
	}
	my $session   = $self->run_session(\@steps);
	my $results   = $session->{results};
	my $restarted = $self->crashed;
	my ($lost) = grep { $results->{$_}{state} =~ /^(?:lost|hung)$/ } keys %$results;
	my @unfinished;
	$self->{previous} = undef;
	for my $case (@$batch) {
		my $raced  = $results->{"$case->{id} raced"};
		my $direct = $results->{"$case->{id} direct"};
		if ($lost && $lost =~ /^$case->{id} (\w+)$/) {
			$self->crash($case, $session, $1, $results->{$lost}, $restarted);
		}
		elsif ($raced && $direct) {
			$self->judge($case, $raced, $direct);
		}
		else {
			push @unfinished, $case;
		}
		# What ran before in the session, for the next query's report: a
		# raced read may fail for what an earlier one left behind.
		$self->{previous} = "before it in its session, query $case->{id}: "
		  . join('; ', map { brief(@$_) } [ raced => $raced ], [ direct => $direct ]);
	}
	$self->{previous} = undef;
	# A node restarted while no query of this session lost its connection
	# (the standby, say): the session's last query is named, all are suspects.
	$self->crash($batch->[-1], $session, undef, undef, 1) if $restarted && !$lost;
	return @unfinished;
}

# The steps that run one side of a case and keep its result under $key: the
# query, or its EXECUTE after its PREPARE ($describe: \gdesc instead).
sub run_steps {
	my ($case, $side, $key, $describe) = @_;
	my $gdesc = $describe ? ' \gdesc' : '';
	return { key => $key, sql => "$case->{$side}$gdesc" } unless $case->{params};
	my ($prepare, $execute) = prepared($case, $side);
	return { key => $key, setup => "DEALLOCATE ALL;\n$prepare;\n", sql => "$execute$gdesc" };
}

# A prepared case's PREPARE and EXECUTE of one side.
sub prepared {
	my ($case, $side) = @_;
	my $params = $case->{params};
	my $types  = @$params ? ' (' . join(', ', map { $_->[0] } @$params) . ')' : '';
	my $values = @$params ? ' (' . join(', ', map { $_->[1] } @$params) . ')' : '';
	return ("PREPARE fuzz_$side$types AS\n$case->{$side}", "EXECUTE fuzz_$side$values");
}

# The text that replays one side of a case.
sub replay_sql {
	my ($case, $side) = @_;
	return "$case->{$side};\n" unless $case->{params};
	my ($prepare, $execute) = prepared($case, $side);
	return "$prepare;\n$execute;\nDEALLOCATE fuzz_$side;\n";
}

# ---------------------------------------------------------------------------
# Judging

sub count_outcome {
	my ($self, $outcome) = @_;
	$self->{summary}{outcomes}{$outcome}++;
}

sub judge {
	my ($self, $case, $raced, $direct) = @_;
	$self->{summary}{ran}++;
	$self->check_cancel($case, $raced);
	my ($r, $d) = ($raced->{state}, $direct->{state});
	if ($r eq 'ok' && $d eq 'ok' && same_rows($raced->{rows}, $direct->{rows})) {
		$self->count_outcome('same rows');
		$self->{summary}{with_rows}++ if @{ $direct->{rows} };
		return;
	}
	if (timed_out($raced) && timed_out($direct)) {
		return $self->count_outcome('skipped: both timed out');
	}
	if (timed_out($raced) || timed_out($direct)) {
		return $self->count_outcome('inconclusive: one side timed out');
	}
	if ($r eq 'error' && $d eq 'error') {
		return $self->count_outcome('both failed')
		  unless $raced->{sqlstate} eq 'XX000' && $direct->{sqlstate} ne 'XX000';
		return $self->fail($case, 'internal error in the raced run only', $raced, $direct);
	}
	$self->confirm($case, $raced, $direct);
}

sub timed_out {
	my ($result) = @_;
	return $result->{state} eq 'error' && $result->{sqlstate} eq '57014';
}

# The runs disagree: accepted when the real tables' query gives the raced
# answer under some plan; a failure otherwise.
sub confirm {
	my ($self, $case, $raced, $direct) = @_;
	# The direct run first in its transaction, as the raced run was.
	my @steps = ({ sql => settings_sql($case->{settings}) . 'BEGIN;' },
		run_steps($case, 'direct', 'direct first'), { sql => 'COMMIT; BEGIN;' },
		run_steps($case, 'direct', 'types', 1), run_steps($case, 'raced', 'raced again'),
		run_steps($case, 'direct', 'direct again'));
	for my $i (0 .. $#ORACLE_PLANS) {
		push @steps, { sql => "SAVEPOINT plan; $ORACLE_PLANS[$i]" },
		  run_steps($case, 'direct', "plan $i"), { sql => 'ROLLBACK TO SAVEPOINT plan;' };
	}
	push @steps, { sql => 'COMMIT;' };
	my $session = $self->run_session(\@steps);
	my $results = $session->{results};
	my $restarted = $self->crashed;
	my ($lost) = grep { $_->{state} =~ /^(?:lost|hung)$/ } values %$results;
	if ($restarted || $lost) {
		return $self->crash($case, $session, 'repeated', $lost, $restarted);
	}
	my $types = column_types($results->{types});
	if (same_outcome($raced, $direct, $types)) {
		return $self->accept_answer($case, 'same rows but for float rounding', $raced, $direct);
	}
	my @oracles = grep { defined && !timed_out($_) }
	  map { $results->{$_} } 'direct first', 'direct again', map { "plan $_" } 0 .. $#ORACLE_PLANS;
	if (grep { same_outcome($raced, $_, $types) } @oracles) {
		return $self->accept_answer($case, 'the answer of another plan', $raced, $direct);
	}
	if ($self->remote_condition_fails($case, $raced)) {
		return $self->accept_answer($case,
			'a condition the raced scan runs remotely fails on the real rows', $raced, $direct);
	}
	if ($raced->{state} eq 'ok' && direct_data_error_everywhere($direct, \@oracles)) {
		return $self->accept_answer($case,
			'a data error on rows the raced scan filtered out remotely', $raced, $direct);
	}
	my $again = $results->{'raced again'};
	my $what =
	    $raced->{state} eq 'error' ? 'only the raced run failed'
	  : $direct->{state} eq 'error' ? 'only the direct run failed'
	  :                               'rows differ';
	$what .= $again && same_outcome($raced, $again, $types) ? '' : ' (not every time)';
	$self->fail($case, $what, $raced, $direct);
}

# Whether the raced run's error came from its remote query, which fails the
# same when run on the real tables here. A raced scan evaluates the
# conditions it sends before its local ones, while PostgreSQL orders a scan's
# conditions by cost: a remote condition may then meet rows a cheaper local
# one would have filtered out first (a division by zero on rows the local
# condition excludes). Only remote queries without parameters are run so.
sub remote_condition_fails {
	my ($self, $case, $raced) = @_;
	return 0 unless $raced->{state} eq 'error';
	my ($remote) = ($raced->{stderr} // '') =~ /remote SQL command: (SELECT .*)$/m;
	return 0 unless $remote && $remote !~ /\$\d/;
	my $session = $self->run_session([ { sql => settings_sql($case->{settings}) },
		{ key => 'remote', sql => $remote } ]);
	my $alone = $session->{results}{remote};
	return $alone && $alone->{state} eq 'error' && $alone->{sqlstate} eq $raced->{sqlstate}
	  && $alone->{message} eq $raced->{message};
}

# Whether the real tables' query fails with a data exception (class 22),
# the same one, in its first run and under every other plan.
sub direct_data_error_everywhere {
	my ($direct, $oracles) = @_;
	return 0 unless $direct->{state} eq 'error' && $direct->{sqlstate} =~ /^22/;
	return !grep { $_->{state} ne 'error' || $_->{sqlstate} ne $direct->{sqlstate} } @$oracles;
}

# The runs disagreed in a way PostgreSQL's own plans do: counted, and logged
# for whoever wants to check.
sub accept_answer {
	my ($self, $case, $why, $raced, $direct) = @_;
	$self->count_outcome("accepted: $why");
	$self->say(join "\n", "query $case->{id} accepted: $why", describe('raced', $raced),
		describe('direct', $direct), first_differences($raced, $direct), '');
}

sub same_outcome {
	my ($one, $other, $types) = @_;
	return $one->{sqlstate} eq $other->{sqlstate}
	  if $one->{state} eq 'error' || $other->{state} eq 'error';
	return same_rows($one->{rows}, $other->{rows}, $types);
}

# The result columns' types, from \gdesc's rows (name, type).
sub column_types {
	my ($described) = @_;
	return [] unless $described && $described->{state} eq 'ok';
	return [ map { (split /$FIELD_SEP/o, $_, -1)[1] // '' } @{ $described->{rows} } ];
}

# Whether two lists of rows hold the same rows in any order; with the
# columns' types, floating point values may differ within a tolerance.
sub same_rows {
	my ($one, $other, $types) = @_;
	return 0 if @$one != @$other;
	my @left   = sort @$one;
	my @right  = sort @$other;
	my @differ = grep { $left[$_] ne $right[$_] } 0 .. $#left;
	return 1 unless @differ;
	return 0 unless $types && grep { $_ =~ $FLOAT_TYPE } @$types;
	return !grep { !close_rows($left[$_], $right[$_], $types) } @differ;
}

sub close_rows {
	my ($one, $other, $types) = @_;
	my @x = split /$FIELD_SEP/o, $one,   -1;
	my @y = split /$FIELD_SEP/o, $other, -1;
	return 0 if @x != @y;
	for my $i (0 .. $#x) {
		next if $x[$i] eq $y[$i];
		my $type = $types->[$i] // '';
		return 0 unless $type =~ $FLOAT_TYPE;
		my $tolerance = $TOLERANCE{ $type =~ s/\[\]$//r } // $TOLERANCE{default};
		return 0 unless close_numbers($x[$i], $y[$i], $tolerance);
	}
	return 1;
}

# Two texts that are the same but for their numbers, which are within a
# relative tolerance of each other.
sub close_numbers {
	my ($one, $other, $tolerance) = @_;
	my $number = qr/(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)/i;
	my @x = split $number, $one,   -1;
	my @y = split $number, $other, -1;
	return 0 if @x != @y;
	for my $i (0 .. $#x) {
		next if $x[$i] eq $y[$i];
		return 0 if $i % 2 == 0;    # text between numbers
		my $scale = max(abs($x[$i]), abs($y[$i]));
		return 0 if abs($x[$i] - $y[$i]) > $tolerance * $scale;
	}
	return 1;
}

# A raced read must stop soon after its statement_timeout.
sub check_cancel {
	my ($self, $case, $raced) = @_;
	my $limit = $self->{timeout_ms} + 3000;
	return unless defined $raced->{ms} && $raced->{ms} > $limit;
	$self->fail($case, sprintf('the raced run took %.0f ms, past statement_timeout', $raced->{ms}),
		$raced, undef);
}

# ---------------------------------------------------------------------------
# Reporting

sub fail {
	my ($self, $case, $what, $raced, $direct, @notes) = @_;
	my $kind = $what;
	$kind .= ": $raced->{sqlstate} " . generic($raced->{message})
	  if $raced && $raced->{state} eq 'error';
	my $n = push @{ $self->{summary}{failures} }, { id => $case->{id}, what => $what, kind => $kind };
	$self->{summary}{kinds}{$kind} //= { count => 0, first => $n };
	$self->{summary}{kinds}{$kind}{count}++;
	$self->count_outcome("FAILED: $what");
	push @notes, $self->{previous} if $self->{previous};
	my @lines = ("failure $n (query $case->{id}): $what", @notes,
		'settings: ' . join(', ', map { "$_=$case->{settings}{$_}" } sort keys %{ $case->{settings} }));
	push @lines, describe('raced', $raced), describe('direct', $direct);
	push @lines, first_differences($raced, $direct) if $raced && $direct;
	$self->say(join "\n", @lines, "query:", replay_sql($case, 'raced'));
	$self->append_failure($case, \@lines);
}

# An error message without its values, to tell kinds of failures apart.
sub generic {
	my ($message) = @_;
	$message =~ s/"[^"]*"/"..."/g;
	$message =~ s/\b\d+\b/N/g;
	return $message;
}

sub describe {
	my ($side, $result) = @_;
	return () unless $result;
	if ($result->{state} eq 'error') {
		my $message = $result->{stderr} || "ERROR: $result->{message}";
		$message =~ s/\s+\z//;
		$message =~ s/\n/\n    /g;
		return "$side: error $result->{sqlstate}: $message";
	}
	return "$side: connection lost" if $result->{state} eq 'lost';
	return "$side: " . scalar(@{ $result->{rows} }) . ' rows';
}

sub brief {
	my ($side, $result) = @_;
	return "$side: did not run" unless $result;
	return "$side: $result->{state}" unless $result->{state} =~ /^(?:ok|error)$/;
	return "$side: error $result->{sqlstate}" if $result->{state} eq 'error';
	return "$side: " . scalar(@{ $result->{rows} }) . ' rows';
}

# The first few rows only one side returned.
sub first_differences {
	my ($raced, $direct) = @_;
	return () unless $raced->{state} eq 'ok' && $direct->{state} eq 'ok';
	my %count;
	$count{$_}++ for @{ $direct->{rows} };
	$count{$_}-- for @{ $raced->{rows} };
	my @lines;
	for my $row (sort keys %count) {
		next unless $count{$row};
		my $side = $count{$row} > 0 ? 'direct only' : 'raced only ';
		push @lines, "  $side: " . printable($row);
		last if @lines >= 6;
	}
	return @lines;
}

sub printable {
	my ($row) = @_;
	$row =~ s/$FIELD_SEP/ | /go;
	$row =~ s/\n/\\n/g;
	return length $row > 300 ? substr($row, 0, 300) . '...' : $row;
}

# Appends the failure to fuzz_failures.sql: psql -f replays its settings,
# the raced query and the oracle query.
sub append_failure {
	my ($self, $case, $lines) = @_;
	open my $fh, '>>', $self->{failures_file} or die "$self->{failures_file}: $!";
	print $fh map({ "-- $_\n" } map { split /\n/ } @$lines),
	  settings_sql($case->{settings}), "SET statement_timeout = $self->{timeout_ms};\n",
	  replay_sql($case, 'raced'), replay_sql($case, 'direct'), "\n";
	close $fh;
}

# The session of a case ended: the server crashed ($restarted), or the
# session was lost or hung ($result) in the $side run (undef: a node
# restarted while no query lost its connection; the session's last query is
# named, all are suspects).
sub crash {
	my ($self, $case, $session, $side, $result, $restarted) = @_;
	my $n = ++$self->{summary}{crashes};
	my $file = "$self->{log_dir}/fuzz_crash_$n.sql";
	open my $fh, '>', $file or die "$file: $!";
	print $fh $session->{script};
	close $fh;
	my $hung = $result && $result->{state} eq 'hung';
	my $what = $hung ? 'hang' : $restarted ? 'server crash' : 'session lost';
	my @notes = (
		!defined $side ? 'a node restarted during the session, no query lost its connection'
		: $hung ? "the $side run outlived statement_timeout until its session was ended"
		: "the session was lost in the $side run",
		"the whole session: $file");
	push @notes, "psql said: $result->{stderr}" if $result && $result->{stderr};
	$self->wait_for_restart;
	if (!$hung) {
		push @notes, $self->crashes_alone($case)
		  ? 'run alone in a new session, it fails so again'
		  : 'run alone in a new session, it does not: an earlier query of the session is involved';
	}
	$self->fail($case, $what, undef, undef, @notes);
}

sub crashes_alone {
	my ($self, $case) = @_;
	my $session = $self->run_session([ { sql => settings_sql($case->{settings}) . 'BEGIN;' },
		run_steps($case, 'raced', 'raced'), run_steps($case, 'direct', 'direct'),
		{ sql => 'COMMIT;' } ]);
	my $lost = grep { $_->{state} =~ /^(?:lost|hung)$/ } values %{ $session->{results} };
	return $self->crashed || $lost;
}

# Every case that ran, for replaying a run by hand.
sub write_queries {
	my ($self, $cases) = @_;
	my $file = "$self->{log_dir}/fuzz_queries.sql";
	open my $fh, '>', $file or die "$file: $!";
	print $fh map { "-- query $_->{id}\n" . replay_sql($_, 'raced') } grep { $_->{settings} } @$cases;
	close $fh;
}

1;
