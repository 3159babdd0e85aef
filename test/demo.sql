-- The roles and tables the examples of README.md and docs/*.md use, made by
-- test/demo.sh on the demo cluster's primary (database postgres), so that
-- every example runs there as written. app_reader's password is the
-- examples' own placeholder, '...': their user mappings then log in as
-- written (test/cluster.sh makes app_role and app_reader log in with a
-- password, as a non-superuser's user mapping must).
CREATE ROLE app_role LOGIN PASSWORD '...';        -- the application
CREATE ROLE app_reader LOGIN PASSWORD '...';      -- what its user mappings log in as
CREATE ROLE dashboard;                            -- a reader that tolerates stale rows
CREATE ROLE monitoring;                           -- reads the statistics
CREATE ROLE queue_writer;                         -- a drain_role

CREATE TABLE docs (id int PRIMARY KEY, title text);
INSERT INTO docs SELECT g, 'document ' || g FROM generate_series(1, 1000) g;
CREATE VIEW doc_titles AS SELECT id, title FROM docs;
CREATE TABLE users (id int PRIMARY KEY, full_name text);
INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 100) g;
CREATE TABLE settings (user_id int, key text, value text, PRIMARY KEY (user_id, key));
INSERT INTO settings VALUES (7, 'theme', 'dark'), (7, 'language', 'en');
CREATE TABLE audit_log (at timestamptz DEFAULT now(), what text);
GRANT SELECT ON docs, doc_titles, users, settings TO app_reader;

-- The write queue's table, app_events, is created by the examples
-- themselves: they show it given to an ordinary role, as the drain requires.
