#!/usr/bin/env bats
# The db container's supervisor (pgwarden-db): a crashed server is restarted
# without any restore; a server that cannot start is re-initialised (data
# directory moved aside, never deleted) and the restorer brings the data back.

load helpers

setup() {
	PGW_CLUSTER=$(mktemp -d "${TMPDIR:-/tmp}/pgw-bats-XXXXXX")
	pg_setup "$PGW_CLUSTER" >/dev/null
	PGW_NO_AUTOSTART=1 backups_fresh
	chown postgres "$BACKUPS"
	export PGWARDEN_BACKUP_SCHEDULE=off PGWARDEN_DATABASE=app PGWARDEN_BACKUP_DATABASES=app
	export PGWARDEN_PGDATA=$PGW_CLUSTER/data PGWARDEN_SERVER_WAIT=60 PGWARDEN_HANG_TIMEOUT=5
	export PGWARDEN_INITDB_OPTIONS="--data-checksums -U postgres -A trust -E UTF8 --locale=C.UTF-8"
	runuser -u postgres --preserve-environment -- "$BIN/pgwarden-db" 2>>"$BACKUPS.db.stderr" >/dev/null 3>&- &
	PIDS+=($!)
	wait_for "pg_sql 'SELECT 1' >/dev/null 2>&1" 30
	# the server answers a moment before pgwarden-db sees it serve (longer
	# with the sanitizer build): a fault before that is a failed start
	wait_for "grep -q 'postgres is accepting connections' $BACKUPS/db-supervisor.log" 30
	pg_sql "CREATE DATABASE app"
	PGDATABASE=app pg_sql "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 10000) g"
	pg_sql "CREATE ROLE app_reader LOGIN"
	PGDATABASE=app pg_sql "GRANT SELECT ON t TO app_reader"
}

teardown() {
	stop_sidecars
	! mountpoint -q "$BACKUPS.space" || umount "$BACKUPS.space"
	rm -rf "$BACKUPS.space"
	backups_cleanup
	pg_teardown "$PGW_CLUSTER"
	rm -rf "$PGW_CLUSTER".damaged-* 2>/dev/null || true
}

postmaster_pid() { head -1 "$PGW_CLUSTER/data/postmaster.pid"; }

# In a pod every pgwarden container runs as the same user (files are 0600);
# here that user is postgres, as the server must not run as root.
start_as_postgres() {
	local name=$1
	runuser -u postgres --preserve-environment -- "$BIN/pgwarden-$name" 2>>"$BACKUPS.$name.stderr" >/dev/null 3>&- &
	SIDECAR_PID=$!
	PIDS+=("$SIDECAR_PID")
	wait_for "grep -q started $BACKUPS.$name.stderr" 10
}

@test "kill -9 of the server: pgwarden-db restarts it, crash recovery, data intact, no restore" {
	start_as_postgres restorer
	HEALTH_CHECK_INTERVAL=1 start_as_postgres monitor
	old=$(postmaster_pid)
	kill -9 "$old"
	wait_for "[ -f $PGW_CLUSTER/data/postmaster.pid ] && [ \"\$(head -1 $PGW_CLUSTER/data/postmaster.pid)\" != $old ] && pg_sql 'SELECT 1' >/dev/null 2>&1" 30
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM t')" = 10000 ]
	wait_for "grep -q 'postgres was killed by signal 9' $BACKUPS/db-supervisor.log" 10 || { cat $BACKUPS/db-supervisor.log $BACKUPS.db.stderr; false; }
	grep -q "restarts = 1" "$BACKUPS/server.status"
	sleep 4 # several more checks
	grep -q "health = healthy" "$BACKUPS/monitor.status"
	[ -z "$(ls "$BACKUPS"/alert-*recovery* 2>/dev/null)" ]
	[ ! -e "$BACKUPS/request-restore" ]
}

