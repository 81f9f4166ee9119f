# helpers.bash - shared set-up for the bats end-to-end tests. Each file gets
# its own throwaway cluster (setup_file) in a mktemp dir, removed on exit.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BIN=${PGW_BIN:-$ROOT/build}
source "$ROOT/tests/lib/pg.sh"
# a python3 with PyYAML (Debian's python3-yaml, installed by make deps)
PYTHON=python3
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import yaml' 2>/dev/null; then PYTHON=$p; break; fi
done

# Start a cluster for the whole file; its dir is in $PGW_CLUSTER.
cluster_up() {
	PGW_CLUSTER=$(mktemp -d "${TMPDIR:-/tmp}/pgw-bats-XXXXXX")
	export PGW_CLUSTER
	pg_setup "$PGW_CLUSTER" && pg_start "$PGW_CLUSTER"
}

cluster_down() {
	pg_teardown "$PGW_CLUSTER"
}

# A fresh backups dir and sidecar environment for one test.
backups_fresh() {
	BACKUPS=$(mktemp -d "${TMPDIR:-/tmp}/pgw-backups-XXXXXX")
	export BACKUPS PGWARDEN_BACKUP_DIR=$BACKUPS
	export PGWARDEN_REQUEST_SETTLE_MS=${PGWARDEN_REQUEST_SETTLE_MS:-200}
	export PGWARDEN_RESCAN_INTERVAL=${PGWARDEN_RESCAN_INTERVAL:-1}
	# no base backup at 05:00 UTC in the middle of a test that did not ask
	export PGWARDEN_BASE_BACKUP_SCHEDULE=${PGWARDEN_BASE_BACKUP_SCHEDULE:-off}
	pg_env "$PGW_CLUSTER"
	# a test that stopped the server must not break the next one
	[ -n "${PGW_NO_AUTOSTART:-}" ] || pg_sql "SELECT 1" >/dev/null 2>&1 || pg_start "$PGW_CLUSTER"
	PIDS=()
}

# start_sidecar NAME [args...]: runs build/pgwarden-NAME in the background,
# stderr in $BACKUPS/../NAME.stderr; the pid is in $SIDECAR_PID.
start_sidecar() {
	local name=$1
	shift
	"$BIN/pgwarden-$name" "$@" 2>>"$BACKUPS.$name.stderr" >/dev/null 3>&- &
	SIDECAR_PID=$!
	PIDS+=("$SIDECAR_PID")
	wait_for "grep -q 'started' '$BACKUPS.$name.stderr'" 10
}

# kill9_sidecar [PID]: SIGKILL a sidecar this test started (default the last
# one) and wait until it is gone, so its locks are free for the next start.
kill9_sidecar() {
	local p=${1:-$SIDECAR_PID}
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

stop_sidecars() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PIDS=()
}

# Everything a test started stops, even when the test failed half-way.
backups_cleanup() {
	stop_sidecars
	fake_stop
	rm -rf "$BACKUPS" "$BACKUPS".*.stderr "$BACKUPS".pg.log* "$BACKUPS".vg "$BACKUPS".argv* "$BACKUPS".boot
}

# wait_for CMD SECONDS: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local cmd=$1 limit=$2 i
	for ((i = 0; i < limit * 10; i++)); do
		eval "$cmd" && return 0
		sleep 0.1
	done
	echo "timed out after ${limit}s waiting for: $cmd" >&2
	return 1
}

count_files() {
	local n
	n=$(find "$1" -maxdepth 1 -name "$2" | wc -l)
	echo "$n"
}

# A local stand-in for the Telegram API / webhook receivers
# (tests/lib/fake_http.py): its dir is $FAKE, its port $FAKE_PORT.
# fake_start [PORT]: a free port unless given (a restart keeps $FAKE).
fake_start() {
	[ -n "${FAKE:-}" ] && [ -d "$FAKE" ] || FAKE=$(mktemp -d "${TMPDIR:-/tmp}/pgw-fake-XXXXXX")
	rm -f "$FAKE/port"
	"$PYTHON" "$ROOT/tests/lib/fake_http.py" "$FAKE" ${1:-} 2>>"$FAKE/stderr" >/dev/null 3>&- &
	FAKE_PID=$!
	wait_for "[ -s '$FAKE/port' ]" 10
	FAKE_PORT=$(cat "$FAKE/port")
}

# fake_stop [keep]: stop the receiver; its dir is removed unless "keep".
fake_stop() {
	[ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null
	[ -n "${FAKE_PID:-}" ] && wait "$FAKE_PID" 2>/dev/null || true
	FAKE_PID=
	[ "${1:-}" = keep ] || { rm -rf "${FAKE:-}"; FAKE=; }
}

# Requests the receiver got: how many, and the Nth as JSON.
nreq() { [ -f "$FAKE/requests.jsonl" ] && wc -l <"$FAKE/requests.jsonl" || echo 0; }
req() { sed -n "${1}p" "$FAKE/requests.jsonl"; }

# hold_lock DB TABLE: a session of this test's holding ACCESS EXCLUSIVE on
# TABLE for up to 10 minutes; its psql is in $HOLDER_PID (and PIDS, so the
# test's cleanup ends it). Returns once the lock is granted.
hold_lock() {
	# the server ends the session within a second of its psql's end
	PGDATABASE=$1 "$PG_BINDIR/psql" -X -q -c "SET client_connection_check_interval = '1s'; BEGIN; LOCK TABLE $2 IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600); COMMIT;" >/dev/null 2>&1 3>&- &
	HOLDER_PID=$!
	PIDS+=("$HOLDER_PID")
	wait_for "[ \"\$(PGDATABASE=$1 pg_sql \"SELECT count(*) FROM pg_locks WHERE relation = to_regclass('$2') AND mode = 'AccessExclusiveLock' AND granted\" 2>/dev/null)\" = 1 ]" 20
}

# release_lock DB TABLE: end hold_lock's psql and wait for the lock to go
release_lock() {
	kill "$HOLDER_PID" 2>/dev/null || true
	wait "$HOLDER_PID" 2>/dev/null || true
	wait_for "[ \"\$(PGDATABASE=$1 pg_sql \"SELECT count(*) FROM pg_locks WHERE relation = to_regclass('$2') AND mode = 'AccessExclusiveLock'\" 2>/dev/null)\" = 0 ]" 20
}

# pg_dump of a backup of this test's waits on a lock
dump_waits_on_lock() {
	[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgwarden-backup-%' AND wait_event_type = 'Lock'" 2>/dev/null)" -ge 1 ]
}
