# The reads the differential test of racing foreign tables compares, and the
# blocks of local session settings it compares them under. Each read is an
# entry of MultiQuery::RacedOracle (name, sql or setup and runs, ordered when
# its ORDER BY is total, ...), its relations written as the placeholders of
# MultiQuery::RacedSchema: {s} scalars, {f} feelings with the enum declared
# as text, {fe} feelings with the enum as itself, {v} a view over {s}, {h}
# scalars raced by the other group.
package MultiQuery::RacedCorpus;

use strict;
use warnings;
use Exporter 'import';

our @EXPORT = qw(corpus settings_blocks);

# The entries, in the order they run.
my @corpus;
sub read_rows {
	my ($name, $sql, %options) = @_;
	push @corpus, { name => $name, sql => $sql, %options };
}
sub ordered {
	my ($name, $sql, %options) = @_;
	read_rows($name, $sql, ordered => 1, %options);
}
# Nested loops only: the raced side is a parameterized scan (a remote lookup
# per outer value).
my @nested_loop = ('SET enable_hashjoin = off', 'SET enable_mergejoin = off');
my @merge_join = ('SET enable_hashjoin = off', 'SET enable_nestloop = off');

# Integers.
read_rows('int2 range and extreme', 'SELECT id, i2 FROM {s} WHERE i2 < -900 OR i2 = 32767');
read_rows('int2 typed constant', 'SELECT id, i2 FROM {s} WHERE i2 = 110::int2');
read_rows('int4 negative constant', 'SELECT id, i4 FROM {s} WHERE i4 = -2081 OR i4 < -9990');
read_rows('int4 extremes', 'SELECT id, i4 FROM {s} WHERE i4 IN (-2147483648, 2147483647)');
read_rows('int8 range and minimum',
	'SELECT id, i8 FROM {s} WHERE i8 > 2000000000000 OR i8 = -9223372036854775808');
read_rows('integer arithmetic', 'SELECT id FROM {s} WHERE i4 % 7 = 3 AND i2 - 1 > 0');
read_rows('mixed integer widths', 'SELECT id FROM {s} WHERE i2::int8 + i4 > 9500');
read_rows('abs', 'SELECT id, abs(i4 / 2) FROM {s} WHERE abs(i4 / 2) < 25');
read_rows('<> ALL of an array',
	'SELECT id FROM {s} WHERE id < 40 AND i4 <> ALL (ARRAY[-2081, 7559, 9687])');
read_rows('NOT IN', 'SELECT id FROM {s} WHERE id NOT IN (1, 2, 3) AND id < 10');
read_rows('IS DISTINCT FROM', 'SELECT id FROM {s} WHERE i2 IS DISTINCT FROM 110 AND id <= 100');
read_rows('NULLIF', 'SELECT id FROM {s} WHERE NULLIF(i4 % 5, 0) IS NULL AND id <= 200');
read_rows('= ANY of an array constant', q{SELECT id FROM {s} WHERE i4 = ANY ('{-2081,7559,9687}')});
read_rows('a long IN list', 'SELECT id, i4 FROM {s} WHERE id IN ('
	  . join(', ', map { $_ * 7 } 1 .. 400) . ')');
read_rows('no column fetched', 'SELECT 1 FROM {s} WHERE i4 > 9990');
read_rows('uncorrelated EXISTS', 'SELECT EXISTS (SELECT 1 FROM {s} WHERE f8 = 0.1)');

# Constants of another type than the column: the comparison is the
# cross-type one, whose constant the column's type could not hold.
read_rows('int2 against an int4 constant beyond int2', 'SELECT id, i2 FROM {s} WHERE i2 < 40000 AND id < 20');
read_rows('int4 against an int8 constant beyond int4',
	'SELECT id, i4 FROM {s} WHERE i4 < 3000000000 AND i4 > -3000000000 AND id < 20');
read_rows('float4 against a float8 constant', 'SELECT id, f4 FROM {s} WHERE f4 > 0.1 AND f4 < 0.2');
read_rows('date against a timestamp constant',
	q{SELECT id, d FROM {s} WHERE d < '2024-01-02 12:00'::timestamp AND d > '2023-12-30'});
read_rows('timestamp against a date constant', q{SELECT id, ts FROM {s} WHERE ts > '2024-07-01'::date});
read_rows('char(n) against a text constant', q{SELECT id, ch FROM {s} WHERE ch = 'ab'::text});

# Numeric.
read_rows('numeric NaN', q{SELECT id, n FROM {s} WHERE n = 'NaN'});
read_rows('numeric range without NaN', q{SELECT id, n FROM {s} WHERE n > 5000000 AND n <> 'NaN'});
read_rows('numeric tiny and huge',
	'SELECT id, n FROM {s} WHERE n = 1e-30 OR n = 123456789012345678901234567890.123456789');
read_rows('numeric(40,20) range',
	'SELECT id, nb FROM {s} WHERE nb BETWEEN 3.14159265358979323846 AND 3.2');
read_rows('round', 'SELECT id, round(n, 1) FROM {s} WHERE round(n, 1) > 2000000 AND round(n, 1) < 2100000');
read_rows('numeric to float8', 'SELECT id, n FROM {s} WHERE n::float8 > 1e20');

# Floats: constants whose digits the output settings would cut.
read_rows('float8 = 0.1', 'SELECT id, f8 FROM {s} WHERE f8 = 0.1');
read_rows('float8 = 0.123456789', 'SELECT id, f8 FROM {s} WHERE f8 = 0.123456789');
read_rows('float8 = 1/3', 'SELECT id, f8 FROM {s} WHERE f8 = 1.0 / 3');
read_rows('float8 tiny', 'SELECT id, f8 FROM {s} WHERE f8 > 0 AND f8 < 1e-299');
read_rows('float8 infinities and NaN',
	q{SELECT id, f8 FROM {s} WHERE f8 IN ('Infinity', '-Infinity', 'NaN')});
read_rows('float8 negative zero', q{SELECT id, f8 FROM {s} WHERE f8 = '-0'});
read_rows('float8 many digits',
	'SELECT id, f8 FROM {s} WHERE f8 = 123456789.123456789 OR f8 = 9007199254740993');
read_rows('float4 = 0.1', 'SELECT id, f4 FROM {s} WHERE f4 = 0.1::float4');
read_rows('float4 range', 'SELECT id, f4 FROM {s} WHERE f4 > 400 AND f4 < 400.5');
read_rows('float4 specials',
	q{SELECT id, f4 FROM {s} WHERE f4 IN ('NaN', 'Infinity', '-Infinity', '1e-38') OR f4 > 3e38});
read_rows('float8 arithmetic', q{SELECT id, f8 FROM {s} WHERE f8 * 3 > 6000.5 AND abs(f8) < 'Infinity'});
read_rows('float8 = ANY',
	'SELECT id, f8 FROM {s} WHERE f8 = ANY (ARRAY[0.1, 0.123456789, 1e-300]::float8[])');
read_rows('float8 <> ALL',
	q{SELECT id, f8 FROM {s} WHERE f8 <> ALL ('{0.1,0.123456789}') AND id % 100 IN (16, 21, 22)});
