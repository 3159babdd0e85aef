# Redis credentials: an ACL user (multiquery.redis_user) whose password comes
# from a 0600 file (multiquery.redis_password_file). The worker drains and
# enqueue() works with them; a wrong password is a clear 28P01 that shows no
# password, in the error, drain_status or the log; a file others may read,
# or one that cannot be read, is refused; and no reload ever writes the
# password to the server log.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MultiQuery::Redis;

my $redis = MultiQuery::Redis->new;
$redis->start;

sub random_word { return join '', map { ('a' .. 'z', 'A' .. 'Z', 0 .. 9)[ int rand 62 ] } 1 .. 24 }
my $password = 'Right' . random_word();
my $wrong = 'Wrong' . random_word();
my $default_password = 'Default' . random_word();
is($redis->cli('ACL', 'SETUSER', 'mq_drain', 'on', ">$password", '~*', '+@all'), 'OK',
	'an ACL user with a password');
# Nobody gets in without a password, so the drain below must authenticate.
$redis->cli('CONFIG', 'SET', 'requirepass', $default_password);
$redis->set_auth(undef, $default_password);
like(`redis-cli -h 127.0.0.1 -p ${\ $redis->port} PING 2>&1`, qr/NOAUTH/,
	'the default user needs its password');

my $node = PostgreSQL::Test::Cluster->new('redis_auth');
$node->init;
my $dir = $node->basedir;

sub secret_file {
	my ($name, $content, $mode) = @_;
	my $path = "$dir/$name";
	open my $fh, '>', $path or die "cannot write $path: $!";
	print $fh $content;
	close $fh;
	chmod $mode, $path or die "chmod $path: $!";
	return $path;
}
my $right_file = secret_file('right.pass', "$password\n", 0600);
my $wrong_file = secret_file('wrong.pass', "$wrong\n", 0600);
my $open_file = secret_file('open.pass', "$password\n", 0644);

$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'multiquery'
multiquery.redis_port = ${\ $redis->port}
multiquery.redis_user = 'mq_drain'
multiquery.redis_password_file = '$right_file'
multiquery.drain_database = 'postgres'
multiquery.drain_streams = 'auth'
});
$node->start;
# Owned by an ordinary role: the drain refuses superusers' tables.
$node->safe_psql('postgres', 'CREATE EXTENSION multiquery; CREATE TABLE auth (n int); '
	. 'CREATE ROLE queue_owner; ALTER TABLE auth OWNER TO queue_owner');

# The worker drains with the ACL user, and enqueue() works.
$redis->cli('XADD', 'auth', '*', 'table', 'auth', 'row', '{"n": 1}');
ok($node->poll_query_until('postgres', 'SELECT count(*) = 1 FROM auth'), 'the worker drains');
$node->safe_psql('postgres', q{SELECT multiquery.enqueue('auth', '{"n": 2}')});
ok($node->poll_query_until('postgres', 'SELECT count(*) = 2 FROM auth'), 'enqueue() works');
like($redis->cli('CLIENT', 'LIST'), qr/user=mq_drain/, 'both connected as the ACL user');

# Runs SQL in a session with verbose errors; returns stderr.
sub psql_error {
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	return $err;
}

my $err = psql_error(qq{SET multiquery.redis_password_file = '$wrong_file';
	SELECT multiquery.enqueue('auth', '{"n": 3}')});
like($err, qr/ERROR:  28P01: could not add to Redis stream "auth": could not authenticate to Redis at 127\.0\.0\.1:\d+ as user "mq_drain"/,
	'a wrong password: 28P01');
like($err, qr/WRONGPASS/, 'with Redis\' reason');
unlike($err, qr/$wrong|$password/, 'and no password in the error');

$err = psql_error(qq{SET multiquery.redis_password_file = '$open_file';
	SELECT multiquery.enqueue('auth', '{"n": 3}')});
like($err, qr/ERROR:  F0000: .*password file "\Q$open_file\E" has group or world access/,
	'a 0644 password file is refused, naming the file');
unlike($err, qr/$password/, 'without its content');

$err = psql_error(qq{SET multiquery.redis_password_file = '$dir/missing.pass';
	SELECT multiquery.enqueue('auth', '{"n": 3}')});
like($err, qr/ERROR:  58P01: .*could not open password file "\Q$dir\E\/missing\.pass"/,
	'a missing password file is refused');
my $locked = secret_file('locked.pass', "$password\n", 0000);
$err = psql_error(qq{SET multiquery.redis_password_file = '$locked';
	SELECT multiquery.enqueue('auth', '{"n": 3}')});
like($err, qr/ERROR:  42501: .*could not open password file "\Q$locked\E": Permission denied/,
	'an unreadable password file is refused');

# The worker given the wrong password (in postgresql.conf, reloaded)
# reconnects, is refused, and says so without the password.
sub set_conf {
	my ($file) = @_;
	$node->append_conf('postgresql.conf', "multiquery.redis_password_file = '$file'\n");
	$node->reload;
}
set_conf($wrong_file);
ok($node->poll_query_until('postgres',
		q{SELECT last_error LIKE 'could not authenticate to Redis at %' FROM multiquery.drain_status}),
	'drain_status shows the authentication error');
unlike($node->safe_psql('postgres', 'SELECT last_error FROM multiquery.drain_status'),
	qr/$wrong|$password/, 'without the password');
$redis->cli('XADD', 'auth', '*', 'table', 'auth', 'row', '{"n": 3}');

# Several reloads switching between the files; then back to the right one.
set_conf($right_file);
set_conf($wrong_file);
set_conf($right_file);
ok($node->poll_query_until('postgres', 'SELECT count(*) = 3 FROM auth'),
	'with the right file again, the worker drains what waited');

# The default user with requirepass: plain AUTH password.
my $default_file = secret_file('default.pass', "$default_password\n", 0600);
$node->safe_psql('postgres', qq{SET multiquery.redis_user = '';
	SET multiquery.redis_password_file = '$default_file';
	SELECT multiquery.enqueue('auth', '{"n": 4}')});
ok($node->poll_query_until('postgres', 'SELECT count(*) = 4 FROM auth'),
	'the default user authenticates with the password alone');

my $log = slurp_file($node->logfile);
like($log, qr/parameter "multiquery\.redis_password_file" changed to/,
	'the reloads were logged');
like($log, qr/could not authenticate to Redis/, 'and so was the worker\'s failure');
unlike($log, qr/$password|$wrong|$default_password/, 'the server log holds no password');

$node->stop;
$redis->stop;
done_testing();
