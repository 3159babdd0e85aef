# A TCP proxy in front of a PostgreSQL server that behaves like a pooler that
# drops startup options, in front of a server that does not report
# default_transaction_read_only (as servers before 14 do not): it removes the
# "options" parameter from every startup packet, and every ParameterStatus
# message for default_transaction_read_only from what the server sends back.
# A session through it runs with the server's own default (read-write), and
# its client cannot see it. SSL and GSS encryption requests are declined;
# cancel requests are passed on.
package MultiQuery::StripProxy;

use strict;
use warnings;
use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use PostgreSQL::Test::Cluster;

our @EXPORT = qw(start_strip_proxy);

my @proxies;

END {
	kill 'TERM', map { -$_ } @proxies if @proxies;
}

# start_strip_proxy($port): listens on 127.0.0.1 on a free port, forwarding
# to the server on 127.0.0.1:$port. Returns the proxy's port.
sub start_strip_proxy {
	my ($server_port) = @_;
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $listener = IO::Socket::INET->new(
		LocalAddr => '127.0.0.1',
		LocalPort => $port,
		Listen => 16,
		ReuseAddr => 1) or die "proxy: cannot listen on $port: $!";
	my $pid = fork() // die "fork: $!";
	if ($pid) {
		close $listener;
		push @proxies, $pid;
		return $port;
	}
	# The proxy and every connection's child form one group, stopped at exit.
	setpgrp(0, 0);
	$SIG{CHLD} = 'IGNORE';
	while (my $client = $listener->accept) {
		my $child = fork();
		if (defined $child && $child == 0) {
			close $listener;
			serve($client, $server_port);
			POSIX::_exit(0);
		}
		close $client;
	}
	POSIX::_exit(0);
}

sub read_exactly {
	my ($socket, $length) = @_;
	my $data = '';
	while (length($data) < $length) {
		my $n = sysread($socket, $data, $length - length($data), length($data));
		return undef unless $n;
	}
	return $data;
}

sub serve {
	my ($client, $server_port) = @_;
	my $packet;
	while (1) {
		my $header = read_exactly($client, 8) // return;
		my ($length, $code) = unpack('NN', $header);
		my $rest = read_exactly($client, $length - 8) // return;
		if ($code == 80877103 || $code == 80877104) {    # SSL or GSS encryption request
			syswrite($client, 'N');
			next;
		}
		$packet = $header . $rest;
		if ($code == 196608) {                           # protocol 3.0 startup
			my @pairs = split /\0/, $rest;
			my $kept = '';
			while (my ($name, $value) = splice(@pairs, 0, 2)) {
				$kept .= "$name\0$value\0" unless $name eq 'options';
			}
			$kept .= "\0";
			$packet = pack('NN', 8 + length($kept), $code) . $kept;
		}
		last;
	}
	my $server = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $server_port)
	  or return;
	syswrite($server, $packet);
	my $select = IO::Select->new($client, $server);
	my $from_server = '';
	while (1) {
		for my $ready ($select->can_read) {
			my $data;
			my $n = sysread($ready, $data, 65536);
			return unless $n;
			if ($ready == $client) {
				syswrite($server, $data);
				next;
			}
			# Whole server messages only: type, length, body.
			$from_server .= $data;
			my $out = '';
			while (length($from_server) >= 5) {
				my $length = unpack('N', substr($from_server, 1, 4));
				last if length($from_server) < 1 + $length;
				my $message = substr($from_server, 0, 1 + $length, '');
				next
				  if substr($message, 0, 1) eq 'S'
				  && substr($message, 5) =~ /^default_transaction_read_only\0/;
				$out .= $message;
			}
			syswrite($client, $out) if length $out;
		}
	}
}

1;
