# Differential reads of racing foreign tables: the same read runs on the
# tables themselves (the oracle) and on the raced foreign tables over them,
# in one psql session with the same settings, and the rows must be the same.
#
# A read is an entry of a corpus:
#   name     what the check is called
#   sql      one statement; or runs => [statements], each compared on its own
#   setup    statements run before the runs on each side (PREPARE ...)
#   set      statements run first on each side (SET enable_hashjoin = off)
#   ordered  the statement has a total ORDER BY: rows compare as lists
#            (otherwise as multisets)
#   approx   numbers compare with a relative tolerance (float aggregates,
#            whose last digits follow the order rows are summed in)
#   rows     'some' (default): every SELECT must return rows on the direct
#            side, so that a check cannot pass on two empty answers; 'any'
#   error    the direct side is meant to fail (the raced one must fail alike)
# Relations are written as placeholders ({s}, {f}, ...) that a flavor maps to
# the raced relations and the oracle maps to the tables.
package MultiQuery::RacedOracle;

use strict;
use warnings;
use Test::More;

# Separators no value of the corpus contains, so that rows and fields split
# exactly whatever the text holds (newlines, '|', quotes).
my $FIELD = "\x1f";
my $RECORD = "\x1e";
my $NULL = "\x1a";

# new(node => $node, dbname => $db, direct => {placeholder => relation})
sub new {
	my ($class, %args) = @_;
	my $self = {
		node => $args{node},
		dbname => $args{dbname} // 'postgres',
		direct => $args{direct},
		timeout => $args{timeout} // 180,
	};
	return bless $self, $class;
}

# The statement with each {placeholder} of the map replaced; others (JSON,
# array literals) left alone.
sub substitute {
	my ($sql, $map) = @_;
	$sql =~ s/\{(\w+)\}/exists $map->{$1} ? $map->{$1} : "{$1}"/ge;
	return $sql;
}

sub runs_of {
	my ($entry) = @_;
	return @{ $entry->{runs} } if $entry->{runs};
	return ($entry->{sql});
}

# Statements that return no rows by nature.
sub is_command {
	my ($sql) = @_;
	return $sql =~ /^\s*(SET|RESET|PREPARE|DEALLOCATE|DISCARD|BEGIN|COMMIT|ROLLBACK|DECLARE|MOVE|CLOSE)\b/i;
}

sub marker {
	my ($key) = @_;
	return "\\echo \@\@$key\n\\warn \@\@$key\n";
}