ordered('float8 descending with NaN', 'SELECT id, f8 FROM {s} ORDER BY f8 DESC NULLS LAST, id LIMIT 15');
ordered('float8 ascending, NULLs first, offset',
	'SELECT id, f8 FROM {s} ORDER BY f8 NULLS FIRST, id LIMIT 15 OFFSET 40');
read_rows('float4 to float8', 'SELECT id, f4::float8 FROM {s} WHERE f4::float8 = 0.1::float4::float8');
read_rows('trunc of float8', 'SELECT id, trunc(f8) FROM {s} WHERE trunc(f8) = 300');

# Booleans and logic.
read_rows('bool column', 'SELECT id FROM {s} WHERE b AND id < 100');
read_rows('NOT bool', 'SELECT id FROM {s} WHERE NOT b AND id < 100');
read_rows('bool IS NULL', 'SELECT id FROM {s} WHERE b IS NULL AND id < 100');
read_rows('bool IS DISTINCT FROM', 'SELECT id, b FROM {s} WHERE b IS DISTINCT FROM true AND id < 30');
read_rows('AND within OR', 'SELECT id FROM {s} WHERE (i4 > 0 AND f8 < 100) OR NOT b');
read_rows('NOT of OR', q{SELECT id FROM {s} WHERE NOT (t_default LIKE 'a%' OR d IS NULL) AND id < 200});

# Dates: '01/02/2024' is January 2 as MDY, February 1 as DMY; both exist.
read_rows('date literal read by DateStyle', q{SELECT id, d FROM {s} WHERE d = '01/02/2024'});
read_rows('ISO date literal', q{SELECT id, d FROM {s} WHERE d = '2024-01-02'});
read_rows('date range in DateStyle order',
	q{SELECT id, d FROM {s} WHERE d BETWEEN '01/02/2024' AND '03/04/2024'});
read_rows('date infinities', q{SELECT id, d FROM {s} WHERE d IN ('infinity', '-infinity')});
read_rows('BC dates', q{SELECT id, d FROM {s} WHERE d < '0001-01-01'});
read_rows('BC date literal', q{SELECT id, d FROM {s} WHERE d = '0044-03-15 BC'});
read_rows('date arithmetic constant', q{SELECT id, d FROM {s} WHERE d = date '2024-01-02' + 30});
read_rows('date minus integer', q{SELECT id, d FROM {s} WHERE d - 1 = '01/01/2024'});
read_rows('extract from date',
	'SELECT id, d FROM {s} WHERE extract(month FROM d) = 2 AND extract(year FROM d) = 2024');
read_rows('date = ANY',
	q{SELECT id, d FROM {s} WHERE d = ANY (ARRAY['01/02/2024', '2024-03-04']::date[])});
ordered('dates descending', 'SELECT id, d FROM {s} ORDER BY d DESC NULLS LAST, id LIMIT 20');
ordered('dates ascending, NULLs first', 'SELECT id, d FROM {s} ORDER BY d NULLS FIRST, id LIMIT 20');
read_rows('date[] contains',
	q{SELECT id, days FROM {s} WHERE days @> ARRAY['01/02/2024'::date] AND id < 100});
read_rows('date to timestamp', q{SELECT id, d FROM {s} WHERE d::timestamp = '2024-01-02 00:00'});
read_rows('date_trunc of a date (stable)',
	q{SELECT id, d FROM {s} WHERE date_trunc('month', d) = '2024-02-01'});
read_rows('date before current_date (stable)', 'SELECT id, d FROM {s} WHERE d < current_date - 10000');

# Times.
read_rows('time extremes', q{SELECT id, tm FROM {s} WHERE tm = '24:00:00' OR tm = '23:59:59.999999'});
read_rows('time range', q{SELECT id, tm FROM {s} WHERE tm BETWEEN '01:00' AND '01:05'});
read_rows('timetz comparison', q{SELECT id, ttz FROM {s} WHERE ttz < '00:10:00+05:30'});
ordered('timetz order', 'SELECT id, ttz FROM {s} ORDER BY ttz, id LIMIT 20');

# Timestamps.
read_rows('timestamp at DST edges',
	q{SELECT id, ts FROM {s} WHERE ts = '2024-03-10 02:30:00' OR ts = '2024-11-03 01:30:00'});
read_rows('timestamp literal read by DateStyle', q{SELECT id, ts FROM {s} WHERE ts = '01/02/2024 10:00'});
read_rows('date_trunc of a timestamp', q{SELECT id, ts FROM {s} WHERE date_trunc('day', ts) = '2024-01-02'});
read_rows('timestamp to date', q{SELECT id, ts FROM {s} WHERE ts::date = '02/01/2024'});
read_rows('timestamp infinities and BC',
	q{SELECT id, ts FROM {s} WHERE ts IN ('infinity', '-infinity') OR ts < '0001-01-01'});
read_rows('timestamp plus mixed-sign interval',
	q{SELECT id, ts FROM {s} WHERE ts > timestamp '2024-01-02 10:00' + interval '-1 day +2 hours'
		AND ts < '2024-01-02 10:00'});
read_rows('timestamp against timestamptz (stable)',
	q{SELECT id, ts FROM {s} WHERE ts < '2023-06-02'::timestamptz});
ordered('timestamps descending, NULLs first',
	'SELECT id, ts FROM {s} ORDER BY ts DESC NULLS FIRST, id LIMIT 20');
read_rows('extract epoch from timestamp',
	'SELECT id FROM {s} WHERE extract(epoch FROM ts) > 1700000000 AND extract(epoch FROM ts) < 1700050000');

# Timestamps with time zone: the constants are read in the local TimeZone and
# printed with its abbreviations (IST is Israel's for the remote side).
read_rows('timestamptz at the spring-forward gap',
	q{SELECT id, tstz FROM {s} WHERE tstz = '2024-03-10 07:30:00+00'});
read_rows('timestamptz with a half-hour offset',
	q{SELECT id, tstz FROM {s} WHERE tstz = '2024-01-02 10:00:00+05:30'});
read_rows('timestamptz around fall-back',
	q{SELECT id, tstz FROM {s} WHERE tstz BETWEEN '2024-11-03 05:00:00+00' AND '2024-11-03 07:00:00+00'});
read_rows('timestamptz literal in local zone and DateStyle',
	q{SELECT id, tstz FROM {s} WHERE tstz > '01/02/2024 04:00' AND tstz < '01/03/2024'});
read_rows('timestamptz = ANY',
	q{SELECT id, tstz FROM {s} WHERE tstz = ANY (ARRAY['2024-11-03 05:30:00+00',
		'2024-11-03 06:30:00+00']::timestamptz[])});
read_rows('timestamptz infinities and BC',
	q{SELECT id, tstz FROM {s} WHERE tstz IN ('infinity', '-infinity') OR tstz < '0001-01-01 00:00:00+00'});
ordered('timestamptz order with offset',
	'SELECT id, tstz FROM {s} ORDER BY tstz NULLS FIRST, id LIMIT 20 OFFSET 5');
read_rows('date_trunc of timestamptz (stable)',
	q{SELECT id, tstz FROM {s} WHERE date_trunc('day', tstz) = '2024-04-06'});