@test "a data directory that cannot start: re-init moves it aside, restorer restores globals and data" {
	runuser -u postgres --preserve-environment -- "$BIN/pgwarden-backupper" --once 2>/dev/null
	start_as_postgres restorer
	old_id=$(pg_sql "SELECT system_identifier FROM pg_control_system()")
	seg=$(pg_sql "SELECT pg_walfile_name(pg_current_wal_lsn())")
	pg_sql "SELECT pg_switch_wal()" >/dev/null
	wait_for "[ -f $BACKUPS/wal/$old_id/$seg.gz ]" 30
	# destroy the control file, then crash the server: it can never start again
	dd if=/dev/urandom of="$PGW_CLUSTER/data/global/pg_control" bs=512 count=1 conv=notrunc status=none
	kill -9 "$(postmaster_pid)"
	wait_for "grep -q 'state = failed' $BACKUPS/server.status" 60
	runuser -u postgres -- touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 120
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM t')" = 10000 ]
	[ "$(pg_sql "SELECT count(*) FROM pg_roles WHERE rolname = 'app_reader'")" = 1 ]
	aside=$(ls -d "$PGW_CLUSTER"/data.damaged-*)
	[ -f "$aside/PG_VERSION" ]
	[ "$(pg_sql 'SHOW data_checksums')" = on ]
	ls "$BACKUPS"/alert-*-WARNING-cluster-reinit
	# the new cluster starts its segment names again: it archives apart
	new_id=$(pg_sql "SELECT system_identifier FROM pg_control_system()")
	[ "$old_id" != "$new_id" ]
	seg=$(pg_sql "SELECT pg_walfile_name(pg_current_wal_lsn())")
	pg_sql "SELECT pg_switch_wal()" >/dev/null
	wait_for "[ -f $BACKUPS/wal/$new_id/$seg.gz ]" 30
	[ "$(pg_sql 'SELECT failed_count FROM pg_stat_archiver')" = 0 ]
}

@test "re-init with an extension that needs its restore procedure (pgw_tsdemo): every row and catalog row comes back" {
	ext_install pgw_tsdemo
	PGDATABASE=app pg_sql "CREATE EXTENSION pgw_tsdemo; CREATE TABLE m (v int); SELECT pgw_tsdemo_create_hypertable('m'); INSERT INTO m SELECT generate_series(1, 3000)"
	runuser -u postgres --preserve-environment -- "$BIN/pgwarden-backupper" --once 2>/dev/null
	PGWARDEN_RESTORE_PROCEDURES=pgw_tsdemo start_as_postgres restorer
	dd if=/dev/urandom of="$PGW_CLUSTER/data/global/pg_control" bs=512 count=1 conv=notrunc status=none
	kill -9 "$(postmaster_pid)"
	wait_for "grep -q 'state = failed' $BACKUPS/server.status" 60
	runuser -u postgres -- touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 120
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM m')" = 3000 ]
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM pgw_tsdemo_catalog')" = 1 ]
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM t')" = 10000 ]
	grep -q 'restore procedure begun' "$BACKUPS/recovery.log"
	ext_uninstall pgw_tsdemo
}

@test "garbage in request-reinit, or a re-init of a serving cluster without force: refused, PGDATA untouched, no raw bytes in the alert" {
	head -c 300 /dev/urandom >"$BACKUPS/.g"
	chown postgres "$BACKUPS/.g"
	mv "$BACKUPS/.g" "$BACKUPS/request-reinit"
	wait_for "ls $BACKUPS/alert-*-ERROR-request-rejected" 20
	grep -q 'request holds binary data' "$BACKUPS"/alert-*-ERROR-request-rejected
	# the alert is text: nothing of the random bytes in it
	! grep -qP '[\x00-\x08\x0e-\x1f\x7f]' "$BACKUPS"/alert-*-ERROR-request-rejected
	runuser -u postgres -- sh -c "printf 'reason=by hand\n' >'$BACKUPS/request-reinit'"
	wait_for "ls $BACKUPS/alert-*-ERROR-reinit-refused" 20
	[ ! -e "$BACKUPS/request-reinit" ]
	[ -z "$(ls -d "$PGW_CLUSTER"/data.damaged-* 2>/dev/null)" ]
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM t')" = 10000 ]
	! ls "$BACKUPS"/alert-*cluster-reinit* 2>/dev/null
}

