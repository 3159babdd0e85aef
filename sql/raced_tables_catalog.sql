-- Raced foreign tables and the catalog: IMPORT FOREIGN SCHEMA reads the
-- remote catalog through a race (here the targets point back at this
-- database), and writes of every kind are refused with a reason.
SELECT current_setting('port') AS port, current_database() AS db \gset
CREATE SERVER catalog_self FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'port', dbname :'db');
CREATE USER MAPPING FOR CURRENT_USER SERVER catalog_self;
CREATE SERVER catalog_reads FOREIGN DATA WRAPPER multiquery OPTIONS (targets 'catalog_self');

CREATE SCHEMA catalog_src;
CREATE TYPE catalog_src.mood AS ENUM ('ok', 'sad');
CREATE TABLE catalog_src.docs (id int PRIMARY KEY, "Title" varchar(20) NOT NULL,
    gone text, m catalog_src.mood, moods catalog_src.mood[], body text);
ALTER TABLE catalog_src.docs DROP COLUMN gone;
INSERT INTO catalog_src.docs VALUES (1, 'one', 'ok', '{sad}', 'b1'), (2, 'two', NULL, NULL, NULL);
CREATE VIEW catalog_src.doc_titles AS SELECT id, "Title" FROM catalog_src.docs;
CREATE MATERIALIZED VIEW catalog_src.doc_count AS SELECT count(*) AS n FROM catalog_src.docs;
CREATE TABLE catalog_src."Odd name" ();
CREATE TABLE catalog_src.parted (k int) PARTITION BY RANGE (k);
CREATE TABLE catalog_src.parted_1 PARTITION OF catalog_src.parted FOR VALUES FROM (0) TO (10);
CREATE SEQUENCE catalog_src.not_a_table;
CREATE SCHEMA catalog_empty;

-- Tables, views, materialized views and partitioned tables (not their
-- partitions, not sequences), with their columns' types and NOT NULL.
CREATE SCHEMA raced;
IMPORT FOREIGN SCHEMA catalog_src FROM SERVER catalog_reads INTO raced;
\det+ raced.*
\d raced.docs
SELECT * FROM raced.docs ORDER BY id;
SELECT * FROM raced.doc_count;
-- LIMIT TO and EXCEPT, through a single target as well as a group.
CREATE SCHEMA raced_some;
-- A name the remote catalog lacks is an error, not a table silently left out.
IMPORT FOREIGN SCHEMA catalog_src LIMIT TO (doc_titles, "Odd name", no_such_table)
    FROM SERVER catalog_self INTO raced_some;
IMPORT FOREIGN SCHEMA catalog_src LIMIT TO (doc_titles, "Odd name")
    FROM SERVER catalog_self INTO raced_some;
\det raced_some.*
CREATE SCHEMA raced_rest;
IMPORT FOREIGN SCHEMA catalog_src EXCEPT (doc_titles, "Odd name")
    FROM SERVER catalog_reads INTO raced_rest;
\det raced_rest.*
-- An empty schema imports nothing; a missing one is an error.
IMPORT FOREIGN SCHEMA catalog_empty FROM SERVER catalog_reads INTO raced_rest;
IMPORT FOREIGN SCHEMA catalog_missing FROM SERVER catalog_reads INTO raced_rest;

-- Racing is for reads.
INSERT INTO raced.docs (id, "Title") VALUES (3, 'three');
UPDATE raced.docs SET body = 'x' WHERE id = 1;
DELETE FROM raced.docs WHERE id = 1;
TRUNCATE raced.docs;
COPY raced.docs FROM stdin;
\.
SELECT table_name, is_insertable_into FROM information_schema.tables
    WHERE table_schema = 'raced' ORDER BY table_name;
SELECT count(*) FROM catalog_src.docs;

-- A raced table whose remote relation is the table itself (schema_name left
-- to default to its own schema, the targets being this very database) is
-- refused by the remote session, not raced again level after level; so is
-- race_query inside a race.
CREATE FOREIGN TABLE catalog_loop (id int) SERVER catalog_reads;
SELECT * FROM catalog_loop;
SELECT * FROM multiquery.race_query('{catalog_reads}',
    $$SELECT * FROM multiquery.race_query('{catalog_reads}', 'SELECT 1') AS t(x int)$$) AS t(x int);
SELECT count(*) FROM pg_stat_activity WHERE application_name = 'multiquery';
DROP FOREIGN TABLE catalog_loop;

SET client_min_messages = warning;
DROP SCHEMA raced, raced_some, raced_rest CASCADE;
DROP SCHEMA catalog_src, catalog_empty CASCADE;
DROP SERVER catalog_reads;
DROP USER MAPPING FOR CURRENT_USER SERVER catalog_self;
DROP SERVER catalog_self;
