-- Racing foreign tables: a race group of two servers that both point back at
-- this database, so that every raced read can be compared with a direct one.
SET multiquery.target_backoff = 0;
SELECT current_setting('port') AS port, current_database() AS db \gset
CREATE SERVER raced_a FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'port', dbname :'db', application_name 'raced_a');
CREATE SERVER raced_b FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'port', dbname :'db', application_name 'raced_b');
CREATE SERVER raced_group FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'raced_a, raced_b');
CREATE USER MAPPING FOR CURRENT_USER SERVER raced_a;
CREATE USER MAPPING FOR CURRENT_USER SERVER raced_b;

CREATE SCHEMA raced_src;
CREATE TABLE raced_src.docs (id int PRIMARY KEY, title text, kind text, score numeric);
INSERT INTO raced_src.docs
    SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'doc ' || g END,
           (ARRAY['a', 'b', 'c'])[g % 3 + 1], g / 7.0
    FROM generate_series(1, 2000) g;
CREATE INDEX ON raced_src.docs (title text_pattern_ops);
CREATE TABLE raced_src."Tags" ("Doc" int, "Label" text);
INSERT INTO raced_src."Tags" SELECT g % 50 + 1, 'tag ' || g FROM generate_series(1, 200) g;

CREATE SCHEMA raced;
CREATE FOREIGN TABLE raced.docs (id int, title text, kind text, score numeric)
    SERVER raced_group OPTIONS (schema_name 'raced_src', table_name 'docs');
-- Names mapped: another table name, other column names, quoting kept.
CREATE FOREIGN TABLE raced.tags (doc_id int OPTIONS (column_name 'Doc'),
                                 label text OPTIONS (column_name 'Label'))
    SERVER raced_group OPTIONS (schema_name 'raced_src', table_name 'Tags');
-- A single multiquery server: a race of one.
CREATE FOREIGN TABLE raced.docs_a (id int, title text) SERVER raced_a
    OPTIONS (schema_name 'raced_src', table_name 'docs');

