-- multiquery: the base objects every concern shares.
\echo Use "CREATE EXTENSION multiquery" to load this file. \quit

CREATE FUNCTION multiquery.version()
RETURNS text
AS 'MODULE_PATHNAME', 'multiquery_version'
LANGUAGE C STRICT PARALLEL SAFE;

COMMENT ON FUNCTION multiquery.version() IS 'version of the loaded multiquery library';

-- Users reach the schema; each function decides who may EXECUTE it.
GRANT USAGE ON SCHEMA multiquery TO PUBLIC;
-- Racing reads: race_query sends one read to several targets at once and
-- returns the rows of the first that answers.

-- Servers of this wrapper are race targets: libpq connection options on the
-- server, credentials in user mappings (as dblink_fdw and postgres_fdw).
CREATE FUNCTION multiquery.fdw_validator(options text[], catalog oid)
RETURNS void
AS 'MODULE_PATHNAME', 'multiquery_fdw_validator'
LANGUAGE C STRICT;

-- Racing foreign tables: a foreign table on a multiquery server (a race
-- group, or one server) is read by racing its remote SELECT (docs/racing_tables.md).
CREATE FUNCTION multiquery.fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME', 'multiquery_fdw_handler'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER multiquery
    HANDLER multiquery.fdw_handler VALIDATOR multiquery.fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER multiquery IS
    'race targets for multiquery.race_query, race groups and racing foreign tables';

CREATE FUNCTION multiquery.race_query(
    targets text[],
    query text,
    params text[] DEFAULT NULL,
    timeout_ms integer DEFAULT NULL,
    min_lsn pg_lsn DEFAULT NULL,
    hedge_delay text DEFAULT NULL)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_race_query'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) IS
    'runs a read on every target at once and returns the rows of the first to answer';

-- Racing opens connections to other servers: granted deliberately, e.g.
--   GRANT EXECUTE ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) TO app_role;
REVOKE ALL ON FUNCTION multiquery.race_query(text[], text, text[], integer, pg_lsn, text) FROM PUBLIC;
-- The per-backend cache of race connections, as postgres_fdw shows and closes
-- its own: list this backend's connections, close one target's, close all.

CREATE FUNCTION multiquery.race_connections(
    OUT target text,
    OUT state text,
    OUT idle_since timestamptz,
    OUT server_pid integer,
    OUT host text,
    OUT port integer)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_race_connections'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION multiquery.race_connections() IS
    'lists the connections to race targets this backend keeps open (passwords redacted)';

