-- Race statistics: what the race engine reports (here through the test hook
-- multiquery_test.record_race) shows up in the views, shared by every
-- backend, until reset. The test cluster preloads the library.
SELECT multiquery.race_stats_reset();
SELECT tracking, targets, untracked, stats_reset <= now() AS reset_in_the_past
  FROM multiquery.race_stats_info;
SELECT count(*) AS rows_after_reset FROM multiquery.race_stats;
SELECT count(*) AS minutes_after_reset FROM multiquery.race_wins_per_minute;
SELECT stats_reset AS first_reset FROM multiquery.race_stats_info \gset

-- 100 races won by the primary in 1..100 ms; the standby lost each: 95
-- cancelled, 5 failed. The standby also had its query sent late twice.
SELECT count(*) AS recorded FROM generate_series(1, 100) AS ms,
       LATERAL multiquery_test.record_race('stats_primary', 'win', ms);
SELECT count(*) AS recorded FROM generate_series(1, 95) AS ms,
       LATERAL multiquery_test.record_race('stats_standby', 'cancel', ms);
SELECT count(*) AS recorded FROM generate_series(1, 4) AS ms,
       LATERAL multiquery_test.record_race('stats_standby', 'error', ms, 'connection refused');
SELECT multiquery_test.record_race('stats_standby', 'error', 3000, 'timeout expired') \gset
SELECT multiquery_test.record_race('stats_standby', 'hedge', NULL) \gset
SELECT multiquery_test.record_race('stats_standby', 'hedge', NULL) \gset

SELECT target, races, wins, errors, cancels, hedges, win_ratio, last_error,
       last_error_at IS NOT NULL AS has_error_time, stats_reset = :'first_reset' AS same_reset
  FROM multiquery.race_stats ORDER BY target;

-- Percentiles within the histogram's error (a bucket is at most 1/16 of its
-- value wide, read at its middle: 1/32), NULL for a target that never won.
SELECT target,
       abs(p50_ms - 50) <= 50 / 32.0 AS p50_close,
       abs(p90_ms - 90) <= 90 / 32.0 AS p90_close,
       abs(p99_ms - 99) <= 99 / 32.0 AS p99_close
  FROM multiquery.race_stats WHERE target = 'stats_primary';
SELECT p50_ms IS NULL AS p50_null, p99_ms IS NULL AS p99_null
  FROM multiquery.race_stats WHERE target = 'stats_standby';

-- The quantile the race engine reads for hedging, in microseconds.
SELECT abs(multiquery_test.latency_quantile('stats_primary', 0.9) - 90000) <= 90000 / 32
       AS engine_p90_close;
SELECT multiquery_test.latency_quantile('stats_standby', 0.5) IS NULL AS no_wins_no_quantile,
       multiquery_test.latency_quantile('stats_nobody', 0.5) IS NULL AS unknown_target,
       multiquery_test.latency_quantile('stats_primary', 1.5) IS NULL AS bad_p;

-- Every win is in a whole minute of the last 24 hours (the inserts may
-- straddle a minute boundary, so sum the minutes).
SELECT target, sum(wins) AS wins,
       bool_and(minute = date_trunc('minute', minute)) AS whole_minutes,
       bool_and(minute <= now() AND minute > now() - interval '24 hours') AS last_day
  FROM multiquery.race_wins_per_minute GROUP BY target ORDER BY target;

-- Statistics are shared by all backends: a new session sees the same numbers
-- and adds to them.
\c
SELECT target, races, wins FROM multiquery.race_stats ORDER BY target;
SELECT multiquery_test.record_race('stats_primary', 'win', 1000) \gset
\c
SELECT target, races, wins, round(p99_ms) AS p99_ms
  FROM multiquery.race_stats WHERE target = 'stats_primary';
SELECT sum(wins) AS primary_wins FROM multiquery.race_wins_per_minute
 WHERE target = 'stats_primary';

-- Long names are cut at a character boundary, so they stay valid text; two
-- names that differ only past the cut are one target.
SELECT multiquery_test.record_race(repeat('é', 200), 'win', 5) \gset
SELECT multiquery_test.record_race(repeat('é', 200) || 'x', 'win', 5) \gset
SELECT octet_length(target) BETWEEN 254 AND 255 AS cut, races,
       target = left(repeat('é', 200), length(target)) AS is_prefix
  FROM multiquery.race_stats WHERE target LIKE 'é%';

-- A full table: targets beyond multiquery.stats_max_targets are counted, not tracked.
SELECT multiquery.race_stats_reset();
SELECT max_targets FROM multiquery.race_stats_info \gset
SELECT count(*) - :max_targets AS recorded_beyond_max FROM generate_series(1, :max_targets + 5) AS i,
       LATERAL multiquery_test.record_race('stats_fill_' || i, 'win', 1);
SELECT multiquery_test.record_race('stats_fill_1', 'win', 1) \gset
SELECT targets = :max_targets AS full, untracked FROM multiquery.race_stats_info;
SELECT count(*) = :max_targets AS one_row_per_tracked_target,
       sum(races) = :max_targets + 1 AS tracked_races
  FROM multiquery.race_stats;

-- Reset forgets everything and moves stats_reset on.
SELECT multiquery.race_stats_reset();
SELECT targets, untracked, stats_reset > :'first_reset' AS reset_moved
  FROM multiquery.race_stats_info;
SELECT count(*) AS rows_after_reset FROM multiquery.race_stats;
SELECT count(*) AS minutes_after_reset FROM multiquery.race_wins_per_minute;

-- Bad input to the test hook is an error, not a crash.
SELECT multiquery_test.record_race('stats_primary', 'bogus', 1);
SELECT multiquery_test.record_race(NULL, 'win', 1);
SELECT multiquery_test.record_race('stats_primary', 'win', -1);
SELECT multiquery_test.record_race('stats_primary', 'win', 'NaN');
SELECT count(*) AS nothing_recorded FROM multiquery.race_stats;

-- Privileges: the views are for monitoring roles, the reset and the hooks
-- for superusers (or whoever they grant them to).
SELECT multiquery_test.record_race('stats_primary', 'win', 1) \gset
CREATE ROLE regress_stats_user;
SET ROLE regress_stats_user;
SELECT count(*) FROM multiquery.race_stats;
SELECT multiquery.race_stats_reset();
SELECT multiquery_test.record_race('stats_primary', 'win', 1);
RESET ROLE;
GRANT pg_read_all_stats TO regress_stats_user;
SET ROLE regress_stats_user;
SELECT count(*) AS visible FROM multiquery.race_stats;
SELECT count(*) AS visible FROM multiquery.race_wins_per_minute;
SELECT tracking FROM multiquery.race_stats_info;
SELECT multiquery.race_stats_reset();
RESET ROLE;
DROP ROLE regress_stats_user;