-- Rows equal a direct read, for several shapes of WHERE.
CREATE FUNCTION raced_same(query text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    raced bigint;
    direct bigint;
    differ bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM (%s) q', query) INTO raced;
    EXECUTE format('SELECT count(*) FROM (%s) q', replace(query, 'raced.docs', 'raced_src.docs'))
        INTO direct;
    EXECUTE format('SELECT count(*) FROM ((%1$s) EXCEPT ALL (%2$s)) q',
                   query, replace(query, 'raced.docs', 'raced_src.docs')) INTO differ;
    RETURN raced = direct AND differ = 0 AND raced > 0;
END $$;
SELECT raced_same('SELECT * FROM raced.docs');
SELECT raced_same('SELECT id, title FROM raced.docs WHERE id = 42');
SELECT raced_same('SELECT * FROM raced.docs WHERE id IN (1, 2, 3, 2000)');
SELECT raced_same('SELECT * FROM raced.docs WHERE id = ANY (ARRAY[5, 6])');
SELECT raced_same('SELECT id FROM raced.docs WHERE title IS NULL');
SELECT raced_same('SELECT id FROM raced.docs WHERE title IS NOT NULL AND kind <> ''a''');
SELECT raced_same('SELECT id FROM raced.docs WHERE id < 10 OR NOT (kind = ''b'' OR id > 20)');
SELECT raced_same('SELECT id, title FROM raced.docs WHERE title LIKE ''doc 12%''');
SELECT raced_same('SELECT score FROM raced.docs WHERE score > 100.5 AND id % 3 = 0');
SELECT raced_same('SELECT kind, count(*) FROM raced.docs GROUP BY kind');
SELECT * FROM raced.docs WHERE id = 42;
SELECT * FROM raced.docs WHERE title = 'doc 7; DROP TABLE raced_src.docs';
SELECT doc_id, label FROM raced.tags WHERE doc_id = 3 ORDER BY label;
SELECT * FROM raced.docs_a WHERE id BETWEEN 9 AND 11;

-- Whole rows and system columns: every column is fetched.
SELECT d FROM raced.docs d WHERE id = 3;
SELECT tableoid::regclass, id FROM raced.docs WHERE id = 3;
SELECT count(*) FROM raced.docs;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM raced.docs;

-- The user mapping is that of the role the scan is checked as: a view's
-- owner, else the current user.
CREATE ROLE raced_reader;
GRANT USAGE ON SCHEMA raced TO raced_reader;
GRANT SELECT ON raced.docs TO raced_reader;
CREATE VIEW raced_view AS SELECT id, title FROM raced.docs WHERE id < 3;
GRANT SELECT ON raced_view TO raced_reader;
SET ROLE raced_reader;
SELECT id, title FROM raced.docs WHERE id = 1;
SELECT id, title FROM raced_view ORDER BY id;
RESET ROLE;
DROP VIEW raced_view;
REVOKE ALL ON raced.docs FROM raced_reader;
REVOKE ALL ON SCHEMA raced FROM raced_reader;
DROP ROLE raced_reader;

-- What goes to the remote side.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, title FROM raced.docs WHERE id = 42;
EXPLAIN (COSTS OFF) SELECT id, title FROM raced.docs WHERE id = 42;
EXPLAIN (COSTS OFF) SELECT id FROM raced.docs_a;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM raced.docs WHERE id IN (1, 2, 3);
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM raced.docs WHERE title IS NULL AND kind IS NOT NULL;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM raced.docs WHERE id < 10 OR NOT (kind = 'b');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM raced.docs WHERE title = 'it''s \';
-- Not shippable, evaluated locally: a volatile function, a function of ours.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM raced.docs WHERE id < 10 AND score > random();
CREATE FUNCTION raced_local(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS 'BEGIN RETURN $1 + 1; END';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM raced.docs WHERE raced_local(id) = 6 AND kind = 'c';
SELECT id FROM raced.docs WHERE raced_local(id) = 6 AND kind = 'c';
-- A collation other than the column's stays local.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM raced.docs WHERE title < 'doc 2' COLLATE "C" AND id < 5;
-- Mapped names, quoted where they must be.
EXPLAIN (VERBOSE, COSTS OFF) SELECT label FROM raced.tags WHERE doc_id = 3;

-- ORDER BY, LIMIT and OFFSET go to the remote side in one query.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, title FROM raced.docs WHERE title LIKE 'doc 12%' ORDER BY title LIMIT 10;
SELECT id, title FROM raced.docs WHERE title LIKE 'doc 12%' ORDER BY title LIMIT 10;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM raced.docs ORDER BY id DESC LIMIT 3 OFFSET 2;
SELECT id FROM raced.docs ORDER BY id DESC LIMIT 3 OFFSET 2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, title FROM raced.docs ORDER BY title NULLS FIRST, id LIMIT 2;
SELECT id, title FROM raced.docs ORDER BY title NULLS FIRST, id LIMIT 2;
-- A local condition keeps the LIMIT local.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM raced.docs WHERE score > random() ORDER BY id LIMIT 1;

-- Joins, executed locally: a few local rows join by key through remote
-- lookups (a parameterized nested loop), not a fetch of the whole table.
ANALYZE raced.docs;
SELECT reltuples FROM pg_class WHERE oid = 'raced.docs'::regclass;
CREATE TABLE raced_wanted (doc int);
INSERT INTO raced_wanted VALUES (7), (700), (1999);
ANALYZE raced_wanted;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT w.doc, d.title FROM raced_wanted w JOIN raced.docs d ON d.id = w.doc;
SELECT w.doc, d.title FROM raced_wanted w JOIN raced.docs d ON d.id = w.doc ORDER BY w.doc;
-- One remote read per outer row: three key lookups, not one fetch of every
-- row. The first races both targets; the other two read the snapshot of
-- the one that answered (one snapshot per statement): four remote reads
-- whichever target wins.
SELECT sum(races) AS races_before FROM multiquery.race_stats
    WHERE target IN ('raced_a', 'raced_b') \gset
SELECT count(d.title) FROM raced_wanted w JOIN raced.docs d ON d.id = w.doc;
SELECT sum(races) - :races_before AS remote_reads FROM multiquery.race_stats
    WHERE target IN ('raced_a', 'raced_b');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT w.doc, d.title FROM raced_wanted w LEFT JOIN raced.docs d ON d.id = w.doc + 1000;
SELECT w.doc, d.title FROM raced_wanted w LEFT JOIN raced.docs d ON d.id = w.doc + 1000
    ORDER BY w.doc;
-- A rescan with the same parameters replays the stored rows: the inner
-- scan of this nested loop (its join condition cannot go remote) races once.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM raced_wanted w JOIN raced.docs d ON raced_local(d.id) = w.doc + 1;
SELECT races AS races_before FROM multiquery.race_stats WHERE target = 'raced_a' \gset
SELECT count(*) FROM raced_wanted w JOIN raced.docs d ON raced_local(d.id) = w.doc + 1;
SELECT races - :races_before AS races FROM multiquery.race_stats WHERE target = 'raced_a';
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
-- Between two raced tables of one race group: joined and sorted remotely.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT d.id, d.title, t.label FROM raced.docs d JOIN raced.tags t ON t.doc_id = d.id
    WHERE d.id < 3 ORDER BY t.label;
SELECT d.id, d.title, t.label FROM raced.docs d JOIN raced.tags t ON t.doc_id = d.id
    WHERE d.id < 3 ORDER BY t.label;

-- Prepared statements with generic plans: the parameter goes as $1.
SET plan_cache_mode = force_generic_plan;
PREPARE raced_by_id(int) AS SELECT id, title FROM raced.docs WHERE id = $1;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE raced_by_id(5);
EXECUTE raced_by_id(5);
EXECUTE raced_by_id(6);
PREPARE raced_page(text, int) AS
    SELECT id, title FROM raced.docs WHERE title LIKE $1 ORDER BY title LIMIT $2;
EXECUTE raced_page('doc 19%', 3);
RESET plan_cache_mode;

-- The race's policies apply: a remote query that does not answer in time
-- ends by statement_timeout or multiquery.race_timeout, and min_lsn waits for
-- a target that has replayed it (none here: no answer counts).
CREATE VIEW raced_src.slow AS SELECT pg_sleep(30)::text AS x;
CREATE FOREIGN TABLE raced.slow (x text) SERVER raced_group
    OPTIONS (schema_name 'raced_src', table_name 'slow');
\set VERBOSITY terse
SET statement_timeout = '300ms';
SELECT * FROM raced.slow;
RESET statement_timeout;
SET multiquery.race_timeout = 300;
SELECT * FROM raced.slow;
SET multiquery.min_lsn = 'FFFFFFF/0';
SELECT id FROM raced.docs WHERE id = 1;
RESET multiquery.min_lsn;
RESET multiquery.race_timeout;
\set VERBOSITY default
SELECT id FROM raced.docs WHERE id = 1;

-- A remote error names the remote query.
CREATE FOREIGN TABLE raced.missing (id int) SERVER raced_a
    OPTIONS (schema_name 'raced_src', table_name 'missing');
SELECT id FROM raced.missing WHERE id = 1;

-- Both members take part and count in race_stats.
SELECT target, races > 0 AS raced FROM multiquery.race_stats
    WHERE target IN ('raced_a', 'raced_b') ORDER BY target;
-- race_query takes the group's name.
SELECT * FROM multiquery.race_query('{raced_group}',
    'SELECT title FROM raced_src.docs WHERE id = 11') AS t(title text);
-- The remote side is read-only: writes are not sent.
SELECT count(*) FROM raced.docs WHERE id > 0;

DROP FUNCTION raced_same(text);
DROP FUNCTION raced_local(int);
DROP TABLE raced_wanted;
DROP SCHEMA raced CASCADE;
DROP SCHEMA raced_src CASCADE;
DROP USER MAPPING FOR CURRENT_USER SERVER raced_a;
DROP USER MAPPING FOR CURRENT_USER SERVER raced_b;
DROP SERVER raced_group;
DROP SERVER raced_a;
DROP SERVER raced_b;