CREATE FUNCTION multiquery.race_disconnect(target text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'multiquery_race_disconnect'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION multiquery.race_disconnect(text) IS
    'closes this backend''s cached connections to one race target; true if one was open';

CREATE FUNCTION multiquery.race_disconnect_all()
RETURNS boolean
AS 'MODULE_PATHNAME', 'multiquery_race_disconnect_all'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION multiquery.race_disconnect_all() IS
    'closes every cached connection to race targets of this backend; true if one was open';

-- They act on the caller's own backend only, but after SET ROLE or SET
-- SESSION AUTHORIZATION a backend's cache holds connections other roles made:
-- whoever may race is the one to list and close them, so they are granted
-- together with race_query, e.g.
--   GRANT EXECUTE ON FUNCTION multiquery.race_connections(), multiquery.race_disconnect(text),
--       multiquery.race_disconnect_all() TO app_role;
REVOKE ALL ON FUNCTION multiquery.race_connections() FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery.race_disconnect(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION multiquery.race_disconnect_all() FROM PUBLIC;
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
-- multiquery: the write queue (Redis streams drained into local tables).

-- The last entry id applied from each stream, committed in the same
-- transaction as the rows: what makes the drain exactly-once.
CREATE TABLE multiquery.drain_progress (
    stream          text PRIMARY KEY,
    last_id         text NOT NULL,
    entries_applied bigint NOT NULL DEFAULT 0,
    dead_letters    bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE multiquery.drain_progress IS
    'last stream entry id the drain applied, per Redis stream; written with the rows';

-- Entries the drain could not apply, with why; see retry_dead_letters().
CREATE TABLE multiquery.dead_letters (
    id        bigserial PRIMARY KEY,
    stream    text NOT NULL,
    entry_id  text NOT NULL,
    payload   text[] NOT NULL,
    sqlstate  text NOT NULL,
    error     text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now(),
    retried_as text[] NOT NULL DEFAULT '{}',
    entry_bytes bigint,
    detail    text,
    hint      text,
    attempts  int NOT NULL DEFAULT 1,
    UNIQUE (stream, entry_id)
);
COMMENT ON TABLE multiquery.dead_letters IS
    'stream entries the drain could not apply: raw fields (name, value, ...), SQLSTATE, error';
COMMENT ON COLUMN multiquery.dead_letters.payload IS
    'the entry''s fields as name, value, name, value, ...; bytes that are not valid text as \x hex';
COMMENT ON COLUMN multiquery.dead_letters.entry_bytes IS
    'the entry''s size when it was over multiquery.drain_max_entry_size: payload then keeps only the first bytes of each longer value; NULL when payload is whole';
COMMENT ON COLUMN multiquery.dead_letters.retried_as IS
    'ids of the entries retry_dead_letters() re-added to the stream: only those may remove the letter';
COMMENT ON COLUMN multiquery.dead_letters.detail IS
    'the error''s detail (for an error met while the entry was tried alone, naming its table); NULL when none';
COMMENT ON COLUMN multiquery.dead_letters.hint IS
    'the error''s hint: what to do; NULL when none';
COMMENT ON COLUMN multiquery.dead_letters.attempts IS
    'how many times the drain tried the entry''s batch before it parked the entry (1: at the first try)';
-- Monitoring sees what failed and why, not the payloads (the users' data).
GRANT SELECT (id, stream, entry_id, sqlstate, error, detail, hint, attempts, failed_at,
              retried_as, entry_bytes) ON multiquery.dead_letters TO pg_monitor;

-- pg_dump keeps their rows: a restored database must not re-apply or lose entries.
SELECT pg_catalog.pg_extension_config_dump('multiquery.drain_progress', '');
SELECT pg_catalog.pg_extension_config_dump('multiquery.dead_letters', '');
SELECT pg_catalog.pg_extension_config_dump('multiquery.dead_letters_id_seq', '');

CREATE FUNCTION multiquery.enqueue(target regclass, "row" jsonb, stream text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'multiquery_enqueue'
LANGUAGE C VOLATILE CALLED ON NULL INPUT;
COMMENT ON FUNCTION multiquery.enqueue(regclass, jsonb, text) IS
    'adds one row for target to a Redis stream (default: the first of multiquery.drain_streams); returns the entry id; not transactional';
-- The drain inserts the row later as the table's owner: granted deliberately, e.g.
--   GRANT EXECUTE ON FUNCTION multiquery.enqueue(regclass, jsonb, text) TO app_role;
REVOKE ALL ON FUNCTION multiquery.enqueue(regclass, jsonb, text) FROM PUBLIC;

CREATE FUNCTION multiquery._redis_xadd(stream text, fields text[])
RETURNS text
AS 'MODULE_PATHNAME', 'multiquery_redis_xadd'
LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION multiquery._redis_xadd(text, text[]) FROM PUBLIC;
COMMENT ON FUNCTION multiquery._redis_xadd(text, text[]) IS
    'XADDs raw field/value pairs to a Redis stream (superusers; used by retry_dead_letters)';

-- Sends chosen dead letters back to their stream, each tagged retry_of = its
-- id, and records the id of each entry it re-added in the letter's
-- retried_as. The drain removes a letter only for an entry of its stream
-- whose id is recorded there (a producer cannot forge one: stream ids are
-- Redis's), in the transaction that applies the entry or parks it again in
-- the letter's place, and skips any further copy once the letter is gone: a
-- retry applies at most once even if this is called twice, and an entry has
-- one letter however often it is retried. The letter is locked before its
-- copy goes out, so the drain, reading the copy before this commits, waits
-- for its id to be recorded.
CREATE FUNCTION multiquery.retry_dead_letters(ids bigint[] DEFAULT NULL, stream text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    letter record;
    fields text[];
    copy_id text;
    sent bigint := 0;
BEGIN
    IF ids IS NULL AND stream IS NULL THEN
        RAISE EXCEPTION 'choose the dead letters to retry by ids or by stream'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR letter IN
        SELECT d.id, d.stream, d.payload, d.entry_bytes FROM multiquery.dead_letters d
        WHERE (ids IS NULL OR d.id = ANY (ids))
          AND (retry_dead_letters.stream IS NULL OR d.stream = retry_dead_letters.stream)
        ORDER BY d.id
        FOR UPDATE
    LOOP
        -- The letter of an entry over multiquery.drain_max_entry_size keeps
        -- only the first bytes of its values: sent back, they would be
        -- another entry. The producer must send the entry again.
        IF letter.entry_bytes IS NOT NULL THEN
            RAISE WARNING 'dead letter % cannot be retried', letter.id
                USING DETAIL = format('Its entry was %s bytes; the letter keeps only the first bytes of its values.', letter.entry_bytes),
                      HINT = 'Send the entry again from its source, within multiquery.drain_max_entry_size, and discard the letter with multiquery.discard_dead_letters().';
            CONTINUE;
        END IF;
        -- An older retry_of pair is dropped; this copy is tagged with this id.
        fields := '{}';
        FOR i IN 1 .. coalesce(array_length(letter.payload, 1), 0) - 1 BY 2 LOOP
            IF letter.payload[i] <> 'retry_of' THEN
                fields := fields || ARRAY[letter.payload[i], letter.payload[i + 1]];
            END IF;
        END LOOP;
        copy_id := multiquery._redis_xadd(letter.stream, fields || ARRAY['retry_of', letter.id::text]);
        UPDATE multiquery.dead_letters SET retried_as = retried_as || copy_id WHERE id = letter.id;
        sent := sent + 1;
    END LOOP;
    RETURN sent;
END;
$$;
REVOKE ALL ON FUNCTION multiquery.retry_dead_letters(bigint[], text) FROM PUBLIC;
COMMENT ON FUNCTION multiquery.retry_dead_letters(bigint[], text) IS
    'sends chosen dead letters (by ids and/or stream) back to their stream; returns how many';

-- Discards dead letters that can never succeed (by ids and/or stream):
-- a copy of one already retried then finds its letter gone and is skipped.
CREATE FUNCTION multiquery.discard_dead_letters(ids bigint[] DEFAULT NULL, stream text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    discarded bigint;
BEGIN
    IF ids IS NULL AND stream IS NULL THEN
        RAISE EXCEPTION 'choose the dead letters to discard by ids or by stream'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM multiquery.dead_letters d
    WHERE (ids IS NULL OR d.id = ANY (ids))
      AND (discard_dead_letters.stream IS NULL OR d.stream = discard_dead_letters.stream);
    GET DIAGNOSTICS discarded = ROW_COUNT;
    RETURN discarded;
END;
$$;
REVOKE ALL ON FUNCTION multiquery.discard_dead_letters(bigint[], text) FROM PUBLIC;
COMMENT ON FUNCTION multiquery.discard_dead_letters(bigint[], text) IS
    'deletes chosen dead letters (by ids and/or stream) that can never succeed; returns how many';

CREATE FUNCTION multiquery._drain_status(
    OUT worker int, OUT pid int, OUT stream text, OUT state text,
    OUT entries_applied bigint, OUT rows_applied bigint, OUT entries_skipped bigint,
    OUT dead_letters bigint, OUT last_applied_id text, OUT pending bigint, OUT lag bigint,
    OUT last_error text, OUT last_error_at timestamptz, OUT updated_at timestamptz,
    OUT trimmed_to text, OUT entries_removed_unread bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'multiquery_drain_status'
LANGUAGE C VOLATILE STRICT;

CREATE VIEW multiquery.drain_status AS SELECT * FROM multiquery._drain_status();
COMMENT ON VIEW multiquery.drain_status IS
    'per drain worker and stream: state, entries applied, dead letters, backlog in Redis, last error, how far the stream is trimmed';
COMMENT ON COLUMN multiquery.drain_status.state IS
    'what the worker is doing with the stream now';
COMMENT ON COLUMN multiquery.drain_status.last_error IS
    'the last error met on the stream, kept after the drain recovers (state says what is happening now); NULL: none since the server started';
COMMENT ON COLUMN multiquery.drain_status.last_error_at IS
    'when last_error happened';
COMMENT ON COLUMN multiquery.drain_status.entries_removed_unread IS
    'entries removed from the stream before the drain read them (trimmed or deleted by others), since the server started';
REVOKE ALL ON FUNCTION multiquery._drain_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION multiquery._drain_status() TO pg_read_all_stats;
GRANT SELECT ON multiquery.drain_status TO pg_read_all_stats;
