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
# SQLsmith's queries are rewritten to reach what racing does, alike for both
# runs and the same for a given seed:
# - most typed nulls (cast(null as int8)) become constants of their type;
# - a SELECT level reading a raced table gets, half of the time, a condition
#   on one of its columns: a comparison with a constant, a subquery's value
#   or (a third of the queries run prepared) a parameter, or LIKE, @> and
#   the like. SQLsmith alone seldom writes one, and they are what goes to
#   the remote side;
# - a level reading two tables gets, now and then, an equality of their join
#   keys: merge and hash joins, and remote lookups by key;
# - most WHERE and ON conditions are made true where they were null (IS NOT
#   FALSE): SQLsmith compares typed nulls so often that most queries would
#   return no rows. IS NOT FALSE stays local, the conditions added do not.
#
# What legitimately differs between the two runs, and how it is normalised:
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
# - statement_timeout (a raced read costs more than a local one): a query
#   that times out on both sides is skipped, on one side only it is counted
#   as inconclusive; a raced read that overruns the timeout by far fails.
# - Both runs failing is accepted whatever the SQLSTATEs (the first error met
#   depends on the plan), unless only the raced one is an internal error
#   (XX000), which no query may cause beyond PostgreSQL's own.
package RacedFuzz;

use strict;
use warnings;
use File::Path qw(make_path);
use IPC::Run ();
use List::Util qw(max min);
use Time::HiRes qw(time sleep);

# Aggregates whose result depends on the order in which rows reach them.
my @ORDER_SENSITIVE_AGGREGATES =
  qw(array_agg string_agg json_agg jsonb_agg json_object_agg jsonb_object_agg xmlagg);

# Volatile by declaration, constant while the fuzzer runs on a primary
# nothing else writes to: its recovery and WAL receiver state, its logging
# and JIT settings.
my $CONSTANT_HERE = qr/^(?:pg_is_in_recovery|pg_is_wal_replay_paused|pg_get_wal_replay_pause_state
	  |pg_last_wal_receive_lsn|pg_last_wal_replay_lsn|pg_last_xact_replay_timestamp
	  |pg_notification_queue_usage|pg_current_logfile|pg_jit_available
	  |pg_replication_origin_session_is_setup)$/x;

# Stable functions whose value changes between two statements of one
# transaction (volatile ones are read from pg_proc).
my $PER_STATEMENT_FUNCTIONS = qr/^(?:statement_timestamp|\w+_if_assigned
	  |pg_stat_get_xact_\w+|pg_stat_get_backend_\w+|pg_stat_get_activity
	  |pg_stat_get_progress_info|pg_stat_get_wal_receiver|pg_stat_get_subscription\w*)$/x;

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

# Constants that replace SQLsmith's typed nulls (cast(null as int8)) now and
# then, by type: values of the tables' columns and edge values, written so
# that every DateStyle and IntervalStyle reads them alike.
my %CONSTANTS = (
	int2                 => [ '0', '7', '-3' ],
	int4                 => [ '0', '7', '42', '1500', '-3' ],
	bool                 => [ 'true', 'false' ],
	int8                 => [ '0', '42', '-2345564239', '9223372036854775807' ],
	'"numeric"'          => [ '0', '-13154.429', '1.50', 'NaN' ],
	float4               => [ '1.5', '0.142857', '-0', 'Infinity' ],
	float8               => [ '-0', '1e-300', 'NaN', '-15999.666666666666', '2.5' ],
	text                 => [ 'apple 5', 'Zebra', 'a1', '', 'straße 3', 'B12' ],
	bpchar               => [ 'apple 5', 'a1 ', 'Z9' ],
	name                 => [ 'apple 5', 'Zebra' ],
	'"char"'             => [ 'a', 'Z' ],
	date                 => [ '2003-04-05', '1991-11-21', 'infinity', '0044-03-15 BC' ],
	'"timestamp"'        => [ '2000-01-01 12:00:00', '2000-01-06 03:00:00.5' ],
	timestamptz          => [ '2021-03-28 02:30:00+01', '2021-04-07 01:56:02.000246+00', '-infinity' ],
	'"time"'             => [ '12:00:00', '00:00:01.000005' ],
	timetz               => [ '12:00:00+02' ],
	'"interval"'         => [ '1 mon 2 days', '-11 mons -27 days +01:01:01.5', '3 days 04:05:06' ],
	jsonb                => [ '{"k": 3}', 'null', '[5, "x5", false, null]' ],
	uuid                 => [ '13c6ef36-0000-4000-8000-000000000002' ],
	bytea                => [ '\x5c27', '\x' ],
	_int4                => [ '{1,1,1}', '{}', '{NULL,59}' ],
	_text                => [ '{apple,"a b"}' ],
	'src.mood'           => [ 'ok', 'ecstatic' ],
);
my $FILL_RATE = 0.6;

