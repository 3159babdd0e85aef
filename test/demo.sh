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

mq_step "checking Debian packages"
bash "$MQ_ROOT/test/deps.sh"

mq_step "building and installing the extension"
mq_build_and_install

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

mq_step "the cluster is running"
cat <<TXT
  primary:  psql -h 127.0.0.1 -p $MQ_PRIMARY_PORT -U $user postgres
  standby:  psql -h 127.0.0.1 -p $MQ_STANDBY_PORT -U $user postgres
  redis:    redis-cli -p $MQ_REDIS_PORT
  stop it:  make stop
TXT
