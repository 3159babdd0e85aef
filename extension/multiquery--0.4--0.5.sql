-- multiquery 0.4 -> 0.5: a dead letter is removed only by the entry its
-- retry re-added, and letters can be discarded by function; the letter of
-- an entry too large to hold keeps its first bytes and its size.
\echo Use "ALTER EXTENSION multiquery UPDATE TO '0.5'" to load this file. \quit

ALTER TABLE multiquery.dead_letters ADD COLUMN retried_as text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN multiquery.dead_letters.retried_as IS
    'ids of the entries retry_dead_letters() re-added to the stream: only those may remove the letter';
ALTER TABLE multiquery.dead_letters ADD COLUMN entry_bytes bigint;
COMMENT ON COLUMN multiquery.dead_letters.entry_bytes IS
    'the entry''s size when it was over multiquery.drain_max_entry_size: payload then keeps only the first bytes of each longer value; NULL when payload is whole';

-- Replaced in place, so that the grants given on it stay.
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
CREATE OR REPLACE FUNCTION multiquery.retry_dead_letters(ids bigint[] DEFAULT NULL, stream text DEFAULT NULL)
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