@test "pgwarden reinit --force: refused without the typed confirmation; confirmed, a serving cluster is re-initialised, PGDATA kept aside" {
	cli() { runuser -u postgres --preserve-environment -- "$BIN/pgwarden" "$@"; }
	run cli reinit --force <<<"yes"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not confirmed; nothing was requested"* ]]
	[ ! -e "$BACKUPS/request-reinit" ]
	run cli reinit --yes
	[ "$status" -eq 3 ]
	run cli reinit --force --reason 'drill of the runbook' <<<"reinit $PGW_CLUSTER/data"
	[ "$status" -eq 0 ]
	wait_for "ls $BACKUPS/alert-*-WARNING-cluster-reinit" 60
	ls -d "$PGW_CLUSTER"/data.damaged-* "$PGW_CLUSTER".damaged-* 2>/dev/null | grep -q .
	grep -q 'drill of the runbook' "$BACKUPS"/alert-*-WARNING-cluster-reinit
	wait_for "pg_sql 'SELECT 1' >/dev/null 2>&1" 60
	[ -z "$(pg_sql "SELECT datname FROM pg_database WHERE datname = 'app'")" ]
}

# served_again OLD_PID: a new postmaster answers queries
served_again() {
	[ -f "$PGW_CLUSTER/data/postmaster.pid" ] && [ "$(postmaster_pid)" != "$1" ] &&
		PGCONNECT_TIMEOUT=2 pg_sql 'SELECT 1' >/dev/null 2>&1
}

@test "a hung server (SIGSTOP of the postmaster): pgwarden-db restarts it after hang_timeout, WARNING server-hung, data intact, no restore" {
	start_as_postgres restorer
	old=$(postmaster_pid)
	t0=$(date +%s%N)
	kill -STOP "$old"
	wait_for "served_again $old" 90
	t1=$(date +%s%N)
	echo "SIGSTOP to served again: $(((t1 - t0) / 1000000)) ms (hang_timeout 5 s)"
	ls "$BACKUPS"/alert-*-WARNING-server-hung
	grep -q "has not answered for [0-9]* s (no answer to a connection attempt)" "$BACKUPS"/alert-*-WARNING-server-hung
	! ls "$BACKUPS"/alert-*-server-restarted 2>/dev/null
	grep -q "restarts = 1" "$BACKUPS/server.status" || wait_for "grep -q 'restarts = 1' $BACKUPS/server.status" 10
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM t')" = 10000 ]
	[ -z "$(ls "$BACKUPS"/alert-*recovery* 2>/dev/null)" ]
}

@test "a server that takes connections and never answers (pg_database locked): restarted the same way" {
	old=$(postmaster_pid)
	PGDATABASE=postgres "$PG_BINDIR/psql" -X -q -c "BEGIN; LOCK TABLE pg_catalog.pg_database IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(300); COMMIT;" >/dev/null 2>&1 3>&- &
	PIDS+=($!)
	wait_for "ls $BACKUPS/alert-*-WARNING-server-hung" 60
	wait_for "served_again $old" 60
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM t')" = 10000 ]
}

@test "kill -9 of a serving server: one WARNING server-restarted; pgwarden status shows the restarts and the uptime" {
	old=$(postmaster_pid)
	kill -9 "$old"
	wait_for "served_again $old" 60
	wait_for "ls $BACKUPS/alert-*-WARNING-server-restarted" 10
	grep -q "killed by signal 9 while serving" "$BACKUPS"/alert-*-WARNING-server-restarted
	wait_for "grep -q 'state = running' $BACKUPS/server.status" 20
	run "$BIN/pgwarden" status
	[[ "$output" == *"server           running, up "*", 1 restart"* ]]
}