# The constants' keys of the raced columns' types (as format_type names them).
my %TYPE_KEY = (
	smallint                      => 'int2',
	integer                       => 'int4',
	bigint                        => 'int8',
	real                          => 'float4',
	'double precision'            => 'float8',
	boolean                       => 'bool',
	'timestamp with time zone'    => 'timestamptz',
	'timestamp without time zone' => '"timestamp"',
	'time without time zone'      => '"time"',
	interval                      => '"interval"',
	'integer[]'                   => '_int4',
);

# Conditions added on a raced column, by type, besides comparisons: each
# goes to the remote side (%s is the column).
my %TYPE_CONDITIONS = (
	text    => [ "%s like 'a%%'", "%s ilike '%%E%%'", "%s ~ '^[A-Z]'", "length(%s) > 5",
		"%s < 'Zebra' collate \"C\"", "%s collate \"POSIX\" >= 'b'", "lower(%s) < 'm'",
		"upper(%s) = 'ÄPFEL 3'" ],
	jsonb   => [ "%s @> '{\"k\": 3}'", "%s ? 'name'", "(%s ->> 'k') = '3'" ],
	_int4   => [ "%s && '{1,2}'", "%s @> '{0}'", "7 = any (%s)" ],
	int4    => [ '%s %% 7 = 3', 'abs(%s) < 500' ],
	int8    => [ '%s %% 7 = 3', 'abs(%s) < 500000000' ],
	float8  => [ 'abs(%s) < 1000', 'round(%s::numeric, 2) > 0' ],
	date    => [ '%s - 30 < \'2003-04-05\'::date', "%s between '1990-01-01' and '2001-12-31'" ],
	'"interval"' => [ "justify_interval(%s) > '1 mon'::interval" ],
);
# Columns that join the tables of schema.sql, by kind: an equality between
# two tables a level reads makes a join the planner may run as a merge or
# hash join, or as remote lookups by key (a parameterized raced scan).
my @JOIN_KEYS = (
	[qw(items.id events.item_id item_totals.item_id ticks.n ticks.g picks.item_id)],
	[qw(items.code ticks.label)],
	[qw(items.name picks.label events.kind)],
	[qw(items.day picks.since)],
);
my $JOIN_RATE    = 0.6;    # of a SELECT level reading two tables
my $PREPARE_RATE = 0.3;    # of a query: run prepared, its added values as parameters
my $ADD_RATE   = 0.5;    # of a SELECT level reading a raced table
my $OPEN_RATE  = 0.8;    # of a SELECT level's WHERE
my $PARAM_RATE = 0.3;    # of an added comparison: with a subquery's value

my $RECORD_SEP = "\036";
my $FIELD_SEP  = "\037";

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
# Generating and preparing queries

