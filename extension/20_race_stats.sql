-- multiquery: race statistics, kept in shared memory across all backends
-- (only when the library is in shared_preload_libraries; otherwise the views
-- are empty and race_stats_info says tracking is off).

CREATE FUNCTION multiquery.race_stats(
    OUT target text,
    OUT races bigint,
    OUT wins bigint,
    OUT errors bigint,
    OUT cancels bigint,
    OUT hedges bigint,
    OUT p50_ms double precision,
    OUT p90_ms double precision,
    OUT p99_ms double precision,
    OUT last_error text,
    OUT last_error_at timestamptz,
    OUT stats_reset timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_race_stats'
LANGUAGE C STRICT VOLATILE;

-- Which target wins the races, and how fast: one row per target.
CREATE VIEW multiquery.race_stats AS
    SELECT target, races, wins, errors, cancels, hedges,
           CASE WHEN races > 0 THEN wins::double precision / races END AS win_ratio,
           p50_ms, p90_ms, p99_ms, last_error, last_error_at, stats_reset
      FROM multiquery.race_stats();

COMMENT ON VIEW multiquery.race_stats IS
    'per race target: races entered, wins, errors, cancels, winning latency percentiles, last error';

CREATE FUNCTION multiquery.race_wins_per_minute(
    OUT minute timestamptz,
    OUT target text,
    OUT wins bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_race_wins_per_minute'
LANGUAGE C STRICT VOLATILE;

-- Wins per target per minute over the last 24 hours, for charting each
-- target's share of the wins; minutes without a win have no row.
CREATE VIEW multiquery.race_wins_per_minute AS
    SELECT minute, target, wins
      FROM multiquery.race_wins_per_minute()
     ORDER BY minute, target;

COMMENT ON VIEW multiquery.race_wins_per_minute IS
    'wins per race target per minute over the last 24 hours';

CREATE FUNCTION multiquery.race_stats_info(
    OUT tracking boolean,
    OUT targets integer,
    OUT max_targets integer,
    OUT untracked bigint,
    OUT stats_reset timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_race_stats_info'
LANGUAGE C STRICT VOLATILE;

-- The statistics table itself: whether it exists, how full it is, and how
-- many outcomes it dropped because multiquery.stats_max_targets was reached.
CREATE VIEW multiquery.race_stats_info AS
    SELECT tracking, targets, max_targets, untracked, stats_reset
      FROM multiquery.race_stats_info();

COMMENT ON VIEW multiquery.race_stats_info IS
    'whether race statistics are kept, how many targets they track, how many outcomes they dropped';

CREATE FUNCTION multiquery.race_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'multiquery_race_stats_reset'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION multiquery.race_stats_reset() IS 'forgets the statistics of every race target';

-- Target names may be conninfo strings (host, port, user) and errors may
-- quote remote messages: like pg_stat_activity's details, they are for
-- monitoring roles, not PUBLIC.
REVOKE ALL ON FUNCTION multiquery.race_stats() FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery.race_wins_per_minute() FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery.race_stats_info() FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery.race_stats_reset() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION multiquery.race_stats() TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION multiquery.race_wins_per_minute() TO pg_read_all_stats;
GRANT EXECUTE ON FUNCTION multiquery.race_stats_info() TO pg_read_all_stats;
GRANT SELECT ON multiquery.race_stats, multiquery.race_wins_per_minute,
    multiquery.race_stats_info TO pg_read_all_stats;