@test "pgwarden pause: a stopped server stays stopped, no recovery is asked, the pause shows and alerts when overdue; resume starts it again" {
	cli() { runuser -u postgres --preserve-environment -- "$BIN/pgwarden" "$@"; }
	HEALTH_CHECK_INTERVAL=1 start_as_postgres monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 20
	run cli pause --for 2s --reason 'pg_upgrade drill'
	[ "$status" -eq 0 ]
	old=$(postmaster_pid)
	runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$PGW_CLUSTER/data" -m fast -w stop >/dev/null
	wait_for "grep -q 'paused: postgres is left stopped' $BACKUPS/db-supervisor.log" 20
	wait_for "grep -q 'paused: 3 failed checks, no recovery requested' $BACKUPS/health-monitor.log" 30
	[ ! -e "$BACKUPS/request-restore" ]
	[ ! -e "$PGW_CLUSTER/data/postmaster.pid" ]
	grep -q "state = stopped" "$BACKUPS/server.status"
	! ls "$BACKUPS"/alert-*-server-restarted 2>/dev/null
	run "$BIN/pgwarden" status
	[[ "$output" == *"maintenance      PAUSED since "*"pg_upgrade drill"* ]]
	wait_for "ls $BACKUPS/alert-*-WARNING-pause-overdue" 30
	run "$BIN/pgwarden" status --check
	[[ "$output" == *"paused (pg_upgrade drill) and overdue"* ]]
	run cli resume
	[ "$status" -eq 0 ]
	wait_for "served_again $old" 60
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM t')" = 10000 ]
}

@test "an empty PGDATA is a first start: initdb with peer and scram, INFO only; over TCP the password works, none or a wrong one does not; a group-writable PGDATA is fixed before a start" {
	local d=$BACKUPS.boot port=5488
	mkdir -p "$d/b" "$d/sock"
	printf 'S3cret-pw-%s\n' "$$" >"$d/pw"
	chmod 700 "$d/b"
	chmod 600 "$d/pw"
	chown -R postgres "$d"
	runuser -u postgres -- env PGWARDEN_BACKUP_DIR="$d/b" PGWARDEN_PGDATA="$d/data" PGWARDEN_PASSWORD_FILE="$d/pw" \
		PGWARDEN_INITDB_OPTIONS="--data-checksums -U postgres -E UTF8 --locale=C.UTF-8" \
		PGWARDEN_POSTGRES_OPTIONS="-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$d/sock" \
		PGHOST="$d/sock" PGPORT=$port PGUSER=postgres "$BIN/pgwarden-db" 2>>"$d/db.stderr" >/dev/null 3>&- &
	PIDS+=($!)
	tcp() { PGPASSWORD=$1 "$PG_BINDIR/psql" -X -At -w -h 127.0.0.1 -p $port -U postgres -d postgres -c 'SELECT 1' 2>&1; }
	wait_for "[ \"\$(tcp \"\$(cat $d/pw)\")\" = 1 ]" 60
	ls "$d/b"/alert-*-INFO-cluster-bootstrap
	! ls "$d/b"/alert-*-CRITICAL-* "$d/b"/alert-*-ERROR-* 2>/dev/null
	[ "$(stat -c %a "$d/data")" = 700 ]
	[[ "$(tcp '')" == *"password"* ]]
	[[ "$(tcp wrong)" == *"password authentication failed"* ]]
	grep -q '^host all all all scram-sha-256' "$d/data/pg_hba.conf"
	# local connections by peer: the postgres user, no password
	[ "$(runuser -u postgres -- "$PG_BINDIR/psql" -X -At -h "$d/sock" -p $port -d postgres -c 'SELECT 1')" = 1 ]
	! grep -rq "$(cat "$d/pw")" "$d/b" "$d/db.stderr"
	# kubelet's fsGroup makes PGDATA group-writable: fixed before the next start
	old=$(head -1 "$d/data/postmaster.pid")
	chmod 0770 "$d/data"
	kill -9 "$old"
	wait_for "[ -f $d/data/postmaster.pid ] && [ \"\$(head -1 $d/data/postmaster.pid)\" != $old ] && [ \"\$(tcp \"\$(cat $d/pw)\")\" = 1 ]" 60
	grep -q "was mode 0770: set to 0750" "$d/b/db-supervisor.log"
}