# $count statements from SQLsmith (its --dry-run prints them, ';'-ended).
sub generate {
	my ($self, $count) = @_;
	my ($out, $err) = ('', '');
	my @command = ($self->{sqlsmith}, "--target=$self->{generator}", '--exclude-catalog',
		'--dry-run', "--seed=$self->{seed}", "--max-queries=$count");
	IPC::Run::run(\@command, '<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(600))
	  or die "sqlsmith failed: $err";
	my @statements = grep { /\S/ } split /;\n/, $out;
	die "sqlsmith generated nothing: $err" unless @statements;
	return @statements;
}

# The names of the functions no query may call: volatile ones and stable
# ones whose value changes between statements.
sub denied_functions {
	my ($self) = @_;
	my @functions = split ' ', $self->query_value(q{
		SELECT string_agg(DISTINCT provolatile::text || proname, ' ') FROM pg_catalog.pg_proc});
	my @denied = grep { !/$CONSTANT_HERE/ } map { substr $_, 1 }
	  grep { /^v/ || /^s/ && substr($_, 1) =~ $PER_STATEMENT_FUNCTIONS } @functions;
	return (@denied, @ORDER_SENSITIVE_AGGREGATES);
}

# The cases to run, { id, raced, direct, params } for each usable statement
# in order; counts why the others were left out in $self->{skipped}.
sub prepare {
	my ($self, @statements) = @_;
	my $denied = join '|', map { quotemeta } $self->denied_functions;
	my $denied_call = qr/\b\w+\.(?:$denied)\s*\(/;
	$self->{columns} ||= $self->raced_columns;
	my (@cases, %skipped);
	for my $sql (@statements) {
		my $why =
		    $sql !~ /^\s*(?:select|with)\b/i ? 'not a SELECT'
		  : $sql =~ $denied_call ? 'volatile or order-sensitive function'
		  : $sql !~ /\braced\./ ? 'reads no raced table'
		  : $sql =~ /\bas\s+any\w*\s*\)/i ? 'casts to a pseudo-type (fails on both sides)'
		  :                       undef;
		if ($why) {
			$skipped{$why}++;
			next;
		}
		srand($self->{seed} * 1_000_003 + @cases);
		$self->{params} = rand() < $PREPARE_RATE ? [] : undef;
		my $raced = eval { $self->deterministic(fill_nulls($sql)) };
		if (!defined $raced) {
			$skipped{'not parsed'}++;
			next;
		}
		(my $direct = $raced) =~ s/\braced\./src./g;
		push @cases, { id => scalar(@cases) + 1, raced => $raced, direct => $direct,
			params => $self->{params} };
	}
	$self->{skipped} = \%skipped;
	return @cases;
}

# Most of SQLsmith's typed nulls replaced by constants of their type, so that
# conditions select rows (and go to the remote side as constants).
sub fill_nulls {
	my ($sql) = @_;
	$sql =~ s{cast\(null as ([^)]+)\)}{
		my $values = $CONSTANTS{$1};
		$values && rand() < $FILL_RATE
		  ? "cast('" . $values->[ int(rand(@$values)) ] . "' as $1)"
		  : $&
	}ge;
	return $sql;
}

# The statement with every bounded subquery and the top level in a total
# order, TABLESAMPLE made repeatable and conditions added (see the header).
sub deterministic {
	my ($self, $sql) = @_;
	$sql =~ s/\s+\z//;
	$sql =~ s/\btablesample\s+\w+\s*\(\s*[\d.]+\s*\)/tablesample system (100) repeatable (0)/gi;
	$self->{bound} = 0;
	my $body = $self->rewrite_select($self->rewrite_level(parse_groups($sql)));
	my $limit = $self->{max_rows};
	if ($body =~ s/\s+limit\s+(\d+)\s*\z//i) {
		$limit = min($1, $limit);
	}
	return "select * from (\n$body\n) as fuzz_top\n"
	  . "order by (fuzz_top::text) collate \"C\" limit $limit";
}

# The WHERE of one SELECT level: now and then a condition added on one of
# its raced tables (SQLsmith seldom compares a raced column with a value, and
# such comparisons are what goes to the remote side), and now and then made
# true where it was null (SQLsmith's conditions compare typed nulls so often
# that most queries would return no rows; IS NOT FALSE does not go to the
# remote side, so not every level gets it: the condition added stays apart
# and goes).
sub rewrite_select {
	my ($self, $sql) = @_;
	my ($head, $cond, $tail, $flat) = split_where($sql);
	my @conds;
	push @conds, join_condition($flat) if rand() < $JOIN_RATE;
	push @conds, $self->raced_condition($flat) if rand() < $ADD_RATE;
	push @conds, rand() < $OPEN_RATE ? "($cond) is not false" : "($cond)" if defined $cond;
	@conds = grep { defined } @conds;
	return $sql unless @conds;
	return "$head\nwhere " . join(' and ', @conds) . $tail;
}

