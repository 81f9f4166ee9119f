#!/usr/bin/env bash
# make run: the whole pgwarden pod on this machine, no Kubernetes. A local
# PostgreSQL (data checksums, unix socket only) supervised by pgwarden-db,
# a demo schema, a backups directory, and the three sidecars. Ctrl-C stops
# everything. State lives in ./run/ (kept between runs: delete it to start
# from scratch).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${PGWARDEN_RUN_DIR:-$ROOT/run}
BIN=$ROOT/build
source "$ROOT/tests/lib/pg.sh"

mkdir -p "$RUN"
[ "$(id -u)" = 0 ] && chown postgres: "$RUN" && chmod 755 "$RUN"
mkdir -p "$RUN/backups" && chmod 700 "$RUN/backups"

export PGWARDEN_BACKUP_DIR=$RUN/backups
export PGWARDEN_INIT_DIR=$ROOT/config/init
export PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations
export PGWARDEN_DATABASE=app
export PGWARDEN_SERVER_LOG=$RUN/postgres.log
export PGWARDEN_PGDATA=$RUN/data
export HEALTH_CHECK_INTERVAL=${HEALTH_CHECK_INTERVAL:-10}
pg_env "$RUN"

pids=()
stop_all() {
	trap - INT TERM EXIT
	echo
	echo "stopping pgwarden..."
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	echo "stopped; state kept in $RUN"
}
trap stop_all INT TERM EXIT

if [ ! -f "$RUN/data/PG_VERSION" ]; then
	echo "creating a PostgreSQL cluster in $RUN/data"
	pg_setup "$RUN" >/dev/null
fi
# the db container's entrypoint: supervises postgres, honours request-reinit
if [ "$(id -u)" = 0 ]; then
	chown postgres: "$RUN/backups"
	runuser -u postgres --preserve-environment -- "$BIN/pgwarden-db" &
else
	"$BIN/pgwarden-db" &
fi
pids+=($!)
for _ in $(seq 1 100); do pg_sql "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
if ! pg_sql "SELECT 1 FROM pg_database WHERE datname = 'app'" | grep -q 1; then
	pg_sql "CREATE DATABASE app"
	"$BIN/pgwarden" migrate --init
	PGDATABASE=app pg_sql "INSERT INTO app.customers(name) SELECT 'customer ' || g FROM generate_series(1, 1000) g"
fi

for s in monitor backupper restorer; do
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres --preserve-environment -- "$BIN/pgwarden-$s" &
	else
		"$BIN/pgwarden-$s" &
	fi
	pids+=($!)
done

# what the CLI needs to see this system, in one file to source
cat >"$RUN/env" <<ENV
# source this file to use the pgwarden CLI on the system 'make run' started
export PGWARDEN_BACKUP_DIR=$RUN/backups PGWARDEN_DATABASE=app
export PGWARDEN_INIT_DIR=$ROOT/config/init PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations
export PGWARDEN_PGDATA=$RUN/data PGWARDEN_SERVER_LOG=$RUN/postgres.log
export PGHOST=$RUN/sock PGPORT=5432 PGUSER=postgres
export PATH=$BIN:\$PATH
ENV

cat <<INFO

pgwarden is running locally.
  PostgreSQL   unix socket only (no TCP): $RUN/sock, database 'app'
  server log   $RUN/postgres.log
  backups      $RUN/backups   (logs: backup.log health-monitor.log recovery.log ...)
  the CLI      source $RUN/env    # then, in that shell:
               pgwarden status                     # the whole system
               touch \$PGWARDEN_BACKUP_DIR/request-backup    # a backup now
               pgwarden restore --dry-run          # what a recovery would do
               psql app                            # the demo database
Press Ctrl-C to stop everything.
INFO
wait "${pids[@]}" || true
