# A process of its own samples another process's RssAnon (its heap, not
# the shared buffers it touches) every 2 ms until asked for the peak:
#   my $sampler = MultiQuery::RssSampler->start($pid);
#   ... work ...
#   my $peak_kb = $sampler->peak_kb;
package MultiQuery::RssSampler;
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Time::HiRes qw(usleep);
use POSIX ();

sub start {
	my ($class, $pid) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir;
	my $self = bless { peak_file => "$dir/rss_peak", stop_file => "$dir/rss_stop" }, $class;
	my $child = fork();
	die "fork: $!" unless defined $child;
	if ($child == 0) {
		my $peak = 0;
		until (-e $self->{stop_file}) {
			if (open my $fh, '<', "/proc/$pid/status") {
				while (my $line = <$fh>) {
					if ($line =~ /^RssAnon:\s+(\d+)\s+kB/) {
						$peak = $1 if $1 > $peak;
						last;
					}
				}
				close $fh;
			}
			usleep(2_000);
		}
		open my $out, '>', $self->{peak_file} or die;
		print $out "$peak\n";
		close $out;
		POSIX::_exit(0);    # not exit: the test's END blocks would stop its nodes
	}
	$self->{child} = $child;
	return $self;
}

# Stops the sampling; the largest RssAnon seen, in kB (undef if none).
sub peak_kb {
	my ($self) = @_;
	open my $fh, '>', $self->{stop_file} or die;
	close $fh;
	waitpid($self->{child}, 0);
	open my $in, '<', $self->{peak_file} or return undef;
	my $peak = <$in>;
	chomp $peak;
	return $peak;
}

1;