@test "the probes do what the pod needs: --ready false while the server is down or a recovery swaps, --alive db false when pgwarden-db is gone or stuck; the rendered pod wires them" {
	# the server answers before pgwarden-db records it running: on a
	# loaded machine that takes a moment
	wait_for "'$BIN/pgwarden' status --ready" 30
	run "$BIN/pgwarden" status --alive db
	[ "$status" -eq 0 ]
	# a recovery swapping data, as the restorer holds its marker
	printf 'pid = 1\nphase = swapping\n' >"$BACKUPS/recovery-in-progress"
	chown postgres "$BACKUPS/recovery-in-progress"
	flock "$BACKUPS/recovery-in-progress" sleep 30 >/dev/null 3>&- &
	holder=$!
	PIDS+=($holder)
	wait_for "! flock -n '$BACKUPS/recovery-in-progress' true" 5
	run "$BIN/pgwarden" status --ready
	[ "$status" -eq 7 ]
	[[ "$output" == *"a recovery is swapping the data"* ]]
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	rm "$BACKUPS/recovery-in-progress"
	run "$BIN/pgwarden" status --ready
	[ "$status" -eq 0 ]
	# pgwarden-db stuck (stopped): its heartbeat ages, liveness fails
	db=$(cat /proc/${PIDS[0]}/task/${PIDS[0]}/children)
	kill -STOP "$db"
	touch -d '2 minutes ago' "$BACKUPS/server.status"
	run "$BIN/pgwarden" status --alive db
	kill -CONT "$db" "${PIDS[0]}"
	[ "$status" -eq 7 ]
	[[ "$output" == *"pgwarden-db is stuck"* ]]
	wait_for "\"$BIN/pgwarden\" status --alive db" 20
	# the server stopped (during a pause, so that it stays so): not ready
	runuser -u postgres --preserve-environment -- "$BIN/pgwarden" pause --for 5m >/dev/null
	runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$PGW_CLUSTER/data" -m fast -w stop >/dev/null
	wait_for "grep -q 'state = stopped' $BACKUPS/server.status" 20
	run "$BIN/pgwarden" status --ready
	[ "$status" -eq 7 ]
	[[ "$output" == *"not ready: the server is stopped"* ]]
	runuser -u postgres --preserve-environment -- "$BIN/pgwarden" resume >/dev/null
	wait_for "\"$BIN/pgwarden\" status --ready 2>/dev/null" 60
	# the rendered pod: what each probe runs
	kubectl kustomize "$ROOT/pod-spec" | "$PYTHON" -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
pod = next(d for d in docs if d["kind"] == "StatefulSet")["spec"]["template"]["spec"]
c = {x["name"]: x for x in pod["containers"]}
assert c["db"]["readinessProbe"]["exec"]["command"] == ["pgwarden", "status", "--ready"]
assert c["db"]["livenessProbe"]["exec"]["command"] == ["pgwarden", "status", "--alive", "db"]
sp = c["db"]["startupProbe"]
assert sp["periodSeconds"] * sp["failureThreshold"] >= 3600, sp
for n in ("backupper", "restorer", "monitor"):
    assert "readinessProbe" not in c[n], n
    assert c[n]["livenessProbe"]["exec"]["command"] == ["pgwarden", "status", "--alive", n]
'
}

@test "as PID 1 (a container's entrypoint) pgwarden-db reaps the orphans of a killed postmaster, and still stops on SIGTERM" {
	stop_sidecars
	wait_for "[ ! -f $PGW_CLUSTER/data/postmaster.pid ]" 60
	unshare --pid --fork --mount-proc setpriv --reuid=postgres --regid=postgres --init-groups \
		"$BIN/pgwarden-db" 2>>"$BACKUPS.db1.stderr" >/dev/null 3>&- &
	ns=$!
	wait_for "[ -n \"\$(cat /proc/$ns/task/$ns/children)\" ]" 10
	db=$(awk '{print $1}' /proc/$ns/task/$ns/children)
	# unshare does not pass SIGTERM on: the test's cleanup signals db
	PIDS+=($db)
	wait_for "pg_sql 'SELECT 1' >/dev/null 2>&1" 60
	[ "$(awk '/^NSpid/ {print $3}' "/proc/$db/status")" = 1 ]
	pm=$(awk '{print $1}' /proc/$db/task/$db/children)
	old=$(postmaster_pid)
	kill -9 "$pm"
	wait_for "served_again $old" 60
	zombies() {
		local c n=0
		for c in $(cat /proc/$db/task/$db/children); do
			grep -q '^State:.*Z' /proc/$c/status 2>/dev/null && n=$((n + 1))
		done
		echo $n
	}
	wait_for "[ \$(zombies) = 0 ]" 20
	kill -TERM "$db"
	wait_for "! kill -0 $db 2>/dev/null" 60
	wait "$ns" || true
	PIDS=()
	[ ! -f "$PGW_CLUSTER/data/postmaster.pid" ]
	# the shutdown budget comes from the config, not a fixed 30 s
	grep -q "stopping postgres (fast shutdown, at most 285 s)" "$BACKUPS/db-supervisor.log"
	grep -q "received fast shutdown request" "$BACKUPS/postgresql.log"
	! grep -q "received immediate shutdown request" "$BACKUPS/postgresql.log"
}