read_rows('timestamptz to date (stable)', q{SELECT id, tstz::date FROM {s} WHERE tstz::date = '2024-04-07'});
read_rows('AT TIME ZONE',
	q{SELECT id, tstz FROM {s} WHERE tstz AT TIME ZONE 'UTC' = '2024-04-06 14:00:00'});

# Intervals: '-1 2:00:00' is -1 day +2 hours in postgres style, -1 day -2
# hours in sql_standard; both exist.
read_rows('interval literal read by IntervalStyle', q{SELECT id, iv FROM {s} WHERE iv = '-1 2:00:00'});
read_rows('mixed-sign interval', q{SELECT id, iv FROM {s} WHERE iv = '-1 day +2 hours'});
read_rows('interval with months', q{SELECT id, iv FROM {s} WHERE iv IN ('1 mon -3 days', 'P-10M')});
read_rows('interval range', q{SELECT id, iv FROM {s} WHERE iv < '-1 day' AND iv > '-2 days'});
read_rows('tiny intervals',
	q{SELECT id, iv FROM {s} WHERE iv = '00:00:00.000001' OR iv = '1 day -00:00:01'});
read_rows('justify_interval', q{SELECT id, iv FROM {s} WHERE justify_interval(iv) > '11 mons'});
read_rows('interval arithmetic', q{SELECT id, iv FROM {s} WHERE iv + interval '1 day' > '1 mon 20 days'});
read_rows('ISO 8601 interval literal', q{SELECT id, iv FROM {s} WHERE iv = 'P-1DT2H'});
ordered('intervals ascending', 'SELECT id, iv FROM {s} ORDER BY iv, id LIMIT 20');
ordered('intervals descending, offset',
	'SELECT id, iv FROM {s} ORDER BY iv DESC NULLS LAST, id LIMIT 20 OFFSET 10');

# Text in the default collation.
read_rows('text equality', q{SELECT id, t_default FROM {s} WHERE t_default = 'apple'});
read_rows('text less than (default collation)',
	q{SELECT id, t_default FROM {s} WHERE t_default < 'b' AND id < 300});
read_rows('text IN with quotes and backslash',
	q{SELECT id, t_default FROM {s} WHERE t_default IN ('O''Brien', 'back\slash', 'x,y{z}"q', '')});
read_rows('LIKE', q{SELECT id, t_default FROM {s} WHERE t_default LIKE 'a%'});
read_rows('ILIKE with an accent', q{SELECT id, t_default FROM {s} WHERE t_default ILIKE 'é%'});
read_rows('regular expression', q{SELECT id, t_default FROM {s} WHERE t_default ~ '^[A-Z]' AND id < 300});
read_rows('lower', q{SELECT id, lower(t_default) FROM {s} WHERE lower(t_default) = 'apple'});
read_rows('upper of an accent', q{SELECT id FROM {s} WHERE upper(t_default) = 'ÄPFEL'});
read_rows('length', 'SELECT id, length(t_default) FROM {s} WHERE length(t_default) > 9');
read_rows('concatenation', q{SELECT id FROM {s} WHERE t_default || '!' = 'ß!'});
read_rows('left and substr',
	q{SELECT id FROM {s} WHERE left(t_default, 2) = 'Ec' OR substr(t_default, 2, 3) = 'pfe'});
read_rows('text NULL or empty', q{SELECT id, t_default FROM {s} WHERE t_default IS NULL OR t_default = ''});
ordered('text order (default collation)', 'SELECT id, t_default FROM {s} ORDER BY t_default, id LIMIT 30');
ordered('text descending, offset',
	'SELECT id, t_default FROM {s} ORDER BY t_default DESC NULLS LAST, id LIMIT 30 OFFSET 100');
read_rows('COLLATE "C" comparison on a default column',
	q{SELECT id, t_default FROM {s} WHERE t_default COLLATE "C" < 'b' AND id < 300});
ordered('ORDER BY COLLATE "C" on a default column',
	'SELECT id, t_default FROM {s} ORDER BY t_default COLLATE "C", id LIMIT 30');
read_rows('COLLATE "C" on the constant',
	q{SELECT id, t_default FROM {s} WHERE t_default > 'Z' COLLATE "C" AND id < 300});

# Text in a COLLATE "C" column.
read_rows('C column less than', q{SELECT id, t_c FROM {s} WHERE t_c < 'b' AND id < 300});
read_rows('C column compared as "default"',
	q{SELECT id, t_c FROM {s} WHERE t_c COLLATE "default" < 'b' AND id < 300});
ordered('C column order', 'SELECT id, t_c FROM {s} ORDER BY t_c, id LIMIT 30');
ordered('C column ordered as "default"',
	'SELECT id, t_c FROM {s} ORDER BY t_c COLLATE "default", id LIMIT 30');
ordered('C column descending, NULLs first',
	'SELECT id, t_c FROM {s} ORDER BY t_c DESC NULLS FIRST, id LIMIT 30');
read_rows('upper of a C column', q{SELECT id, upper(t_c) FROM {s} WHERE upper(t_c) LIKE 'Ä%'});
read_rows('C column against a default one', 'SELECT id FROM {s} WHERE t_c = t_default COLLATE "C"');
read_rows('min and max in each collation',
	'SELECT min(t_c), max(t_c), min(t_default), max(t_default) FROM {s}');

# varchar(n) and char(n).
read_rows('varchar LIKE', q{SELECT id, vc FROM {s} WHERE vc LIKE 'Apple %'});
read_rows('varchar equality', q{SELECT id, vc FROM {s} WHERE vc = 'zebra 30'});
read_rows('varchar(3) cast', q{SELECT id, vc FROM {s} WHERE vc::varchar(3) = 'Zeb'});
ordered('varchar order', 'SELECT id, vc FROM {s} ORDER BY vc DESC, id LIMIT 20');
read_rows('char(n) equality ignores padding', q{SELECT id, ch FROM {s} WHERE ch = 'apple'});
read_rows('char(n) typed constant', q{SELECT id, ch FROM {s} WHERE ch = 'apple   '::char(8)});
read_rows('char(n) length', 'SELECT id, ch, length(ch) FROM {s} WHERE length(ch) < 3');
read_rows('char(n) to text', q{SELECT id, ch FROM {s} WHERE ch::text = 'ab'});
ordered('char(n) order', 'SELECT id, ch FROM {s} ORDER BY ch NULLS FIRST, id LIMIT 20');

# Arrays.
read_rows('text[] contains', q{SELECT id, tags FROM {s} WHERE tags @> ARRAY['apple']});
read_rows('= ANY of a text[] column', q{SELECT id FROM {s} WHERE 'x,y{z}"q' = ANY (tags)});
read_rows('text[] overlap', q{SELECT id, tags FROM {s} WHERE tags && ARRAY['ß', 'O''Brien'] AND id < 300});
read_rows('empty or NULL text[]', q{SELECT id, tags FROM {s} WHERE tags = '{}' OR tags IS NULL});
read_rows('int[] equality', q{SELECT id, nums FROM {s} WHERE nums = '{1,2,3}'});
read_rows('int[] contains and length',
	q{SELECT id, nums FROM {s} WHERE nums @> '{4}' AND array_length(nums, 1) = 3 AND id < 300});
