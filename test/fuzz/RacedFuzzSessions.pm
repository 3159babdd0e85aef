# The psql sessions of the differential fuzzer, for RacedFuzz.pm: steps of SQL
# run in one session, each keyed step's result read back from psql's output,
# and a crash told from the watched nodes' start times. RacedFuzz inherits
# these methods: they run on a RacedFuzz object, with its psql, connstr,
# timeout_ms, log_dir and watch.
package RacedFuzzSessions;

use strict;
use warnings;
use Exporter 'import';
use IPC::Run ();
use Time::HiRes qw(time sleep);

# psql's separators of rows and of a row's fields in the results it prints
# (run_session sets them); RacedFuzz splits rows into fields.
my $RECORD_SEP = "\036";
our $FIELD_SEP = "\037";
our @EXPORT_OK = qw($FIELD_SEP);

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