@test "a server with every connection slot taken is busy, not hung: pgwarden-db does not restart it" {
	old=$(postmaster_pid)
	for i in $(seq 45); do
		PGDATABASE=postgres "$PG_BINDIR/psql" -X -q -c "SELECT pg_sleep(25)" >/dev/null 2>&1 3>&- &
		PIDS+=($!)
	done
	# full: a new connection is refused by the server itself
	wait_for "PGCONNECT_TIMEOUT=2 pg_sql 'SELECT 1' 2>&1 | grep -q 'too many clients'" 30
	# pgwarden-db rewrites server.status every 5 s: two rewrites are more
	# than hang_timeout (5 s) of probing
	u0=$(grep '^updated' "$BACKUPS/server.status")
	wait_for "[ \"\$(grep '^updated' $BACKUPS/server.status)\" != \"$u0\" ]" 20
	u1=$(grep '^updated' "$BACKUPS/server.status")
	wait_for "[ \"\$(grep '^updated' $BACKUPS/server.status)\" != \"$u1\" ]" 20
	[ "$(postmaster_pid)" = "$old" ]
	! ls "$BACKUPS"/alert-*-server-hung 2>/dev/null
	! grep -q 'does not answer' "$BACKUPS/db-supervisor.log"
}

@test "PGDATA's volume without room for a copy of its largest database: one WARNING pgdata-space-low, and a log line when there is room again" {
	local d=$BACKUPS.space port=5489
	mkdir -p "$d"
	mount -t tmpfs -o size=160m tmpfs "$d"
	mkdir -p "$d/b" "$d/sock"
	chmod 700 "$d/b"
	chown -R postgres "$d"
	runuser -u postgres -- env PGWARDEN_BACKUP_DIR="$d/b" PGWARDEN_PGDATA="$d/data" PGWARDEN_SPACE_CHECK_INTERVAL=1 \
		PGWARDEN_INITDB_OPTIONS="-U postgres -A trust -E UTF8 --locale=C.UTF-8" \
		PGWARDEN_POSTGRES_OPTIONS="-c port=$port -c listen_addresses= -c unix_socket_directories=$d/sock -c max_wal_size=64MB -c min_wal_size=32MB" \
		PGHOST="$d/sock" PGPORT=$port PGUSER=postgres "$BIN/pgwarden-db" 2>>"$d/db.stderr" >/dev/null 3>&- &
	PIDS+=($!)
	q() { "$PG_BINDIR/psql" -X -At -h "$d/sock" -p $port -U postgres -d "${2:-postgres}" -c "$1"; }
	wait_for "q 'SELECT 1' >/dev/null 2>&1" 60
	q "CREATE DATABASE big"
	q "CREATE TABLE t AS SELECT g, md5(g::text) AS v FROM generate_series(1, 200000) g; CHECKPOINT" big
	oid=$(q "SELECT oid FROM pg_database WHERE datname = 'big'")
	need=$(du -sB1 "$d/data/base/$oid" | cut -f1)
	[ "$need" -gt $((10 * 1024 * 1024)) ]
	free=$(df --output=avail -B1 "$d" | tail -1)
	# leave half of the largest database free
	fallocate -l $((free - need / 2)) "$d/filler"
	wait_for "ls $d/b/alert-*-WARNING-pgdata-space-low" 20
	grep -q "less than its largest database" "$d"/b/alert-*-WARNING-pgdata-space-low
	sleep 3 # several more looks: still one alert
	[ "$(ls "$d"/b/alert-*-WARNING-pgdata-space-low | wc -l)" -eq 1 ]
	rm "$d/filler"
	wait_for "grep -q \"pgdata's volume has room for a recovery again\" $d/b/db-supervisor.log" 20
	[ "$(q 'SELECT count(*) FROM t' big)" = 200000 ]
}