read_rows('array subscript', 'SELECT id, nums FROM {s} WHERE nums[2] = 6 AND id < 300');
read_rows('cardinality', 'SELECT id FROM {s} WHERE cardinality(nums) = 0');

# jsonb.
read_rows('jsonb contains', q{SELECT id, j FROM {s} WHERE j @> '{"k": 3}' AND id < 200});
read_rows('jsonb ->>', q{SELECT id FROM {s} WHERE j ->> 'name' = 'Äpfel'});
read_rows('jsonb cast to int', q{SELECT id FROM {s} WHERE (j -> 'k')::int = 7 AND id < 300});
read_rows('jsonb ? and nested path',
	q{SELECT id FROM {s} WHERE j ? 'big' AND j -> 'nested' ->> 'deep' = 'true' AND id < 100});
read_rows('jsonb number', q{SELECT id, j -> 'f' FROM {s} WHERE (j ->> 'f')::numeric > 400});
read_rows('jsonpath match', q{SELECT id FROM {s} WHERE j @@ '$.k > 8' AND id < 300});

# uuid, bytea, inet/cidr, money.
read_rows('uuid equality',
	q{SELECT id, u FROM {s} WHERE u = md5('42')::uuid OR u = 'c4ca4238-a0b9-2382-0dcc-509a6f75849b'});
read_rows('uuid range', q{SELECT id, u FROM {s} WHERE u > 'f0000000-0000-0000-0000-000000000000'});
read_rows('bytea equality', q{SELECT id, bin FROM {s} WHERE bin = '\x00ff5c27' OR bin = '\x'});
read_rows('bytea range and length', q{SELECT id, bin FROM {s} WHERE length(bin) = 1 AND bin > '\x80'});
read_rows('bytea substring', q{SELECT id, bin FROM {s} WHERE substring(bin FROM 1 FOR 1) = '\x00'::bytea});
ordered('bytea order', 'SELECT id, bin FROM {s} ORDER BY bin NULLS FIRST, id LIMIT 10');
read_rows('inet contained by', q{SELECT id, ip FROM {s} WHERE ip << '10.1.0.0/16'});
read_rows('inet family and masklen', 'SELECT id, ip FROM {s} WHERE family(ip) = 6 AND masklen(ip) > 120');
read_rows('cidr contains, host',
	q{SELECT id, net FROM {s} WHERE net >>= '10.0.30.210' OR host(ip) = '10.0.21.147'});
ordered('inet order', 'SELECT id, ip FROM {s} ORDER BY ip, id LIMIT 20');
read_rows('money comparison', q{SELECT id, m FROM {s} WHERE m > '300000'});
read_rows('money equality', q{SELECT id, m FROM {s} WHERE m = '-2469' OR m < '-360000'});
ordered('money order', 'SELECT id, m FROM {s} ORDER BY m DESC NULLS LAST, id LIMIT 20');
read_rows('money arithmetic', q{SELECT id, m FROM {s} WHERE m * 2 > '700000'});

# A domain and a composite type (not built in: evaluated locally), ranges
# (their bounds printed as dates and timestamps).
read_rows('domain column', 'SELECT id, dom FROM {s} WHERE dom = 42');
read_rows('domain cast to its base type', 'SELECT id, dom FROM {s} WHERE dom::int > 990');
read_rows('composite field', 'SELECT id, pr FROM {s} WHERE (pr).a = 3 AND id < 200');
read_rows('daterange contains a date read by DateStyle',
	q{SELECT id, dr FROM {s} WHERE dr @> '01/02/2024'::date});
read_rows('empty and unbounded dateranges', q{SELECT id, dr FROM {s} WHERE dr = 'empty' OR upper_inf(dr)});
read_rows('tstzrange contains',
	q{SELECT id, tr FROM {s} WHERE tr @> '2024-01-05 10:00:00+05:30'::timestamptz});
read_rows('tstzrange overlaps a range in local time',
	q{SELECT id, tr FROM {s} WHERE tr && '[2024-01-03 00:00, 2024-01-03 12:00)'});
ordered('tstzrange order', 'SELECT id, tr FROM {s} ORDER BY tr, id LIMIT 10');

# Text search: the configuration is named by a constant, which another
# search_path would read as another configuration.
read_rows('to_tsvector with a named configuration',
	q{SELECT id, t_default FROM {s}
		WHERE to_tsvector('simple', t_default) @@ to_tsquery('simple', 'a | zebra')});
read_rows('plainto_tsquery',
	q{SELECT id FROM {s} WHERE to_tsvector('simple'::regconfig, t_c) @@ plainto_tsquery('simple', 'Apple')});

# An enum: declared as text (as postgres_fdw's tests do) and as itself.
read_rows('enum declared as text: equality', q{SELECT id, mood FROM {f} WHERE mood = 'happy'});
read_rows('enum declared as text: IN',
	q{SELECT id, mood FROM {f} WHERE mood IN ('sad', 'ecstatic') AND id < 200});
read_rows('enum declared as text: IS NULL', 'SELECT id, mood FROM {f} WHERE mood IS NULL');
read_rows('enum declared as text: <>', q{SELECT id, mood FROM {f} WHERE mood <> 'ok' AND id < 100});
read_rows('enum declared as text: grouped', 'SELECT mood, count(*) FROM {f} GROUP BY mood');
read_rows('enum: equality', q{SELECT id, mood FROM {fe} WHERE mood = 'happy'});
read_rows('enum: order comparison', q{SELECT id, mood FROM {fe} WHERE mood > 'ok' AND id < 100});
ordered('enum: order', 'SELECT id, mood FROM {fe} ORDER BY mood NULLS FIRST, id LIMIT 50');
ordered('enum: grouped in order', 'SELECT mood, count(*) FROM {fe} GROUP BY mood ORDER BY mood NULLS LAST');

# Casts and expressions that stay local.
read_rows('int4 to int8', 'SELECT id, i4::int8 FROM {s} WHERE i4::int8 * 1000000 > 9990000000');
read_rows('int2 to int4', 'SELECT id FROM {s} WHERE i2::int4 = -223');
read_rows('float8 to numeric', 'SELECT id, f8::numeric FROM {s} WHERE f8::numeric = 0.1');
read_rows('CAST int8 AS numeric',
	'SELECT id, CAST(i8 AS numeric) FROM {s} WHERE CAST(i8 AS numeric) < -2990000000000');
read_rows('int4 to text (I/O cast)', q{SELECT id FROM {s} WHERE i4::text = '-2081'});
read_rows('text to varchar(3)', q{SELECT id FROM {s} WHERE t_default::varchar(3) = 'Äpf'});
read_rows('date to text (I/O cast)', q{SELECT id FROM {s} WHERE d::text LIKE '%2024%' AND id < 100});
read_rows('interval to text (I/O cast)',
	q{SELECT id, iv::text FROM {s} WHERE iv::text LIKE '%2%' AND id < 300});
read_rows('COALESCE', 'SELECT id FROM {s} WHERE COALESCE(i4, 0) = 0');
read_rows('CASE', 'SELECT id FROM {s} WHERE CASE WHEN b THEN i4 ELSE -i4 END > 9000');
read_rows('GREATEST', 'SELECT id FROM {s} WHERE greatest(i2, i4) > 9900');
read_rows('volatile function', 'SELECT id FROM {s} WHERE random() >= 0 AND id < 5');

