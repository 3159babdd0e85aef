# The fenced code blocks of a Markdown file, for test/t/500_docs_examples.pl,
# which runs every example of README.md and docs/*.md on the demo cluster.
#
# A block's info string says what it is:
#   sql     SQL, run with psql on the demo primary
#   sh      shell commands, run with bash from the top of the tree
#   redis   redis-cli commands, one a line, sent to the demo's Redis
#   psql    a psql transcript: a statement (up to the first line ending in
#           ';'), then what psql prints for it, compared after normalise()
#   conf, python, text   shown, never run (settings, another language, prose)
# An HTML comment on the line right before a fence marks it:
#   <!-- doc-test: skip: WHY -->   not run, and WHY says what it needs that
#                                  the demo cluster lacks
#   <!-- doc-test: output -->      the output of the runnable block before
#                                  it, compared after normalise()
package MultiQuery::DocBlocks;

use strict;
use warnings;
use Exporter 'import';

our @EXPORT = qw(doc_blocks normalise split_transcript);

our %RUNNABLE = map { $_ => 1 } qw(sql sh redis psql);
our %SHOWN = map { $_ => 1 } qw(conf python text);

# doc_blocks($path): the file's fenced blocks in document order, each
# { file, line (of the opening fence), lang, text, skip (the reason, or
# undef), output (1 for an output block) }. Dies on an unknown info string
# or a malformed marker, so that a new block must say what it is.
sub doc_blocks {
	my ($path) = @_;
	open my $fh, '<:encoding(UTF-8)', $path or die "cannot read $path: $!";
	my @lines = <$fh>;
	close $fh;
	my (@blocks, $open);
	for my $i (0 .. $#lines) {
		my $line = $lines[$i];
		if ($open) {
			if ($line =~ /^```\s*$/) {
				push @blocks, $open;
				undef $open;
			}
			else {
				$open->{text} .= $line;
			}
			next;
		}
		next unless $line =~ /^```\s*(\S*)\s*$/;
		my $lang = $1;
		my $where = "$path:" . ($i + 1);
		die "$where: a fenced block needs an info string (one of "
		  . join(', ', sort(keys %RUNNABLE, keys %SHOWN)) . ")\n"
		  if $lang eq '';
		die "$where: unknown info string '$lang'\n"
		  unless $RUNNABLE{$lang} || $SHOWN{$lang};
		$open = { file => $path, line => $i + 1, lang => $lang, text => '' };
		my $before = $i > 0 ? $lines[ $i - 1 ] : '';
		next unless $before =~ /doc-test/;
		if ($before =~ /^<!-- doc-test: skip: (\S.*\S) -->\s*$/) {
			$open->{skip} = $1;
		}
		elsif ($before =~ /^<!-- doc-test: output -->\s*$/) {
			die "$where: an output block follows no runnable block\n"
			  unless @blocks && $RUNNABLE{ $blocks[-1]{lang} };
			$open->{output} = 1;
		}
		else {
			die "$where: malformed marker (<!-- doc-test: skip: WHY --> or <!-- doc-test: output -->)\n";
		}
	}
	die "$path: a fenced block is never closed\n" if $open;
	return @blocks;
}

# split_transcript($text): a psql block's statement and expected output.
sub split_transcript {
	my ($text) = @_;
	my ($statement, $output) = $text =~ /\A(.*?;[ \t]*\n)(.*)\z/s
	  or die "a psql block starts with a statement ending in ';'\n";
	return ($statement, $output);
}

# normalise($text): the one place that says what may differ between the
# output a doc shows and what the server prints, so that the two can be
# compared: whatever differs from run to run, and column alignment, which
# follows the widths of those values.
sub normalise {
	my ($text) = @_;
	$text =~ s/^psql:[^\n:]*:\d+: //mg;                  # psql's script position before an error
	$text =~ s/^\(\d+ rows?\)\n?//mg;                     # psql's row count footer
	$text =~ s/^ *QUERY PLAN *\n-+\n//mg;                 # EXPLAIN's header, as wide as the plan
	$text =~ s/\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d(:\d\d)?|Z)?/<timestamp>/g;
	$text =~ s/\b[0-9A-F]{1,8}\/[0-9A-F]{1,8}\b/<lsn>/g;  # LSNs
	$text =~ s/\b\d{10,}-\d+\b/<stream id>/g;            # Redis stream entry ids
	$text =~ s/\b\d+(\.\d+)? ?ms\b/<n> ms/g;              # timings
	$text =~ s/\b(pid|PID|process) \d+/$1 <pid>/g;        # process ids
	my @lines = map {
		s/[ \t]+$//;
		s/^([-+]+)$/---/;                                  # a table's rule, as wide as its columns
		s/(\S)[ \t]+/$1 /g;                                # alignment inside a line
		$_
	} split /\n/, $text;
	# A failed race's DETAIL has a line per target, in the order they failed.
	for my $i (0 .. $#lines) {
		next unless $lines[$i] =~ s/^DETAIL: //;
		my $end = $i;
		$end++ while $end < $#lines && $lines[ $end + 1 ] !~ /^([A-Z]+:|LINE \d)/;
		@lines[ $i .. $end ] = sort @lines[ $i .. $end ];
		$lines[$i] = "DETAIL: $lines[$i]";
	}
	shift @lines while @lines && $lines[0] eq '';
	pop @lines while @lines && $lines[-1] eq '';
	return join("\n", @lines) . "\n";
}

1;
