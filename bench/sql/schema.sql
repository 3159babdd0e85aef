-- The data every read method queries, and the table the write queue fills.
-- psql variable: rows.
CREATE TABLE docs (
    id    int PRIMARY KEY,
    title text NOT NULL,
    body  text NOT NULL
);
-- Titles start with 32 hex digits, so a random 3-digit prefix matches ~rows/4096 of them.
INSERT INTO docs
SELECT i,
       md5(i::text) || ' ' || (ARRAY['report', 'invoice', 'memo', 'draft'])[1 + i % 4],
       repeat(md5((i * 7)::text), 6)
FROM generate_series(1, :rows) AS i;
-- The autocomplete index: text_pattern_ops serves LIKE 'prefix%' in any collation.
CREATE INDEX docs_title_prefix ON docs (title text_pattern_ops);
VACUUM ANALYZE docs;

-- One row per event; inserted_at measures the end-to-end lag of the queue.
CREATE TABLE events (
    id          bigint PRIMARY KEY,
    user_id     int NOT NULL,
    kind        text NOT NULL,
    properties  jsonb NOT NULL,
    ts          timestamptz NOT NULL,
    inserted_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- The drain inserts as the table's owner, and never into a superuser's table.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_queue') THEN
        CREATE ROLE bench_queue;
    END IF;
END $$;
ALTER TABLE events OWNER TO bench_queue;
