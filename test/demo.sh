#!/usr/bin/env bash
# The main job, end to end: installs what is missing, builds and installs the
# extension, starts the local primary + standby + Redis with the extension
# preloaded and created, shows it working, and says how to connect.
# Leaves the cluster running; `make stop` ends it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export MQ_PRIMARY_PORT=${MQ_PRIMARY_PORT:-55432}
export MQ_STANDBY_PORT=${MQ_STANDBY_PORT:-55433}
export MQ_REDIS_PORT=${MQ_REDIS_PORT:-56379}
export MQ_CLUSTER_DIR=${MQ_CLUSTER_DIR:-/tmp/multiquery-cluster}

# MQ_DEMO_INSTALLED=1: the packages and the extension are installed already
# (the docs' test, test/t/500_docs_examples.pl, starts the demo this way).
if [ "${MQ_DEMO_INSTALLED:-0}" != 1 ]; then
    mq_step "checking Debian packages"
    bash "$MQ_ROOT/test/deps.sh"

    mq_step "building and installing the extension"
    mq_build_and_install
fi

mq_step "starting primary :$MQ_PRIMARY_PORT, standby :$MQ_STANDBY_PORT, redis :$MQ_REDIS_PORT"
bash "$MQ_ROOT/test/cluster.sh" start

user=$(mq_server_user)
primary() { psql -X -h 127.0.0.1 -p "$MQ_PRIMARY_PORT" -U "$user" -d postgres -v ON_ERROR_STOP=1 "$@"; }
standby() { psql -X -h 127.0.0.1 -p "$MQ_STANDBY_PORT" -U "$user" -d postgres -v ON_ERROR_STOP=1 "$@"; }

mq_step "creating the extension on the primary; the standby replays it"
primary -q -c "CREATE EXTENSION IF NOT EXISTS multiquery"
primary -At -c "SELECT 'primary: multiquery ' || multiquery.version() || ', in recovery: ' || pg_is_in_recovery()"
for _ in $(seq 50); do
    standby -At -c "SELECT 1 FROM pg_extension WHERE extname = 'multiquery'" | grep -q 1 && break
    sleep 0.1
done
standby -At -c "SELECT 'standby: multiquery ' || multiquery.version() || ', in recovery: ' || pg_is_in_recovery()"

mq_step "the roles and tables the docs' examples use (test/demo.sql)"
primary -q -f "$MQ_ROOT/test/demo.sql"

mq_step "racing reads: the primary and the standby race for the same read"
primary -q <<SQL
CREATE SERVER IF NOT EXISTS demo_primary FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port '$MQ_PRIMARY_PORT', dbname 'postgres');
CREATE SERVER IF NOT EXISTS demo_standby FOREIGN DATA WRAPPER multiquery
    OPTIONS (host '127.0.0.1', port '$MQ_STANDBY_PORT', dbname 'postgres');
CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER demo_primary;
CREATE USER MAPPING IF NOT EXISTS FOR CURRENT_USER SERVER demo_standby;
SQL
for _ in $(seq 50); do
    [ "$(standby -At -c "SELECT count(*) FROM docs" 2>/dev/null)" = 1000 ] && break
    sleep 0.1
done
# The query sleeps on the primary only, as a primary busy with batch work
# would: the standby's answer wins, and the primary's query is cancelled.
race='SELECT * FROM multiquery.race_query(
    '"'"'{demo_primary,demo_standby}'"'"',
    '"'"'SELECT id, title, pg_is_in_recovery() AS from_standby FROM docs
      WHERE id = $1 AND (pg_is_in_recovery() OR pg_sleep(0.3)::text IS NULL)'"'"',
    '"'"'{42}'"'"') AS t(id int, title text, from_standby boolean)'
echo "$race;"
primary -c "$race"
for _ in 1 2 3 4; do primary -q -At -c "$race" >/dev/null; done
primary -c "SELECT target, races, wins, cancels, errors, p50_ms FROM multiquery.race_stats ORDER BY target"

mq_step "the write queue: XADD to Redis, the worker drains it into a table"
# The drain inserts as the table's owner, and never into a superuser's table:
# the queue's tables belong to an ordinary role.
primary -q -c "DO \$\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'demo_app') THEN CREATE ROLE demo_app; END IF;
    END \$\$" \
    -c "CREATE TABLE IF NOT EXISTS demo_events
    (id bigserial PRIMARY KEY, user_id int, kind text, at timestamptz DEFAULT now())" \
    -c "ALTER TABLE demo_events OWNER TO demo_app"
for kind in signup click purchase; do
    echo "redis-cli XADD multiquery '*' table demo_events row '{\"user_id\": 7, \"kind\": \"$kind\"}'"
    redis-cli -h 127.0.0.1 -p "$MQ_REDIS_PORT" XADD multiquery '*' table demo_events \
        row "{\"user_id\": 7, \"kind\": \"$kind\"}" >/dev/null
done
for _ in $(seq 100); do
    [ "$(primary -At -c "SELECT count(*) >= 3 FROM demo_events")" = t ] && break
    sleep 0.1
done
primary -c "SELECT id, user_id, kind FROM demo_events ORDER BY id"
primary -c "SELECT stream, state, entries_applied, dead_letters, last_applied_id FROM multiquery.drain_status"

mq_step "the cluster is running"
cat <<TXT
  primary:  psql -h 127.0.0.1 -p $MQ_PRIMARY_PORT -U $user postgres
  standby:  psql -h 127.0.0.1 -p $MQ_STANDBY_PORT -U $user postgres
  redis:    redis-cli -p $MQ_REDIS_PORT
  stop it:  $(bash "$MQ_ROOT/test/cluster.sh" stop-command)
TXT
