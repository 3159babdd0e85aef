# A real Redis Sentinel for TAP tests (redis-server --sentinel) watching one
# master, plus a minimal RESP client for producers that must run commands
# such as XADD then WAIT on one connection, as an application would.
package MultiQuery::Sentinel;

use strict;
use warnings;
use IO::Socket::INET;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use MultiQuery::Redis;

# new($master_name, $master_port): a sentinel that fails the master over
# after one second of silence, with a quorum of one.
sub new {
	my ($class, $name, $master_port) = @_;
	my $self = {
		name => $name,
		port => PostgreSQL::Test::Cluster::get_free_port(),
		dir => PostgreSQL::Test::Utils::tempdir('sentinel'),
		master_port => $master_port,
		pid => undef,
	};
	return bless $self, $class;
}

sub port { return $_[0]->{port}; }

sub start {
	my ($self) = @_;
	my $dir = $self->{dir};
	# Sentinel rewrites its configuration file: it must be its own, writable.
	open my $fh, '>', "$dir/sentinel.conf" or die "cannot write $dir/sentinel.conf: $!";
	print $fh <<"CONF";
port $self->{port}
bind 127.0.0.1
protected-mode no
daemonize yes
dir $dir
pidfile $dir/sentinel.pid
logfile $dir/sentinel.log
sentinel monitor $self->{name} 127.0.0.1 $self->{master_port} 1
sentinel down-after-milliseconds $self->{name} 1000
sentinel failover-timeout $self->{name} 5000
sentinel parallel-syncs $self->{name} 1
CONF
	close $fh;
	system('redis-server', "$dir/sentinel.conf", '--sentinel') == 0
	  or BAIL_OUT("redis-server --sentinel did not start: $?");
	for (1 .. 300) {
		if (defined $self->master_port) {
			$self->{pid} = slurp_file("$dir/sentinel.pid");
			chomp $self->{pid};
			return;
		}
		usleep(100_000);
	}
	BAIL_OUT("sentinel on port $self->{port} does not answer");
}

# The master's port as the sentinel names it now (undef when it cannot say).
sub master_port {
	my ($self) = @_;
	my $out = `redis-cli -h 127.0.0.1 -p $self->{port} SENTINEL get-master-addr-by-name $self->{name} 2>/dev/null`;
	my @lines = split /\n/, $out // '';
	return @lines == 2 && $lines[1] =~ /^\d+$/ ? $lines[1] : undef;
}

sub stop {
	my ($self) = @_;
	kill 'TERM', $self->{pid} if $self->{pid};
	$self->{pid} = undef;
}

sub DESTROY { kill 'KILL', $_[0]->{pid} if $_[0]->{pid}; }

# --- a minimal RESP client ---------------------------------------------------

# connect_client($port): a socket to a Redis server, or undef.
sub connect_client {
	my ($port) = @_;
	return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp',
		Timeout => 2);
}

# command($socket, @args): the reply as a Perl value (an error reply as
# { error => text }), or undef when the connection broke.
sub command {
	my ($socket, @args) = @_;
	my $request = MultiQuery::Redis::resp(@args);
	return undef unless defined $socket->send($request);
	return read_reply($socket);
}

sub read_line {
	my ($socket) = @_;
	my $line = '';
	while (1) {
		my $got = $socket->sysread(my $char, 1);
		return undef unless $got;
		$line .= $char;
		return substr($line, 0, -2) if $line =~ /\r\n$/;
	}
}

sub read_reply {
	my ($socket) = @_;
	my $line = read_line($socket);
	return undef unless defined $line;
	my ($type, $rest) = (substr($line, 0, 1), substr($line, 1));
	return $rest if $type eq '+' || $type eq ':';
	return { error => $rest } if $type eq '-';
	if ($type eq '$') {
		return '' if $rest < 0;
		my $data = '';
		while (length($data) < $rest + 2) {
			my $got = $socket->sysread(my $chunk, $rest + 2 - length($data));
			return undef unless $got;
			$data .= $chunk;
		}
		return substr($data, 0, $rest);
	}
	if ($type eq '*') {
		return [] if $rest < 0;
		return [ map { read_reply($socket) } 1 .. $rest ];
	}
	return undef;
}

1;
