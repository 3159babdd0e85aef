-- Raced foreign tables against hostile names and values: identifiers from
-- table, schema and column options and constants in pushed-down conditions
-- are quoted, so a name or value is never SQL on the remote side.
SELECT current_setting('port') AS port, current_database() AS db \gset
CREATE SERVER quoting_self FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port :'port', dbname :'db');
CREATE USER MAPPING FOR CURRENT_USER SERVER quoting_self;
CREATE SCHEMA "we""ird schema";
CREATE TABLE "we""ird schema"."docs; DROP TABLE quoting_canary; --" (
    "id" int PRIMARY KEY, "ti""tle" text, "Body" text);
INSERT INTO "we""ird schema"."docs; DROP TABLE quoting_canary; --" VALUES
    (1, 'it''s', 'back\slash'), (2, '50% off', E'tab\there'), (3, NULL, 'x');
CREATE TABLE quoting_canary (alive bool);
INSERT INTO quoting_canary VALUES (true);

CREATE FOREIGN TABLE quoting_docs (id int, title text OPTIONS (column_name 'ti"tle'),
    body text OPTIONS (column_name 'Body'))
    SERVER quoting_self
    OPTIONS (schema_name 'we"ird schema', table_name 'docs; DROP TABLE quoting_canary; --');
SELECT * FROM quoting_docs ORDER BY id;
SELECT id FROM quoting_docs WHERE title = 'it''s';
SELECT id FROM quoting_docs WHERE body = 'back\slash';
SELECT id FROM quoting_docs WHERE body = E'tab\there';
SELECT id FROM quoting_docs WHERE title LIKE '50\% %';
SELECT id FROM quoting_docs WHERE title = $$'; DROP TABLE quoting_canary; --$$;
SELECT id FROM quoting_docs WHERE title IN ('it''s', 'x"y') ORDER BY id;
SELECT * FROM quoting_canary;
-- What went to the remote side: quoted names, escaped constants.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM quoting_docs WHERE title = 'it''s' AND body = 'back\slash' AND body <> $$a"b$$;

SET client_min_messages = warning;
DROP FOREIGN TABLE quoting_docs;
DROP TABLE quoting_canary;
DROP SCHEMA "we""ird schema" CASCADE;
DROP USER MAPPING FOR CURRENT_USER SERVER quoting_self;
DROP SERVER quoting_self;