# One side of the script: the session settings, then the entry's setup and
# runs, each behind a marker on stdout and stderr.
sub side_script {
	my ($side, $entry, $settings, $map) = @_;
	my $script = marker("$side settings");
	$script .= join '', map { "$_;\n" } @$settings, @{ $entry->{set} // [] };
	$script .= marker("$side setup");
	$script .= join '', map { substitute($_, $map) . ";\n" } @{ $entry->{setup} // [] };
	my $index = 0;
	for my $run (runs_of($entry)) {
		$script .= marker("$side run " . $index++);
		$script .= substitute($run, $map) . ";\n";
	}
	return $script;
}

# The whole session: the direct side first, so that its rows are known even
# when the raced read takes the session (or the server) down; the session's
# state reset between the sides.
sub session_script {
	my ($self, $entry, $settings, $map, $explain) = @_;
	my $script = "\\set VERBOSITY verbose\n\\pset fieldsep '\\037'\n"
	  . "\\pset recordsep '\\036'\n\\pset null '\\032'\n";
	$script .= side_script('direct', $entry, $settings, $self->{direct});
	$script .= marker('reset') . "ROLLBACK;\nDEALLOCATE ALL;\nRESET ALL;\n";
	$script .= side_script('raced', $entry, $settings, $map);
	if ($explain) {
		$script .= marker('raced explain');
		$script .= 'EXPLAIN (VERBOSE, COSTS OFF) ' . substitute($entry->{sql}, $map) . ";\n";
	}
	return $script . marker('end');
}

# Splits psql's output at the markers: {key => text after it}.
sub segments {
	my ($text) = @_;
	my @parts = split /^\@\@([^\n]*)\n?/m, $text // '';
	shift @parts;
	my %segments;
	while (@parts) {
		my ($key, $body) = splice @parts, 0, 2;
		$segments{$key} = $body // '';
	}
	return \%segments;
}

sub rows_of {
	my ($text) = @_;
	return [] if $text eq '';
	$text =~ s/\n\z//;
	return [ split /$RECORD/, $text, -1 ];
}

# The first error of a segment of stderr, with its SQLSTATE; a lost
# connection (a crashed backend) counts as an error of its own kind.
sub error_of {
	my ($text) = @_;
	return undef unless defined $text;
	if ($text =~ /^(?:psql:[^\n]*?: )?(?:ERROR|FATAL|PANIC):\s+([0-9A-Z]{5}): ([^\n]*)/m) {
		return { state => $1, message => $2 };
	}
	if ($text =~ /(server\ closed\ the\ connection\ unexpectedly|connection\ to\ server\ was\ lost
			|could\ not\ connect[^\n]*|no\ connection\ to\ the\ server)/x) {
		return { state => 'LOST', message => "the session was lost: $1" };
	}
	return undef;
}

# What one side did in one run: rows or error, or nothing (never ran).
sub outcome {
	my ($out, $err, $key) = @_;
	return { missing => 1 } unless exists $out->{$key} || exists $err->{$key};
	return {
		rows => rows_of($out->{$key} // ''),
		error => error_of($err->{$key}),
	};
}

sub readable {
	my ($row) = @_;
	my $shown = $row;
	$shown =~ s/$NULL/NULL/g;
	$shown =~ s/$FIELD/ | /g;
	$shown =~ s/\n/\\n/g;
	return length($shown) > 300 ? substr($shown, 0, 300) . '...' : $shown;
}

sub looks_numeric {
	return $_[0] =~ /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
}

sub same_value {
	my ($a, $b, $approx) = @_;
	return 1 if $a eq $b;
	return 0 unless $approx && looks_numeric($a) && looks_numeric($b);
	my $scale = abs($a) > abs($b) ? abs($a) : abs($b);
	$scale = 1 if $scale < 1;
	return abs($a - $b) <= 1e-9 * $scale;
}

sub same_row {
	my ($a, $b, $approx) = @_;
	return $a eq $b unless $approx;
	my @a = split /$FIELD/, $a, -1;
	my @b = split /$FIELD/, $b, -1;
	return 0 unless @a == @b;
	for my $i (0 .. $#a) {
		return 0 unless same_value($a[$i], $b[$i], 1);
	}
	return 1;
}

# Position by position: the first rows that differ.
sub list_difference {
	my ($raced, $direct, $approx) = @_;
	my @lines;
	my $last = @$raced > @$direct ? $#$raced : $#$direct;
	for my $i (0 .. $last) {
		next
		  if $i <= $#$raced && $i <= $#$direct
		  && same_row($raced->[$i], $direct->[$i], $approx);
		push @lines,
		  sprintf('row %d: raced  %s', $i + 1,
			$i <= $#$raced ? readable($raced->[$i]) : '(none)'),
		  sprintf('row %d: direct %s', $i + 1,
			$i <= $#$direct ? readable($direct->[$i]) : '(none)');
		last if @lines >= 10;
	}
	return @lines;
}

# As multisets: the rows one side has more of than the other.
sub multiset_difference {
	my ($raced, $direct, $approx) = @_;
	my @r = sort @$raced;
	my @d = sort @$direct;
	if ($approx && @r == @d) {
		my $all_close = 1;
		for my $i (0 .. $#r) {
			$all_close &&= same_row($r[$i], $d[$i], 1);
		}
		return () if $all_close;
	}
	my %count;
	$count{$_}++ for @r;
	$count{$_}-- for @d;
	my @only_raced = grep { $count{$_} > 0 } sort keys %count;
	my @only_direct = grep { $count{$_} < 0 } sort keys %count;
	return () unless @only_raced || @only_direct;
	my @lines;
	push @lines, map { 'only raced:  ' . readable($_) } @only_raced[ 0 .. min(4, $#only_raced) ];
	push @lines, sprintf('  (%d more)', @only_raced - 5) if @only_raced > 5;
	push @lines, map { 'only direct: ' . readable($_) } @only_direct[ 0 .. min(4, $#only_direct) ];
	push @lines, sprintf('  (%d more)', @only_direct - 5) if @only_direct > 5;
	return @lines;
}

sub min {
	return $_[0] < $_[1] ? $_[0] : $_[1];
}

sub describe_error {
	my ($error) = @_;
	return "$error->{state}: $error->{message}";
}

# The problems of one run: a side missing, an error on one side only (or
# with another SQLSTATE), rows that differ, or a direct answer that would
# make the comparison vacuous.
sub run_problems {
	my ($entry, $run, $direct, $raced) = @_;
	return ('the direct side never ran (the session ended before it)') if $direct->{missing};
	my @problems;
	my $d_error = $direct->{error};
	if ($d_error && !$entry->{error}) {
		push @problems, 'the direct read failed (the corpus is wrong): ' . describe_error($d_error);
	}
	elsif (!$d_error && $entry->{error}) {
		push @problems, 'the direct read was meant to fail and did not';
	}
	elsif (!$d_error && !is_command($run) && ($entry->{rows} // 'some') eq 'some'
		&& !@{ $direct->{rows} }) {
		push @problems, 'the direct read returned no rows: the comparison would be vacuous';
	}
	if ($raced->{missing}) {
		push @problems, 'the raced side never ran (the session ended before it)';
		return @problems;
	}
	my $r_error = $raced->{error};
	if ($d_error || $r_error) {
		if (!$r_error) {
			push @problems, sprintf('only the direct read failed (%s); raced returned %d rows',
				describe_error($d_error), scalar @{ $raced->{rows} });
		}
		elsif (!$d_error) {
			push @problems, sprintf('only the raced read failed: %s (direct returned %d rows)',
				describe_error($r_error), scalar @{ $direct->{rows} });
		}
		elsif ($d_error->{state} ne $r_error->{state}) {
			push @problems, sprintf('both failed, differently: raced %s; direct %s',
				describe_error($r_error), describe_error($d_error));
		}
		return @problems;
	}
	my @diff = $entry->{ordered}
	  ? list_difference($raced->{rows}, $direct->{rows}, $entry->{approx})
	  : multiset_difference($raced->{rows}, $direct->{rows}, $entry->{approx});
	if (@diff) {
		push @problems, sprintf('rows differ (raced %d rows, direct %d rows, compared as %s):',
			scalar @{ $raced->{rows} }, scalar @{ $direct->{rows} },
			$entry->{ordered} ? 'ordered lists' : 'multisets'),
		  map { "    $_" } @diff;
	}
	return @problems;
}

# Runs the session; returns (stdout segments, stderr segments, psql's stderr).
sub run_session {
	my ($self, $script) = @_;
	my ($out, $err, $timed_out) = ('', '');
	my $ret = eval {
		$self->{node}->psql($self->{dbname}, $script,
			stdout => \$out, stderr => \$err, on_error_stop => 0,
			timeout => $self->{timeout}, timed_out => \$timed_out);
	};
	$err .= "\npsql died: $@" if $@;
	$err .= "\npsql timed out after $self->{timeout}s" if $timed_out;
	return (segments($out), segments($err), $err, $ret);
}

# After a lost session, waits until the server takes connections again (a
# crashed backend restarts the postmaster's children), so that one crash
# costs one check.
sub await_server {
	my ($self) = @_;
	$self->{node}->poll_query_until($self->{dbname}, 'SELECT true');
}

# compare(entry => $entry, flavor => $name, map => {placeholder => relation},
#         settings => [SET statements], label => $text, explain => 0|1,
#         quiet => 0|1)
# One ok() for the entry under these settings (none when quiet); the
# diagnostics name the query, the settings and what differed. Returns
# {ok, plan, problems}; plan is the raced read's EXPLAIN VERBOSE when asked.
sub compare {
	my ($self, %args) = @_;
	my ($entry, $map, $settings) = @args{qw(entry map settings)};
	my $explain = $args{explain} && !$entry->{runs} && !$entry->{setup};
	my ($out, $err, $stderr) =
	  $self->run_session($self->session_script($entry, $settings, $map, $explain));
	my @problems;
	for my $side (qw(direct raced)) {
		my $error = error_of($err->{"$side settings"});
		push @problems, "the settings failed on the $side side: " . describe_error($error)
		  if $error;
	}
	my $setup_d = error_of($err->{'direct setup'});
	my $setup_r = error_of($err->{'raced setup'});
	push @problems, 'setup failed on the direct side: ' . describe_error($setup_d) if $setup_d;
	push @problems, 'setup failed on the raced side: ' . describe_error($setup_r)
	  if $setup_r && !$setup_d;
	my @runs = runs_of($entry);
	for my $i (0 .. $#runs) {
		my @run_problems = run_problems($entry, $runs[$i],
			outcome($out, $err, "direct run $i"), outcome($out, $err, "raced run $i"));
		next unless @run_problems;
		push @problems, (@runs > 1 ? "run $i: " . substitute($runs[$i], $map) : ()),
		  @run_problems;
	}
	my $lost = $stderr =~ /connection to server was lost|server closed the connection unexpectedly
		|could\ not\ connect|the\ database\ system\ is/x;
	push @problems, 'the session was lost; psql said: ' . tail($stderr) if $lost;
	my $ok = !@problems;
	unless ($args{quiet}) {
		ok($ok, "$args{label}: $entry->{name}");
		report($entry, \%args, \@problems) unless $ok;
	}
	$self->await_server if $lost;
	return {
		ok => $ok,
		problems => \@problems,
		plan => $explain ? join("\n", @{ rows_of($out->{'raced explain'} // '') }) : undef,
	};
}

sub tail {
	my ($text) = @_;
	my @lines = grep { /\S/ } split /\n/, $text;
	return join("\n", @lines[ ($#lines > 5 ? $#lines - 5 : 0) .. $#lines ]);
}

sub report {
	my ($entry, $args, $problems) = @_;
	my @runs = runs_of($entry);
	diag(join "\n",
		"query ($args->{flavor}):",
		(map { '    ' . substitute($_, $args->{map}) } @{ $entry->{set} // [] },
			@{ $entry->{setup} // [] }, @runs),
		'settings: ' . join('; ', @{ $args->{settings} }),
		@$problems);
}

1;
