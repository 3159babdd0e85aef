# A real redis-server for TAP tests: started on a free loopback port in the
# test's own directory with the append-only file on (every write fsynced, so
# even SIGKILL loses nothing), and stopped, killed or restarted on demand.
package MultiQuery::Redis;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

# new(): picks a port and a directory; start() runs the server.
# new(args => ['--replicaof', '127.0.0.1', $port]): more server arguments.
sub new {
	my ($class, %options) = @_;
	my $self = {
		port => PostgreSQL::Test::Cluster::get_free_port(),
		dir => PostgreSQL::Test::Utils::tempdir('redis'),
		pid => undef,
		args => $options{args} // [],
	};
	return bless $self, $class;
}

sub port { return $_[0]->{port}; }

# Starts redis-server and waits (at most 30 s) until it answers PING.
sub start {
	my ($self) = @_;
	$self->launch;
	for (1 .. 300) {
		return if $self->ping;
		usleep(100_000);
	}
	BAIL_OUT("redis-server on port $self->{port} does not answer");
}

# Starts redis-server without waiting for it to answer (it may be loading its
# dataset: commands then get LOADING replies); records its pid.
sub launch {
	my ($self) = @_;
	my $dir = $self->{dir};
	unlink "$dir/redis.pid";
	system('redis-server', '--port', $self->{port}, '--bind', '127.0.0.1',
		'--protected-mode', 'no', '--dir', $dir, '--appendonly', 'yes',
		'--appendfsync', 'always', '--save', '', '--daemonize', 'yes',
		'--pidfile', "$dir/redis.pid", '--logfile', "$dir/redis.log", @{ $self->{args} }) == 0
	  or BAIL_OUT("redis-server did not start: $?");
	for (1 .. 300) {
		if (-s "$dir/redis.pid") {
			$self->{pid} = PostgreSQL::Test::Utils::slurp_file("$dir/redis.pid");
			chomp $self->{pid};
			return;
		}
		usleep(100_000);
	}
	BAIL_OUT("redis-server on port $self->{port} wrote no pid file");
}

sub ping {
	my ($self) = @_;
	my $out = $self->cli('ping');
	return defined $out && $out =~ /PONG/;
}

# Sends a signal and waits (at most 30 s) for the process to be gone.
sub _signal_and_wait {
	my ($self, $signal) = @_;
	my $pid = $self->{pid} or return;
	kill $signal, $pid;
	for (1 .. 300) {
		last unless kill(0, $pid);
		# A zombie of a daemon we do not reap counts as gone.
		my $state = `ps -o stat= -p $pid 2>/dev/null`;
		last if !defined $state || $state eq '' || $state =~ /^Z/;
		usleep(100_000);
	}
	$self->{pid} = undef;
}

# Orderly shutdown (SIGTERM: redis flushes its AOF).
sub stop { $_[0]->_signal_and_wait('TERM'); }

# Crash: SIGKILL.
sub kill9 { $_[0]->_signal_and_wait('KILL'); }

# Freezes the server (SIGSTOP): connections stay open and the kernel still
# accepts new ones, but nothing is answered until thaw() (SIGCONT); this is a
# hung Redis, not a dead one.
sub freeze { kill 'STOP', $_[0]->{pid}; }
sub thaw { kill 'CONT', $_[0]->{pid}; }

# Credentials redis-cli uses from now on (once the default user needs a
# password); undef user: the default user.
sub set_auth {
	my ($self, $user, $password) = @_;
	$self->{auth} = [ (defined $user ? ('--user', $user) : ()),
		'--pass', $password, '--no-auth-warning' ];
}

sub restart {
	my ($self) = @_;
	$self->stop;
	$self->start;
}

# Runs one redis-cli command; returns its output, chomped.
sub cli {
	my ($self, @args) = @_;
	my $quoted = join ' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @args;
	my $auth = join ' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @{ $self->{auth} || [] };
	my $out = `redis-cli -h 127.0.0.1 -p $self->{port} $auth $quoted 2>&1`;
	chomp $out;
	return $out;
}

# Encodes one command in the Redis protocol (RESP), for pipe().
sub resp {
	my @args = @_;
	my $out = '*' . scalar(@args) . "\r\n";
	for my $arg (@args) {
		utf8::encode($arg) if utf8::is_utf8($arg);
		$out .= '$' . length($arg) . "\r\n" . $arg . "\r\n";
	}
	return $out;
}

# Sends many commands at once through redis-cli --pipe; each command is an
# array reference. Fails the test if Redis reports any error.
sub pipe {
	my ($self, @commands) = @_;
	return $self->pipe_generated(scalar(@commands), sub { $commands[ $_[0] ] });
}

# Like pipe(), for more commands than fit in memory at once: calls
# $make->($i) for $i in 0 .. $count - 1, each returning one command (an array
# reference), and streams them to a file that redis-cli --pipe sends.
sub pipe_generated {
	my ($self, $count, $make) = @_;
	my $file = "$self->{dir}/pipe.txt";
	open my $fh, '>:raw', $file or die "cannot write $file: $!";
	print $fh resp(@{ $make->($_) }) for 0 .. $count - 1;
	close $fh;
	my $auth = join ' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @{ $self->{auth} || [] };
	my $out = `redis-cli -h 127.0.0.1 -p $self->{port} $auth --pipe < $file 2>&1`;
	unlink $file;
	like($out, qr/errors: 0, replies: $count\b/, "redis-cli --pipe sent $count commands");
	return $out;
}

sub DESTROY {
	my ($self) = @_;
	kill 'KILL', $self->{pid} if $self->{pid};
}

1;
