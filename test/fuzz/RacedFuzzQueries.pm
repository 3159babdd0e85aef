# Generating the differential fuzzer's queries, for RacedFuzz.pm: SQLsmith's
# statements, those that cannot be compared left out, the others rewritten.
# RacedFuzz inherits these methods: they run on a RacedFuzz object, with its
# seed, sqlsmith, generator and max_rows, and read the catalog with its
# query_value (RacedFuzzSessions.pm).
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
# Queries are also rewritten, or left out, so that the two runs can be
# compared at all: bounded subqueries and the top level put in a total order,
# TABLESAMPLE made repeatable, volatile functions and order-sensitive
# aggregates left out. Why, with the rest of what legitimately differs
# between the runs, is told in the header of RacedFuzz.pm.
package RacedFuzzQueries;

use strict;
use warnings;
use IPC::Run ();
use List::Util qw(min);

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

1;