# A SELECT level's text before its WHERE, its condition (undef without
# one), what follows it (LIMIT), and the text before the WHERE without
# parenthesised parts.
sub split_where {
	my ($sql) = @_;
	my ($text, $flat, $where) = ('', '');
	for my $piece (@{ parse_groups($sql) }) {
		if (ref $piece) {
			$text .= '(' . render($piece->{group}) . ')';
			$flat .= '()';
			next;
		}
		$where = length($text) + $-[0] while $piece !~ /^['"]/ && $piece =~ /\bwhere\b/gi;
		$text .= $piece;
		$flat .= $piece;
	}
	my $tail = $text =~ s/(\s+limit\s+\d+(?:\s+offset\s+\d+)?\s*)\z//i ? $1 : '';
	return ($text, undef, $tail, $flat) unless defined $where;
	$flat =~ s/\bwhere\b.*\z//is;
	return (substr($text, 0, $where), substr($text, $where + 5), $tail, $flat);
}

sub render {
	my ($level) = @_;
	return join '', map { ref $_ ? '(' . render($_->{group}) . ')' : $_ } @$level;
}

# A condition on a column of one of the raced tables a level reads ($flat
# is its text before WHERE); undef when it reads none.
sub raced_condition {
	my ($self, $flat) = @_;
	my @tables;
	push @tables, [ $1, $2 ] while $flat =~ /\braced\.(\w+)\s+as\s+(\w+)/gi;
	return undef unless @tables;
	my ($table, $alias) = @{ $tables[ int(rand(@tables)) ] };
	my $columns = $self->{columns}{$table} or return undef;
	my ($column, $type) = @{ $columns->[ int(rand(@$columns)) ] };
	my $expr = "$alias.$column";
	my $roll = rand();
	return "$expr is " . ($roll < 0.05 ? '' : 'not ') . 'null' if $roll < 0.1;
	my $extra = $TYPE_CONDITIONS{$type};
	return sprintf($extra->[ int(rand(@$extra)) ], $expr) if $extra && $roll < 0.3;
	return "$expr in (" . $self->value($type) . ', ' . $self->value($type) . ')' if $roll < 0.4;
	my $value = rand() < $PARAM_RATE
	  ? "(select $column from raced.$table order by " . sort_key($column, $type)
	  . ' limit 1 offset ' . int(rand(40)) . ')'
	  : $self->value($type);
	my @ops = ('=', '<>', '<', '<=', '>', '>=', 'is distinct from');
	return "$expr $ops[int(rand(@ops))] $value";
}

# An ORDER BY of one column in some direction (and, for text, now and then
# in another collation than the column's).
sub sort_key {
	my ($column, $type) = @_;
	my @directions = ('', ' desc', ' nulls first', ' desc nulls last');
	my $collate = ($type // '') eq 'text' && rand() < 0.3 ? ' collate "C"' : '';
	return $column . $collate . $directions[ int(rand(@directions)) ];
}

# A value of a type: a constant, or in a prepared query a parameter.
sub value {
	my ($self, $type) = @_;
	my $constant = constant($type);
	return $constant unless $self->{params};
	push @{ $self->{params} }, [ $type, $constant =~ /^cast\((.*) as [^)]+\)\z/ ];
	return '$' . scalar @{ $self->{params} };
}

# An equality between the join keys of two tables a level reads ($flat is
# its text before WHERE), at least one of them raced; undef when none.
sub join_condition {
	my ($flat) = @_;
	my @tables;
	push @tables, [ $1, $2, $3 ] while $flat =~ /\b(raced|local)\.(\w+)\s+as\s+(\w+)/gi;
	my @pairs;
	for my $keys (@JOIN_KEYS) {
		for my $left (@tables) {
			for my $right (@tables) {
				next if $left->[2] eq $right->[2] || $left->[0] ne 'raced' && $right->[0] ne 'raced';
				for my $x (grep { /^$left->[1]\./ } @$keys) {
					for my $y (grep { /^$right->[1]\./ } @$keys) {
						push @pairs, "$left->[2].${\ (split /\./, $x)[1]} = $right->[2].${\ (split /\./, $y)[1]}";
					}
				}
			}
		}
	}
	return @pairs ? $pairs[ int(rand(@pairs)) ] : undef;
}

sub constant {
	my ($type) = @_;
	my $values = $CONSTANTS{$type} or die "no constants of type $type";
	return "cast('" . $values->[ int(rand(@$values)) ] . "' as $type)";
}

# The raced tables' columns: { table => [ [ column, constants' type ], ... ] },
# the columns of a type without constants left out.
sub raced_columns {
	my ($self) = @_;
	my %columns;
	for my $line (split /\n/, $self->query_value(q{
			SELECT c.relname || ' ' || a.attname || ' ' || format_type(a.atttypid, NULL)
			FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
			WHERE c.relnamespace = 'raced'::regnamespace AND a.attnum > 0
			  AND NOT a.attisdropped ORDER BY c.relname, a.attnum})) {
		my ($table, $column, $type) = split / /, $line, 3;
		$type = $TYPE_KEY{$type} // ($CONSTANTS{qq{"$type"}} ? qq{"$type"} : $type);
		push @{ $columns{$table} }, [ $column, $type ] if $CONSTANTS{$type};
	}
	return \%columns;
}

# A parenthesised level of SQL text as a list of strings and groups
# ({ group => [...] }); quoted literals and identifiers stay whole.
sub parse_groups {
	my ($text) = @_;
	my @stack = ([]);
	while ($text =~ /\G('(?:[^']|'')*'|"(?:[^"]|"")*"|\(|\)|[^'"()]+)/gc) {
		my $token = $1;
		if ($token eq '(') {
			push @stack, [];
		}
		elsif ($token eq ')') {
			die "unbalanced )" if @stack < 2;
			my $group = pop @stack;
			push @{ $stack[-1] }, { group => $group };
		}
		else {
			push @{ $stack[-1] }, $token;
		}
	}
	die "unparsed text" if (pos($text) // 0) != length $text;
	die "unbalanced (" if @stack != 1;
	return $stack[0];
}

# The text of a level, its subqueries rewritten innermost first.
sub rewrite_level {
	my ($self, $level) = @_;
	my $text = '';
	for my $piece (@$level) {
		if (!ref $piece) {
			$text .= $piece;
			next;
		}
		my $inner = $self->rewrite_level($piece->{group});
		if ($inner =~ /^\s*select\b/i) {
			$inner = $self->bound_subquery($self->rewrite_select($inner), $text);
		}
		elsif ($text =~ /\bon\s*\z/i && rand() < $OPEN_RATE) {
			$inner = "($inner) is not false";
		}
		$text .= "($inner)";
	}
	return $text;
}

# A subquery that ends in LIMIT, put in a total order; $before is the text
# that precedes it at its level.
sub bound_subquery {
	my ($self, $sql, $before) = @_;
	return $sql unless $sql =~ /\A(.*?)\s+(limit\s+\d+(?:\s+offset\s+\d+)?)\s*\z/is;
	my ($body, $limit) = ($1, $2);
	return $sql if $before =~ /\bexists\s*\z/i;
	# A column of one table: ordered by the column, whose values are unique
	# in their text form (schema.sql), so that ties cannot pick other text.
	if ($body =~ /\A\s*select\s+(\w+)\s+from\s+([\w.]+)\s*\z/is) {
		return "select $1 from $2 order by " . sort_key($1) . " $limit";
	}
	my $alias = 'fuzz_b' . ++$self->{bound};
	return "select * from ($body) as $alias order by ($alias\::text) collate \"C\" $limit";
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

# ---------------------------------------------------------------------------
# Sessions

# Runs steps ({ sql, key }) in one psql session; returns { script,
# results => { key => { state (ok, error, lost), rows, sqlstate, message,
# ms } } }, a result for each keyed step that started.
sub run_session {
	my ($self, $steps) = @_;
	my $script = join '', "\\set ON_ERROR_ROLLBACK on\n", "\\pset format unaligned\n",
	  "\\pset tuples_only on\n", "\\pset fieldsep '\\037'\n", "\\pset recordsep '\\036'\n",
	  "\\pset null '\\\\N'\n", "SET statement_timeout = $self->{timeout_ms};\n";
	for my $step (@$steps) {
		if (!$step->{key}) {
			$script .= "$step->{sql}\n";
			next;
		}
		my $sql = $step->{sql} =~ /\\gdesc\z/ ? $step->{sql} : "$step->{sql};";
		$script .= "\\echo \@\@run $step->{key}\n\\warn \@\@run $step->{key}\n"
		  . ($step->{setup} // '') . "\\timing on\n$sql\n\\timing off\n"
		  . "\\echo \@\@end $step->{key} :ERROR :SQLSTATE\n"
		  . "\\echo \@\@message :LAST_ERROR_MESSAGE\n\\echo \@\@done\n\\warn \@\@end $step->{key}\n";
	}
	my ($out, $err) = ('', '');
	my $seconds = 30 + 2 * @$steps * ($self->{timeout_ms} / 1000 + 5);
	# From a file: psql stops reading when the server crashes.
	my $file = "$self->{log_dir}/fuzz_session.sql";
	open my $fh, '>', $file or die "$file: $!";
	print $fh $script;
	close $fh;
	local $ENV{PGAPPNAME} = 'multiquery_fuzz';
	my $psql = IPC::Run::start([ $self->{psql}, '-X', '-q', '-d', $self->{connstr}, '-f', $file ],
		'<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout($seconds));
	my $hung = !eval { $psql->finish; 1 };
	if ($hung) {
		# A query outlived every statement_timeout: its session is ended.
		$psql->kill_kill;
		$self->query_value(q{SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = 'multiquery_fuzz'});
	}
	my $results = parse_results($out, $err);
	$_->{state} = 'hung' for grep { $hung && $_->{state} eq 'lost' } values %$results;
	return { script => $script, results => $results };
}

# The result of each keyed step from psql's output and its error output.
sub parse_results {
	my ($out, $err) = @_;
	my %messages;
	while ($err =~ /^\@\@run (.+)\n/mg) {
		my $key = $1;
		$err =~ /\G(.*?)(?:^\@\@end \Q$key\E\n|\z)/msgc;
		($messages{$key} = $1) =~ s/^psql:[^:]*:\d+: //mg;
	}
	my %results;
	while ($out =~ /^\@\@run (.+)\n/mg) {
		my $key   = $1;
		my $start = pos $out;
		if ($out !~ /\G(.*?)^\@\@end \Q$key\E (\S+) (\S+)\n\@\@message (.*?)\n\@\@done\n/msgc) {
			$results{$key} = { state => 'lost', stderr => $messages{$key} };
			last;
		}
		my ($block, $error, $sqlstate, $message) = ($1, $2, $3, $4);
		my $ms;
		$ms = $1 if $block =~ s/(?:\A|(?<=\n))Time: ([\d.]+) ms[^\n]*\n\z//;
		$results{$key} =
		  $error eq 'true'
		  ? { state => 'error', sqlstate => $sqlstate, message => $message, ms => $ms,
			stderr => $messages{$key} }
		  : { state => 'ok', rows => split_rows($block), ms => $ms, sqlstate => '00000' };
	}
	return \%results;
}

# The rows of a result as psql printed them: separated by $RECORD_SEP, the
# last one followed by a newline (so that one empty row is not no rows).
sub split_rows {
	my ($block) = @_;
	return [] if $block eq '';
	$block =~ s/\n\z//;
	return [ $block eq '' ? ('') : split /$RECORD_SEP/o, $block, -1 ];
}

sub query_value {
	my ($self, $sql, $connstr) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ $self->{psql}, '-X', '-At', '-d', $connstr // $self->{connstr},
			'-c', $sql ], '<', \undef, '>', \$out, '2>', \$err, IPC::Run::timeout(60))
	  or die "psql failed: $err";
	chomp $out;
	return $out;
}

# When each watched node's postmaster started; a change means a crash.
sub start_times {
	my ($self) = @_;
	return [ map { scalar eval { $self->query_value('SELECT pg_postmaster_start_time()', $_) } // '' }
		  @{ $self->{watch} } ];
}

sub crashed {
	my ($self) = @_;
	my $now = $self->start_times;
	my $changed = grep { $now->[$_] ne $self->{start_times}[$_] } 0 .. $#$now;
	return 0 unless $changed;
	$self->wait_for_restart;
	return 1;
}

# Waits until every watched node answers again after a crash.
sub wait_for_restart {
	my ($self) = @_;
	my $deadline = time + 120;
	while (time < $deadline) {
		my $times = $self->start_times;
		if (!grep { $_ eq '' } @$times) {
			$self->{start_times} = $times;
			return;
		}
		sleep 0.5;
	}
	die 'a node did not come back after a crash';
}

1;