# System columns and whole rows: the remote ctid, the local tableoid.
read_rows('ctid condition', q{SELECT ctid, id FROM {s} WHERE ctid = '(0,2)'});
ordered('ctid of rows', 'SELECT ctid, id FROM {s} WHERE id < 10 ORDER BY id');
ordered('tableoid', q{SELECT id, tableoid = '{s}'::regclass FROM {s} WHERE id < 5 ORDER BY id});
ordered('whole-row reference', 'SELECT s FROM {s} s WHERE id IN (21, 30, 53) ORDER BY id');
read_rows('every row and column', 'SELECT * FROM {s}');
read_rows('every feeling', 'SELECT * FROM {f}');

# ORDER BY, LIMIT, OFFSET.
ordered('last rows by id', 'SELECT id, i4 FROM {s} ORDER BY id LIMIT 10 OFFSET 2990');
ordered('int4 descending, NULLs last', 'SELECT id, i4 FROM {s} ORDER BY i4 DESC NULLS LAST, id LIMIT 10');
ordered('numeric with NaN, NULLs first', 'SELECT id, n FROM {s} ORDER BY n NULLS FIRST, id LIMIT 25');
ordered('numeric descending: NaN first', 'SELECT id, n FROM {s} ORDER BY n DESC, id LIMIT 25');
ordered('autocomplete',
	q{SELECT id, t_default FROM {s} WHERE t_default LIKE 'a%' ORDER BY t_default, id LIMIT 10});
ordered('WITH TIES', 'SELECT id FROM {s} ORDER BY id FETCH FIRST 5 ROWS WITH TIES');
ordered('OFFSET without LIMIT', 'SELECT id, i2 FROM {s} WHERE i2 > 990 ORDER BY i2, id OFFSET 3');
ordered('uuid order', 'SELECT id, u FROM {s} ORDER BY u, id LIMIT 10');
ordered('LIMIT 0', 'SELECT id FROM {s} ORDER BY id LIMIT 0', rows => 'any');
ordered('LIMIT ALL', 'SELECT id FROM {s} ORDER BY id DESC LIMIT ALL OFFSET 2995');
ordered('LIMIT from a subquery', 'SELECT id FROM {s} ORDER BY id LIMIT (SELECT count(*) FROM probe)');
ordered('ORDER BY an expression', 'SELECT id, t_default FROM {s} ORDER BY lower(t_default), id LIMIT 20');
ordered('ORDER BY USING a pattern operator',
	'SELECT id, t_default FROM {s} ORDER BY t_default USING ~<~, id LIMIT 20');
ordered('ORDER BY and LIMIT over a local condition',
	'SELECT id, t_c FROM {s} WHERE random() >= 0 ORDER BY t_c, id LIMIT 15');
ordered('DISTINCT ON', 'SELECT DISTINCT ON (d) d, id FROM {s} ORDER BY d, id');
read_rows('UNION of two reads',
	q{SELECT id FROM {s} WHERE d = '01/02/2024' UNION SELECT id FROM {s} WHERE f8 = 0.1});
ordered('window function',
	'SELECT id, row_number() OVER (ORDER BY t_default, id) FROM {s} ORDER BY id LIMIT 40');
