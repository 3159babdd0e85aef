# Differential reads of racing foreign tables: the same read runs on the
# tables themselves (the oracle) and on the raced foreign tables over them,
# in one psql session with the same settings, and the rows must be the same.
# One session runs a whole list of reads, each from a reset session state:
# starting psql and its remote connections costs more than most reads.
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

# What ends one entry's state before the next (or the raced side's before it
# runs): an open transaction and its cursors, prepared statements, settings.
sub reset_script {
	my ($key) = @_;
	return marker($key) . "ROLLBACK;\nDEALLOCATE ALL;\nRESET ALL;\n";
}

# One side of an entry: the session settings, then the entry's setup and
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

# One entry, its markers keyed by its tag: the direct side first, so that its
# rows are known even when the raced read takes the session (or the server)
# down; the session's state reset between the sides. Its end marker tells
# that the whole entry ran.
sub entry_script {
	my ($self, $tag, $entry, $settings, $map, $explain) = @_;
	my $script = side_script("$tag direct", $entry, $settings, $self->{direct});
	$script .= reset_script("$tag reset");
	$script .= side_script("$tag raced", $entry, $settings, $map);
	if ($explain) {
		$script .= marker("$tag raced explain");
		$script .= 'EXPLAIN (VERBOSE, COSTS OFF) ' . substitute($entry->{sql}, $map) . ";\n";
	}
	return $script . marker("$tag end");
}

# The whole session: entry after entry, each starting from a reset session,
# so that one psql process (and one set of remote connections) serves a
# whole corpus rather than one read.
sub session_script {
	my ($self, $entries, $settings, $map, $explain) = @_;
	my $script = "\\set VERBOSITY verbose\n\\pset fieldsep '\\037'\n"
	  . "\\pset recordsep '\\036'\n\\pset null '\\032'\n";
	for my $i (0 .. $#$entries) {
		$script .= reset_script("$i before") if $i > 0;
		$script .= $self->entry_script($i, $entries->[$i], $settings, $map, $explain->[$i]);
	}
	return $script;
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

# Runs the session, allowed its timeout plus a second per entry; returns
# (stdout segments, stderr segments, psql's stderr). The script goes in a
# file that psql includes: psql quits on a lost connection, and a long
# script still being written to its stdin would then break the pipe and
# lose what psql had said.
sub run_session {
	my ($self, $script, $entries) = @_;
	my $file = $self->{node}->basedir . '/raced_oracle.sql';
	open my $fh, '>', $file or die "could not write $file: $!";
	print $fh $script;
	close $fh or die "could not write $file: $!";
	my ($out, $err, $timed_out) = ('', '');
	my $timeout = $self->{timeout} + $entries;
	eval {
		$self->{node}->psql($self->{dbname}, "\\i '$file'\n",
			stdout => \$out, stderr => \$err, on_error_stop => 0,
			timeout => $timeout, timed_out => \$timed_out);
	};
	$err .= "\npsql died: $@" if $@;
	$err .= "\npsql timed out after ${timeout}s" if $timed_out;
	return (segments($out), segments($err), $err);
}

# After a lost session, waits until the server takes connections again (a
# crashed backend restarts the postmaster's children), so that one crash
# costs one check.
sub await_server {
	my ($self) = @_;
	$self->{node}->poll_query_until($self->{dbname}, 'SELECT true');
}

# The problems of one entry of a session, found under its tag.
sub entry_problems {
	my ($entry, $tag, $map, $out, $err) = @_;
	my @problems;
	for my $side (qw(direct raced)) {
		my $error = error_of($err->{"$tag $side settings"});
		push @problems, "the settings failed on the $side side: " . describe_error($error)
		  if $error;
	}
	my $setup_d = error_of($err->{"$tag direct setup"});
	my $setup_r = error_of($err->{"$tag raced setup"});
	push @problems, 'setup failed on the direct side: ' . describe_error($setup_d) if $setup_d;
	push @problems, 'setup failed on the raced side: ' . describe_error($setup_r)
	  if $setup_r && !$setup_d;
	my @runs = runs_of($entry);
	for my $i (0 .. $#runs) {
		my @run_problems = run_problems($entry, $runs[$i],
			outcome($out, $err, "$tag direct run $i"), outcome($out, $err, "$tag raced run $i"));
		next unless @run_problems;
		push @problems, (@runs > 1 ? "run $i: " . substitute($runs[$i], $map) : ()),
		  @run_problems;
	}
	return @problems;
}

# compare_all(entries => [$entry, ...], flavor => $name,
#             map => {placeholder => relation}, settings => [SET statements],
#             label => $text, explain => 0|1, quiet => 0|1)
# The entries in one psql session under these settings, one ok() each (none
# when quiet); the diagnostics name the query, the settings and what
# differed. A session lost (or psql gone) in the middle of an entry fails
# that entry alone: the entries after it run in a new session. Returns
# [{ok, plan, problems}] in the entries' order; plan is the raced read's
# EXPLAIN VERBOSE when asked (for entries of a single statement).
sub compare_all {
	my ($self, %args) = @_;
	my @pending = @{ $args{entries} };
	my @results;
	while (@pending) {
		my @explain = map { $args{explain} && !$_->{runs} && !$_->{setup} ? 1 : 0 } @pending;
		my ($out, $err, $stderr) = $self->run_session(
			$self->session_script(\@pending, $args{settings}, $args{map}, \@explain),
			scalar @pending);
		my ($finished, $interrupted) = (0, 0);
		for my $i (0 .. $#pending) {
			my $entry = $pending[$i];
			my @problems = entry_problems($entry, $i, $args{map}, $out, $err);
			# On stderr, which psql does not buffer: a psql killed at its
			# timeout still shows how far it got.
			my $ended = exists $err->{"$i end"};
			unless ($ended) {
				my $lost = $stderr =~ /connection to server was lost
					|server\ closed\ the\ connection\ unexpectedly
					|could\ not\ connect|the\ database\ system\ is/x;
				push @problems, ($lost ? 'the session was lost' : 'the session ended before the read did')
				  . '; psql said: ' . tail($stderr);
			}
			my $ok = !@problems;
			unless ($args{quiet}) {
				ok($ok, "$args{label}: $entry->{name}");
				report($entry, \%args, \@problems) unless $ok;
			}
			push @results, {
				ok => $ok,
				problems => \@problems,
				plan => $explain[$i]
				? join("\n", @{ rows_of($out->{"$i raced explain"} // '') })
				: undef,
			};
			$finished++;
			$interrupted = !$ended;
			last if $interrupted;
		}
		splice @pending, 0, $finished;
		$self->await_server if $interrupted;
	}
	return \@results;
}

# compare(entry => $entry, ...): compare_all of one entry; its result.
sub compare {
	my ($self, %args) = @_;
	return $self->compare_all(%args, entries => [ $args{entry} ])->[0];
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