@test "a data directory of another major version (an image that does not match): not started, CRITICAL once, never re-initialised" {
	stop_sidecars
	wait_for "[ ! -f $PGW_CLUSTER/data/postmaster.pid ]" 60
	real=$(cat "$PGW_CLUSTER/data/PG_VERSION")
	echo $((real + 1)) >"$PGW_CLUSTER/data/PG_VERSION"
	PGWARDEN_MAX_START_FAILURES=1 start_as_postgres db
	wait_for "ls $BACKUPS/alert-*-CRITICAL-server-major-mismatch" 20
	grep -q "is PostgreSQL $((real + 1)) and this image's server is PostgreSQL $real" "$BACKUPS"/alert-*-CRITICAL-server-major-mismatch
	start_as_postgres restorer
	runuser -u postgres -- touch "$BACKUPS/request-restore"
	wait_for "[ ! -e $BACKUPS/request-restore ]" 20
	wait_for "grep -q 'state = stopped' $BACKUPS/server.status" 10
	[ ! -f "$PGW_CLUSTER/data/postmaster.pid" ]
	[ "$(cat "$PGW_CLUSTER/data/PG_VERSION")" = $((real + 1)) ]
	[ -z "$(ls -d "$PGW_CLUSTER"/data.damaged-* 2>/dev/null)" ]
	[ "$(ls "$BACKUPS"/alert-*-CRITICAL-server-major-mismatch | wc -l)" -eq 1 ]
	! grep -q "re-init" "$BACKUPS/db-supervisor.log"
	echo "$real" >"$PGW_CLUSTER/data/PG_VERSION"
}

@test "a server replaying WAL (in recovery, refusing connections) is alive, not ready, and never restarted; once promoted it is ready: the rendered probes say so" {
	stop_sidecars
	wait_for "[ ! -f $PGW_CLUSTER/data/postmaster.pid ]" 60
	# a standby with nothing to replay from and hot_standby off: it stays
	# in recovery, answering every connection "the database system is
	# starting up", like a long crash recovery
	touch "$PGW_CLUSTER/data/standby.signal"
	chown postgres "$PGW_CLUSTER/data/standby.signal"
	PGWARDEN_POSTGRES_OPTIONS="-c hot_standby=off" start_as_postgres db
	wait_for "[ -f $PGW_CLUSTER/data/postmaster.pid ]" 30
	kubectl kustomize "$ROOT/pod-spec" >"$BACKUPS.pod.yaml"
	# probe NAME: the rendered db container's probe command, run here (the
	# pod's socket directory is this server's)
	probe() {
		local cmd
		cmd=$("$PYTHON" -c '
import os, shlex, sys, yaml
sts = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "StatefulSet")
c = next(x for x in sts["spec"]["template"]["spec"]["containers"] if x["name"] == "db")
print(" ".join(shlex.quote(a.replace("/var/run/postgresql", os.environ["PGHOST"])) for a in c[sys.argv[2]]["exec"]["command"]))' "$BACKUPS.pod.yaml" "$1")
		PATH="$BIN:$PG_BINDIR:$PATH" eval "$cmd"
	}
	pm=$(postmaster_pid)
	# past several hang_timeouts (5 s here): still the same postmaster
	wait_for "grep -q 'state = starting' $BACKUPS/server.status" 20
	for i in 1 2 3; do
		run probe livenessProbe
		[ "$status" -eq 0 ] || { echo "liveness: $output"; false; }
		run probe readinessProbe
		[ "$status" -ne 0 ]
		run probe startupProbe
		[ "$status" -ne 0 ]
		sleep 5
	done
	[ "$(postmaster_pid)" = "$pm" ]
	grep -q "restarts = 0" "$BACKUPS/server.status"
	! ls "$BACKUPS"/alert-*server-hung* 2>/dev/null
	runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$PGW_CLUSTER/data" promote >/dev/null
	wait_for "probe readinessProbe >/dev/null 2>&1" 60
	probe startupProbe >/dev/null
	probe livenessProbe >/dev/null
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM t')" = 10000 ]
}