ordered('FOR SHARE', 'SELECT id, d FROM {s} WHERE id < 5 ORDER BY id FOR SHARE');
read_rows('LIKE with ESCAPE', q{SELECT id, t_default FROM {s} WHERE t_default LIKE '%\_%' ESCAPE '\'});
read_rows('SIMILAR TO', q{SELECT id, t_default FROM {s} WHERE t_default SIMILAR TO '(a|A)%'});
read_rows('IS TRUE', 'SELECT id FROM {s} WHERE b IS NOT FALSE AND id < 50');
read_rows('BETWEEN SYMMETRIC', 'SELECT id FROM {s} WHERE i2 BETWEEN SYMMETRIC 10 AND -10');
read_rows('row comparison', 'SELECT id FROM {s} WHERE (i2, id) > (990, 0)');
read_rows('= ANY with a NULL element', q{SELECT id FROM {s} WHERE t_default = ANY (ARRAY['apple', NULL])});
push @corpus, {
	name => 'scrollable cursor', ordered => 1,
	runs => [
		'BEGIN',
		'DECLARE c SCROLL CURSOR FOR SELECT id, t_default FROM {s} WHERE id < 100 ORDER BY t_default, id',
		'FETCH 5 FROM c', 'FETCH BACKWARD 2 FROM c', 'FETCH ABSOLUTE 50 FROM c',
		'MOVE LAST IN c', 'FETCH PRIOR FROM c', 'COMMIT',
	],
};

# Prepared statements, executed more than five times (generic plans after
# the fifth; the generic-plan settings block forces them from the first).
sub prepared {
	my ($name, $prepare, @executions) = @_;
	push @corpus, {
		name => "prepared: $name", ordered => 1,
		setup => [$prepare], runs => [ map { "EXECUTE q($_)" } @executions ]
	};
}
prepared('int, LIMIT and OFFSET',
	'PREPARE q(int, bigint, bigint) AS SELECT id, i4 FROM {s} WHERE i4 % 100 = $1 '
	  . 'ORDER BY id LIMIT $2 OFFSET $3',
	'7, 5, 0', '-7, 5, 1', '13, 3, 0', '7, 5, 0', '7, 10, 2', '-13, 4, 0', '7, 5, 0');
prepared('date', 'PREPARE q(date) AS SELECT id, d FROM {s} WHERE d = $1 ORDER BY id',
	q{'01/02/2024'}, q{'2024-02-01'}, q{'infinity'}, q{'0044-03-15 BC'}, q{'01/02/2024'},
	q{'2024-01-02'}, q{'-infinity'});
prepared('float8', 'PREPARE q(float8) AS SELECT id, f8 FROM {s} WHERE f8 = $1 ORDER BY id',
	'0.1', '0.123456789', '1e-300', q{'Infinity'}, q{'-0'}, '0.3333333333333333',
	'123456789.123456789');
prepared('interval', 'PREPARE q(interval) AS SELECT id, iv FROM {s} WHERE iv = $1 ORDER BY id',
	q{'-1 2:00:00'}, q{'-1 day +2 hours'}, q{'1 mon -3 days'}, q{'P-10M'},
	q{'00:00:00.000001'}, q{'-1 days -02:00:00'}, q{'1 day -00:00:01'});
prepared('timestamptz', 'PREPARE q(timestamptz) AS SELECT id, tstz FROM {s} WHERE tstz = $1 ORDER BY id',
	q{'2024-03-10 07:30:00+00'}, q{'2024-11-03 05:30:00+00'}, q{'2024-11-03 01:30:00 EST'},
	q{'2024-01-02 10:00:00+05:30'}, q{'2024-04-06 14:00:00+00'}, q{'infinity'},
	q{'0044-03-15 12:00:00+00 BC'});
prepared('timestamp, used twice',
	q{PREPARE q(timestamp) AS SELECT id, ts FROM {s} WHERE ts <= $1 AND ts > $1 - interval '2 days' ORDER BY id},
	q{'2024-01-02 10:00'}, q{'01/02/2024 10:00'}, q{'2024-03-10 02:30:00'},
	q{'2024-11-03 01:30:00'}, q{'0044-03-16 BC'}, q{'2024-02-01 10:00'}, q{'2023-07-01'});
prepared('text', 'PREPARE q(text) AS SELECT id, t_default FROM {s} WHERE t_default = $1 ORDER BY id',
	q{'apple'}, q{'back\slash'}, q{'O''Brien'}, q{''}, q{'x,y{z}"q'}, q{'Äpfel'}, q{'ß'});
prepared('text in a C column',
	'PREPARE q(text) AS SELECT id, t_c FROM {s} WHERE t_c < $1 AND id < 200 ORDER BY id',
	q{'b'}, q{'B'}, q{'é'}, q{'a'}, q{'Z'}, q{'_'}, q{'1'});
prepared('numeric', 'PREPARE q(numeric) AS SELECT id, n FROM {s} WHERE n = $1 ORDER BY id',
	q{'NaN'}, '1e-30', '123456789012345678901234567890.123456789', '-52910', '1763.7',
	q{'NaN'}, '-37037.037');
prepared('money', 'PREPARE q(money) AS SELECT id, m FROM {s} WHERE m = $1 ORDER BY id',
	q{'-2469'}, q{'-4938'}, q{'-7407'}, q{'-9876'}, q{'-2469'}, q{'-12345'}, q{'-14814'});
prepared('text[]', 'PREPARE q(text[]) AS SELECT id, tags FROM {s} WHERE tags @> $1 ORDER BY id',
	q{'{apple}'}, q{'{ß}'}, q{'{"x,y{z}\"q"}'}, q{'{O''Brien}'}, q{'{apple}'}, q{'{"back\\\\slash"}'},
	q{'{""}'});
push @corpus, {
	name => 'prepared: NULL parameter', ordered => 1,
	setup => ['PREPARE q(date) AS SELECT id, d FROM {s} WHERE d IS NOT DISTINCT FROM $1 ORDER BY id'],
	runs => [ map { "EXECUTE q($_)" } 'NULL', q{'01/02/2024'}, 'NULL', 'NULL', 'NULL', 'NULL', 'NULL' ],
};
prepared('a join parameter',
	'PREPARE q(int) AS SELECT p.key, s.id, s.d FROM probe p JOIN {s} s ON s.d = p.d '
	  . 'WHERE p.key < $1 ORDER BY 1, 2',
	'40', '20', '60', '40', '100', '35', '40');

# The session's settings changed between reads of the same session (the
# connections and prepared remote statements it keeps must not remember
# the old ones).
push @corpus, {
	name => 'settings changed between reads of one session', ordered => 1,
	setup => ['PREPARE qd(date) AS SELECT id, d FROM {s} WHERE d = $1 ORDER BY id'],
	runs => [
		q{SELECT id, d FROM {s} WHERE d = '01/02/2024' ORDER BY id}, q{EXECUTE qd('01/02/2024')},
		q{SET DateStyle = 'SQL, DMY'},
		q{SELECT id, d FROM {s} WHERE d = '01/02/2024' ORDER BY id}, q{EXECUTE qd('01/02/2024')},
		q{SET DateStyle = 'German'},
		q{SELECT id, d FROM {s} WHERE d = '01.02.2024' ORDER BY id}, q{EXECUTE qd('2024-01-02')},
		q{SET IntervalStyle = 'sql_standard'},
		q{SELECT id, iv FROM {s} WHERE iv = '-1 2:00:00' ORDER BY id},
		q{SET extra_float_digits = -15},
		q{SELECT id, f8 FROM {s} WHERE f8 = 0.123456789 ORDER BY id},
		q{SET TimeZone = 'Asia/Kolkata'},
		q{SET DateStyle = 'Postgres, MDY'},
		q{SELECT id, tstz FROM {s} WHERE tstz = '2024-01-02 10:00:00+05:30' ORDER BY id},
		q{EXECUTE qd('01/02/2024')},
	],
};

# Joins: a few local rows looking the raced table up by key, one per type.
for my $key ([qw(id key)], [qw(d d)], [qw(f8 f8)], [qw(ts ts)], [qw(tstz tstz)], [qw(iv iv)],
	[qw(t_default word)], [qw(t_c word_c)], [qw(n n)], [qw(m m)], [qw(u u)], [qw(ip ip)])
{
	my ($column, $local) = @$key;
	ordered("parameterized nested loop on $column",
		"SELECT p.key, s.id, s.$column FROM probe p JOIN {s} s ON s.$column = p.$local ORDER BY p.key, s.id",
		set => \@nested_loop);
}
ordered('merge join of local rows on a timestamp',
	'SELECT p.key, s.id FROM probe p JOIN {s} s ON s.ts = p.ts ORDER BY 1, 2', set => \@merge_join);
ordered('LATERAL lookup with ORDER BY and LIMIT',
	'SELECT p.key, x.id, x.d FROM probe p CROSS JOIN LATERAL '
	  . '(SELECT s.id, s.d FROM {s} s WHERE s.d = p.d ORDER BY s.id LIMIT 2) x ORDER BY p.key, x.id');
ordered('correlated scalar subquery',
	'SELECT p.key, (SELECT count(*) FROM {s} s WHERE s.iv = p.iv) FROM probe p ORDER BY p.key');
ordered('correlated EXISTS',
	'SELECT p.key FROM probe p WHERE EXISTS (SELECT 1 FROM {s} s WHERE s.tstz = p.tstz) ORDER BY 1');
read_rows('semi-join', 'SELECT id, d FROM {s} WHERE id IN (SELECT key FROM probe)');
read_rows('anti-join', 'SELECT count(*) FROM {s} s WHERE NOT EXISTS (SELECT 1 FROM probe p WHERE p.d = s.d)');
ordered('raced table looked up from another raced table',
	'SELECT a.id, b.id FROM {s} a JOIN {s} b ON a.id = b.id + 1 WHERE a.id < 50 ORDER BY a.id',
	set => \@nested_loop);
ordered('merge join of two raced tables, millions of pairs',
	'SELECT a.b, count(*) FROM {s} a JOIN {s} b ON a.b = b.b GROUP BY a.b ORDER BY a.b',
	set => \@merge_join);
ordered('merge join of two raced tables on the key',
	'SELECT a.id, b.t_c FROM {s} a JOIN {s} b ON a.id = b.id ORDER BY a.id', set => \@merge_join);
ordered('full join of local rows',
	'SELECT p.key, s.id FROM probe p FULL JOIN {s} s ON s.id OPERATOR(pg_catalog.=) p.key AND s.id < 50 '
	  . 'WHERE s.id < 60 OR s.id IS NULL ORDER BY 1, 2');
ordered('join of a table raced by both groups',
	'SELECT a.id, b.d, b.f8 FROM {s} a JOIN {h} b ON b.id = a.id WHERE a.id < 100 ORDER BY a.id',
	set => \@nested_loop);
ordered('hash join of two raced tables',
	'SELECT s.id, f.mood FROM {s} s JOIN {fe} f ON f.id = s.id WHERE s.id < 300 ORDER BY s.id',
	set => [ 'SET enable_mergejoin = off', 'SET enable_nestloop = off' ]);

# Subqueries: their values reach the remote side as parameters.
read_rows('initplan: numeric', 'SELECT id, i4 FROM {s} WHERE i4 > (SELECT avg(i4) + 9000 FROM {s})');
read_rows('initplan: date',
	q{SELECT id, d FROM {s} WHERE d = (SELECT max(d) FROM {s} WHERE d < '2024-01-03')});
read_rows('initplan: float8', 'SELECT id, f8 FROM {s} WHERE f8 = (SELECT f8 FROM {s} WHERE id = 21)');
read_rows('initplan: timestamptz',
	'SELECT id, tstz FROM {s} WHERE tstz = (SELECT tstz FROM {s} WHERE id = 52)');
read_rows('initplan: interval', 'SELECT id, iv FROM {s} WHERE iv = (SELECT iv FROM {s} WHERE id = 53)');
read_rows('initplan: C text', 'SELECT id FROM {s} WHERE t_c = (SELECT t_c FROM {s} WHERE id = 30)');
read_rows('initplan: int[]', 'SELECT id FROM {s} WHERE id = ANY (ARRAY(SELECT key FROM probe))');
read_rows('initplan: timestamp[]',
	'SELECT id, ts FROM {s} WHERE ts = ANY (ARRAY(SELECT ts FROM probe WHERE ts IS NOT NULL))');
read_rows('initplan: date[]', 'SELECT id, d FROM {s} WHERE d = ANY (ARRAY(SELECT d FROM probe))');
ordered('ordered subquery with LIMIT',
	'SELECT * FROM (SELECT id, t_default FROM {s} ORDER BY t_default DESC, id LIMIT 10) x ORDER BY id');
read_rows('materialized CTE',
	'WITH x AS MATERIALIZED (SELECT id, i4 FROM {s} WHERE i4 > 9000) SELECT count(*), min(id), max(id) FROM x');

# A view over the raced table.
read_rows('view: date literal', q{SELECT id, d FROM {v} WHERE d = '01/02/2024'});
ordered('view: C text order', 'SELECT * FROM {v} ORDER BY t_c, id LIMIT 10');
ordered('view joined with local rows',
	'SELECT p.key, v.f8 FROM probe p JOIN {v} v ON v.id = p.key ORDER BY 1',
	set => \@nested_loop);

# Aggregates over raced tables.
read_rows('exact aggregates',
	q{SELECT count(*), count(i4), sum(i8), sum(n) FILTER (WHERE n <> 'NaN'), avg(i2), min(d), max(d),
		min(ts), max(tstz), min(iv), max(iv), bool_and(b), bool_or(b) FROM {s}});
read_rows('float aggregates', 'SELECT sum(f8), avg(f4), stddev(f8) FROM {s} WHERE f8 BETWEEN 0 AND 1000',
	approx => 1);
ordered('grouped string_agg',
	q{SELECT b, count(*), string_agg(t_default, ',' ORDER BY id) FROM {s} WHERE id < 200
		GROUP BY b ORDER BY b NULLS FIRST});
ordered('GROUP BY HAVING',
	'SELECT d, count(*) FROM {s} GROUP BY d HAVING count(*) > 5 ORDER BY d NULLS FIRST');
read_rows('count DISTINCT',
	'SELECT count(DISTINCT t_c), count(DISTINCT t_default), count(DISTINCT lower(t_default)) FROM {s}');
read_rows('array_agg of a date read', q{SELECT array_agg(id ORDER BY id) FROM {s} WHERE d = '01/02/2024'});
read_rows('count(*)', 'SELECT count(*) FROM {s}');
read_rows('min and max with NaN', 'SELECT min(f8), max(f8), min(n), max(n) FROM {s}');
read_rows('money aggregates', 'SELECT sum(m), min(m), max(m) FROM {s}');
ordered('grouped by year',
	q{SELECT extract(year FROM d) AS y, count(*) FROM {s}
		WHERE d > '-infinity' AND d < 'infinity' GROUP BY y ORDER BY y});

# Joins sent to the remote side: two raced tables of one race group, every
# join type, keys of several types and collations, conditions on either
# side and above the join.
ordered('pushed inner join on the key',
	'SELECT s.id, s.t_c, f.mood, f.note FROM {s} s JOIN {f} f ON f.id = s.id WHERE s.i4 > 0 ORDER BY s.id');
ordered('pushed left join, a condition on the nullable side',
	q{SELECT s.id, f.note FROM {s} s LEFT JOIN {f} f ON f.id = s.id AND f.note LIKE 'note 1%'
		WHERE s.id < 700 ORDER BY s.id});
ordered('pushed left join, IS NULL above it',
	'SELECT s.id FROM {s} s LEFT JOIN {fe} f ON f.id = s.id WHERE f.id IS NULL AND s.id < 1000 ORDER BY s.id');
ordered('pushed right join',
	'SELECT f.id, s.id, s.i2 FROM {s} s RIGHT JOIN {f} f ON f.id = s.id * 2 AND s.i2 > 0 ORDER BY f.id');
ordered('pushed full join',
	'SELECT s.id, f.id FROM {s} s FULL JOIN {fe} f ON f.id OPERATOR(pg_catalog.=) s.id - 2500 '
	  . 'ORDER BY s.id NULLS FIRST, f.id NULLS FIRST');
ordered('pushed full join, a condition above it',
	'SELECT s.id, f.id, f.mood FROM {s} s FULL JOIN {fe} f ON f.id OPERATOR(pg_catalog.=) s.id - 2500 '
	  . 'WHERE s.id IS NULL OR s.id > 2990 ORDER BY s.id NULLS FIRST, f.id NULLS FIRST');
ordered('pushed self-join on C text against default text',
	'SELECT a.id, b.id FROM {s} a JOIN {s} b ON a.t_c = b.t_default WHERE a.id < 300 ORDER BY 1, 2');
ordered('pushed self-join on timestamptz, numeric and float8',
	'SELECT a.id, b.id FROM {s} a JOIN {s} b ON a.tstz = b.tstz AND a.id <> b.id ORDER BY 1, 2');
ordered('pushed self-join on numeric and float8',
	q{SELECT a.id, b.id FROM {s} a JOIN {s} b ON a.n = b.n AND a.f8 = b.f8 AND a.id < b.id
		WHERE a.n <> 'NaN' ORDER BY 1, 2}, rows => 'any');
ordered('pushed join of three raced tables',
	'SELECT a.id, f.mood, b.i4 FROM {s} a JOIN {fe} f ON f.id = a.id LEFT JOIN {s} b ON b.id = a.id + 1 '
	  . 'WHERE a.id < 200 ORDER BY a.id');
ordered('pushed join with a local condition on one side',
	q{SELECT a.id, f.note FROM {s} a JOIN {f} f ON f.id = a.id
		WHERE a.i4::text LIKE '1%' ORDER BY a.id});
read_rows('pushed join on NULL keys',
	'SELECT a.id, b.id FROM {s} a JOIN {s} b ON a.i2 = b.i4 WHERE a.i2 IS NULL OR b.i4 IS NULL',
	rows => 'any');

# Aggregates and GROUP BY sent to the remote side: NULL groups, empty inputs,
# collations, numeric, float, interval and timestamptz values.
read_rows('pushed GROUP BY with a NULL group',
	'SELECT b, count(*), count(i4), sum(i4), avg(i8), min(t_c), max(t_default) FROM {s} GROUP BY b');
read_rows('pushed GROUP BY C text', 'SELECT t_c, count(*), min(id) FROM {s} GROUP BY t_c');
read_rows('pushed GROUP BY default text', 'SELECT t_default, count(*), max(id) FROM {s} GROUP BY t_default');
read_rows('pushed GROUP BY an expression',
	'SELECT i2 % 7, avg(n) FILTER (WHERE n <> \'NaN\'), sum(nb), avg(nb) FROM {s} GROUP BY 1');
read_rows('pushed GROUP BY float4 (-0, NaN, infinities)', 'SELECT f4, count(*) FROM {s} GROUP BY f4');
read_rows('pushed GROUP BY timestamptz', 'SELECT tstz, count(*) FROM {s} GROUP BY tstz HAVING count(*) > 1',
	rows => 'any');
read_rows('pushed interval and timestamptz aggregates',
	'SELECT i2 % 4, sum(iv), avg(iv), min(tstz), max(tstz), min(ts), max(d) FROM {s} GROUP BY 1');
read_rows('pushed min and max of text in their collations',
	'SELECT i2 % 3, min(t_default), max(t_default), min(t_c), max(t_c), '
	  . 'min(t_default COLLATE "C"), max(t_c COLLATE "default"), min(vc), max(ch) FROM {s} GROUP BY 1');
read_rows('pushed count DISTINCT of float8, timestamptz and text',
	'SELECT b, count(DISTINCT f8), count(DISTINCT tstz), count(DISTINCT t_c) FROM {s} GROUP BY b');
read_rows('pushed aggregates with FILTER, ORDER BY and DISTINCT',
	q{SELECT b, string_agg(t_c, '|' ORDER BY t_c DESC NULLS FIRST, id) FILTER (WHERE id % 7 = 0),
		array_agg(DISTINCT i2 % 5), array_agg(id ORDER BY f8 NULLS FIRST, id) FILTER (WHERE id < 60)
		FROM {s} WHERE id < 400 GROUP BY b});
read_rows('pushed aggregates of an empty input',
	'SELECT count(*), sum(i4), avg(n), max(t_c), string_agg(t_default, \',\') FROM {s} WHERE id < 0');
read_rows('pushed GROUP BY of an empty input', 'SELECT b, count(*) FROM {s} WHERE id < 0 GROUP BY b',
	rows => 'any');
read_rows('pushed HAVING without GROUP BY', 'SELECT count(*) FROM {s} HAVING count(*) > 10');
ordered('pushed ORDER BY an aggregate with LIMIT',
	'SELECT t_c, count(*), max(id) FROM {s} GROUP BY t_c HAVING count(*) > 2 '
	  . 'ORDER BY count(*) DESC, t_c LIMIT 7');
ordered('pushed ORDER BY a default text group with LIMIT and OFFSET',
	'SELECT t_default, count(*) FROM {s} GROUP BY t_default ORDER BY t_default DESC NULLS FIRST LIMIT 12 OFFSET 3');
read_rows('pushed DISTINCT', 'SELECT DISTINCT t_c FROM {s}');
ordered('pushed DISTINCT with ORDER BY and LIMIT',
	'SELECT DISTINCT b, i2 % 3 FROM {s} ORDER BY 1, 2 LIMIT 5');
read_rows('enum declared as text: pushed DISTINCT', 'SELECT DISTINCT mood FROM {f}');
read_rows('pushed aggregate over a pushed join',
	'SELECT f.mood, count(*), sum(s.i4), min(s.tstz), max(s.t_c) FROM {s} s JOIN {f} f ON f.id = s.id GROUP BY f.mood');
# An enum is not built in: grouped here, over the pushed join.
read_rows('enum: grouped over a pushed join',
	'SELECT f.mood, count(*), sum(s.i4) FROM {s} s JOIN {fe} f ON f.id = s.id GROUP BY f.mood');
read_rows('enum declared as text: grouped over a left join',
	'SELECT f.mood, count(*), count(f.id) FROM {s} s LEFT JOIN {f} f ON f.id = s.id GROUP BY f.mood');
ordered('pushed aggregate over a full join, ordered',
	'SELECT s.b, count(*), count(f.id) FROM {s} s FULL JOIN {fe} f ON f.id OPERATOR(pg_catalog.=) s.id - 2700 '
	  . 'GROUP BY s.b ORDER BY s.b NULLS FIRST');
read_rows('pushed aggregate with a parameter in a subquery',
	'SELECT p.key, (SELECT count(*) FROM {s} s WHERE s.i2 < p.key) FROM probe p');

# A result larger than work_mem: the stored answer spills to disk.
ordered('every row past work_mem', 'SELECT * FROM {s} ORDER BY id', set => ["SET work_mem = '64kB'"]);

# The whole corpus, in order.
sub corpus {
	return @corpus;
}

# The settings blocks: local settings varied (not the full cross product),
# each with the flavors of raced tables it runs on; the first runs on every
# flavor there is. settings_blocks($monetary, @flavors): $monetary a locale
# for lc_monetary and lc_numeric.
sub settings_blocks {
	my ($monetary, @flavors_all) = @_;
	return (
		{
			name => 'ISO, MDY; postgres; efd 1; UTC',
			set => [ q{SET DateStyle = 'ISO, MDY'}, q{SET IntervalStyle = 'postgres'},
				'SET extra_float_digits = 1', q{SET TimeZone = 'UTC'} ],
			flavors => \@flavors_all,
		},
		{
			name => 'SQL, DMY; sql_standard; efd -15; New York; generic plans',
			set => [ q{SET DateStyle = 'SQL, DMY'}, q{SET IntervalStyle = 'sql_standard'},
				'SET extra_float_digits = -15', q{SET TimeZone = 'America/New_York'},
				'SET plan_cache_mode = force_generic_plan', qq{SET lc_monetary = '$monetary'},
				q{SET bytea_output = 'escape'} ],
			flavors => [qw(raced hostile)],
		},
		{
			name => 'German; iso_8601; efd 0; Chatham; hostile search_path',
			set => [ q{SET DateStyle = 'German'}, q{SET IntervalStyle = 'iso_8601'},
				'SET extra_float_digits = 0', q{SET TimeZone = 'Pacific/Chatham'},
				'SET search_path = trap, pg_catalog, public', qq{SET lc_numeric = '$monetary'} ],
			flavors => [qw(raced)],
		},
		{
			name => 'Postgres, MDY; postgres_verbose; efd 3; Kolkata',
			set => [ q{SET DateStyle = 'Postgres, MDY'}, q{SET IntervalStyle = 'postgres_verbose'},
				'SET extra_float_digits = 3', q{SET TimeZone = 'Asia/Kolkata'},
				q{SET lc_monetary = 'C'}, 'SET search_path = trap, public' ],
			flavors => [qw(raced hostile)],
		},
	);
}

1;
