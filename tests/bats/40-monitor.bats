#!/usr/bin/env bats
# monitor: consecutive failures, threshold, cooldown, persisted state.

load helpers

setup_file() { cluster_up; }
teardown_file() { cluster_down; }
setup() {
	backups_fresh
	export HEALTH_CHECK_INTERVAL=1 MAX_FAILURE_COUNT=3 PGWARDEN_DATABASE=postgres
	export PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations
	pg_sql "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, name text, applied_at timestamptz DEFAULT now()); INSERT INTO schema_migrations VALUES ('0002', 'x') ON CONFLICT DO NOTHING"
}
teardown() { backups_cleanup; }

@test "a healthy server: status file says healthy, no request" {
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	sleep 2
	[ ! -e "$BACKUPS/request-restore" ]
	[ "$(pg_sql 'SELECT count(*) FROM pgwarden.heartbeat')" = 1 ]
}

@test "an application's database with no migrations of ours: with the images' empty migrations directory it is healthy" {
	pg_sql "DROP DATABASE IF EXISTS realapp"
	pg_sql "CREATE DATABASE realapp"
	PGDATABASE=realapp pg_sql "CREATE TABLE orders (id int PRIMARY KEY)"
	mkdir "$BACKUPS.empty"
	PGWARDEN_DATABASE=realapp PGWARDEN_MIGRATIONS_DIR=$BACKUPS.empty start_sidecar monitor
	wait_for "[ \$(grep -c 'health = healthy' $BACKUPS/monitor.status) -ge 1 ] && grep -q 'passed_in_row = [3-9]' $BACKUPS/monitor.status" 20
	[ ! -e "$BACKUPS/request-restore" ]
	stop_sidecars
	rmdir "$BACKUPS.empty"
	pg_sql "DROP DATABASE realapp WITH (FORCE)"
}

@test "server stopped: exactly N failed checks, then a restore request and a CRITICAL alert" {
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	pg_stop "$PGW_CLUSTER"
	wait_for "[ -e $BACKUPS/request-restore ]" 15
	grep -q 'health check failed (3/3)' "$BACKUPS/health-monitor.log"
	grep -q "reason=monitor: 3 consecutive failed checks" "$BACKUPS/request-restore"
	a=$(ls "$BACKUPS"/alert-*-CRITICAL-recovery-requested)
	grep -q "Failure Count: 3/3" "$a"
	grep -q "Database Connection: ❌ Failed" "$a"
	grep -q "Last Recovery: Never" "$a"
	pg_start "$PGW_CLUSTER"
}

@test "the recovery-requested alert names the last recovery of any kind (a manual one too), not 'Never'" {
	printf '[recovery]\nlast_at = 2026-11-30T10:00:00Z\nresult = restored\nbackup = b\nrto_ms = 1\nreason = "manual"\ntotal = 1\n' >"$BACKUPS/restorer.status"
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	pg_stop "$PGW_CLUSTER"
	wait_for "ls $BACKUPS/alert-*-CRITICAL-recovery-requested" 15
	pg_start "$PGW_CLUSTER"
	a=$(ls "$BACKUPS"/alert-*-CRITICAL-recovery-requested)
	grep -q "Last Recovery: 2026-11-30T10:00:00Z restored" "$a"
	grep -q "Last automatic request: Never" "$a"
}

@test "server back before the threshold: count resets, no request" {
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	pg_stop "$PGW_CLUSTER"
	wait_for "grep -q 'failure_count = 2' $BACKUPS/monitor.status" 10
	pg_start "$PGW_CLUSTER"
	wait_for "grep -q 'failure_count = 0' $BACKUPS/monitor.status" 10
	[ ! -e "$BACKUPS/request-restore" ]
	grep -q "healthy again" "$BACKUPS/health-monitor.log"
}

@test "cooldown: a second threshold hit inside it is suppressed with a CRITICAL alert; state survives kill -9" {
	start_sidecar monitor
	pg_stop "$PGW_CLUSTER"
	wait_for "[ -e $BACKUPS/request-restore ]" 60
	rm "$BACKUPS/request-restore"
	kill9_sidecar
	PIDS=()
	grep -q "last_recovery = 20" "$BACKUPS/monitor.state"
	start_sidecar monitor
	wait_for "ls $BACKUPS/alert-*-CRITICAL-recovery-suppressed" 60
	[ ! -e "$BACKUPS/request-restore" ]
	pg_start "$PGW_CLUSTER"
}

@test "no cooldown: a request still waiting is not written again, so it can settle and be claimed; one alert" {
	export RECOVERY_COOLDOWN=0
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	pg_stop "$PGW_CLUSTER"
	wait_for "[ -e $BACKUPS/request-restore ]" 15
	inode=$(stat -c %i "$BACKUPS/request-restore")
	wait_for "grep -q 'health check failed (6/3)' $BACKUPS/health-monitor.log" 30
	pg_start "$PGW_CLUSTER"
	[ "$(stat -c %i "$BACKUPS/request-restore")" = "$inode" ]
	[ "$(find "$BACKUPS" -name 'alert-*-CRITICAL-recovery-requested' | wc -l)" = 1 ]
	grep -q "a recovery request already waits for the restorer" "$BACKUPS/health-monitor.log"
}

@test "schema behind the migrations directory counts as a failure" {
	pg_sql "DELETE FROM schema_migrations"
	start_sidecar monitor
	wait_for "grep -q 'schema migrations are behind' $BACKUPS/health-monitor.log" 10
	pg_sql "INSERT INTO schema_migrations VALUES ('0002', 'x')"
}

@test "a malformed state file is reported and reset, not trusted" {
	echo "garbage {{{" >"$BACKUPS/monitor.state"
	start_sidecar monitor
	wait_for "ls $BACKUPS/alert-*-WARNING-state-reset" 10
	grep -q "malformed" "$BACKUPS/health-monitor.log"
	wait_for "grep -q 'failures = 0' $BACKUPS/monitor.state" 10
}

@test "bad monitor config: interval 0, threshold -1 exit 2" {
	HEALTH_CHECK_INTERVAL=0 run "$BIN/pgwarden-monitor"
	[ "$status" -eq 2 ]
	[[ "$output" == *"health_check_interval"* ]]
	MAX_FAILURE_COUNT=-1 run "$BIN/pgwarden-monitor"
	[ "$status" -eq 2 ]
	PGWARDEN_PATTERNS_FILE=relative run "$BIN/pgwarden-monitor"
	[ "$status" -eq 2 ]
}

@test "each corruption pattern appended to the server log raises an alert within 5 s, secrets scrubbed" {
	export PGWARDEN_SERVER_LOG=$BACKUPS.pg.log PGWARDEN_CORRUPTION_POLICY=alert-only
	: >"$PGWARDEN_SERVER_LOG"
	start_sidecar monitor
	lines=(
		"LOG:  database system was interrupted while in recovery at 2025-06-13"
		"LOG:  server process (PID 42) was terminated by signal 11: Segmentation fault"
		"LOG:  startup process (PID 7) exited with exit code 1"
		"ERROR:  could not read block 3 in file \"base/1/2\": read only 0 of 8192 bytes"
		"ERROR:  invalid page in block 0 of relation base/16384/16385"
		"WARNING:  page verification failed, calculated checksum 1 but expected 2"
		"PANIC:  could not write to file \"pg_wal/xlogtemp.1\": No space left on device password=hunter2xyz"
	)
	for l in "${lines[@]}"; do
		t0=$(date +%s%N)
		n=$(ls "$BACKUPS"/alert-*corruption-indicator* 2>/dev/null | wc -l)
		echo "2026-11-25 10:00:00 UTC [1] $l" >>"$PGWARDEN_SERVER_LOG"
		wait_for "[ \$(ls $BACKUPS/alert-*corruption-indicator* 2>/dev/null | wc -l) -gt $n ]" 5
		[ $((($(date +%s%N) - t0) / 1000000)) -lt 5000 ]
	done
	grep -l "Segmentation fault" "$BACKUPS"/alert-*-CRITICAL-corruption-indicator
	grep -l "invalid page in block 0" "$BACKUPS"/alert-*-CRITICAL-corruption-indicator
	! grep -r "hunter2xyz" "$BACKUPS"/alert-* "$BACKUPS"/health-monitor.log
	[ ! -e "$BACKUPS/request-restore" ]
}

@test "the server log is followed across rotation and truncation" {
	export PGWARDEN_SERVER_LOG=$BACKUPS.pg.log PGWARDEN_CORRUPTION_POLICY=alert-only
	echo "old line: invalid page header in block 9 (before start, ignored)" >"$PGWARDEN_SERVER_LOG"
	start_sidecar monitor
	mv "$PGWARDEN_SERVER_LOG" "$PGWARDEN_SERVER_LOG.1"
	echo "ERROR:  invalid page header in block 1 of relation base/1/2" >"$PGWARDEN_SERVER_LOG"
	wait_for "grep -l 'block 1 of relation' $BACKUPS/alert-*corruption-indicator" 5
	grep -q "was rotated" "$BACKUPS/health-monitor.log"
	: >"$PGWARDEN_SERVER_LOG"
	echo "PANIC:  something terrible" >>"$PGWARDEN_SERVER_LOG"
	wait_for "grep -l 'something terrible' $BACKUPS/alert-*corruption-indicator" 5
	! grep -l "before start" "$BACKUPS"/alert-* 2>/dev/null
}

@test "one noisy CRITICAL line while every check passes does not trigger a recovery (confirm policy)" {
	export PGWARDEN_SERVER_LOG=$BACKUPS.pg.log
	: >"$PGWARDEN_SERVER_LOG"
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	# the relation is in the protected database
	oid=$(pg_sql "SELECT oid FROM pg_database WHERE datname = current_database()")
	echo "ERROR:  invalid page in block 5 of relation base/$oid/999" >>"$PGWARDEN_SERVER_LOG"
	wait_for "grep -q 'not confirmed' $BACKUPS/health-monitor.log" 10
	[ ! -e "$BACKUPS/request-restore" ]
}

@test "a real page corruption with data checksums: detected and a restore request follows" {
	export PGWARDEN_SERVER_LOG=$PGW_CLUSTER/postgres.log
	pg_sql "DROP TABLE IF EXISTS victim; CREATE TABLE victim AS SELECT g, md5(g::text) v FROM generate_series(1, 5000) g"
	rel=$(pg_sql "SELECT pg_relation_filepath('victim')")
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	pg_stop "$PGW_CLUSTER"
	printf 'CORRUPTCORRUPTCORRUPT' | dd of="$PGW_CLUSTER/data/$rel" bs=1 seek=5000 conv=notrunc status=none
	pg_start "$PGW_CLUSTER"
	! pg_sql "SELECT count(*) FROM victim" 2>/dev/null
	wait_for "[ -e $BACKUPS/request-restore ]" 15
	ls "$BACKUPS"/alert-*-CRITICAL-corruption-indicator
	ls "$BACKUPS"/alert-*-CRITICAL-recovery-requested
	pg_sql "DROP TABLE victim"
}

@test "corruption in another database (e.g. a damaged copy kept aside) is reported but never restores the protected one" {
	export PGWARDEN_SERVER_LOG=$PGW_CLUSTER/postgres.log
	pg_sql "DROP DATABASE IF EXISTS app_damaged_20260101_000000"
	pg_sql "CREATE DATABASE app_damaged_20260101_000000"
	PGDATABASE=app_damaged_20260101_000000 pg_sql "CREATE TABLE victim AS SELECT g, md5(g::text) v FROM generate_series(1, 5000) g"
	rel=$(PGDATABASE=app_damaged_20260101_000000 pg_sql "SELECT pg_relation_filepath('victim')")
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	pg_stop "$PGW_CLUSTER"
	printf 'CORRUPTCORRUPTCORRUPT' | dd of="$PGW_CLUSTER/data/$rel" bs=1 seek=5000 conv=notrunc status=none
	pg_start "$PGW_CLUSTER"
	! PGDATABASE=app_damaged_20260101_000000 pg_sql "SELECT count(*) FROM victim" 2>/dev/null
	wait_for "grep -q \"the corruption is in database 'app_damaged_20260101_000000'\" $BACKUPS/health-monitor.log" 10
	# it keeps being read (autovacuum, someone inspecting it): its growing
	# checksum_failures are not the protected database's
	for i in 1 2 3 4; do
		! PGDATABASE=app_damaged_20260101_000000 pg_sql "SELECT count(*) FROM victim" 2>/dev/null
		sleep 1
	done
	[ "$(pg_sql "SELECT checksum_failures FROM pg_stat_database WHERE datname = 'app_damaged_20260101_000000'")" -ge 3 ]
	sleep 2
	! grep "checksum failures grew" "$BACKUPS/health-monitor.log"
	[ ! -e "$BACKUPS/request-restore" ]
	ls "$BACKUPS"/alert-*corruption-indicator
	pg_sql "DROP DATABASE app_damaged_20260101_000000"
}

@test "footprint: the monitor maps no libpq, libcurl or libcrypto and stays under 4 MiB RSS while checking" {
	export HEALTH_CHECK_INTERVAL=1
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	sleep 5
	pid=$SIDECAR_PID
	! grep -qE "libpq|libcurl|libcrypto|libgnutls" "/proc/$pid/maps"
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
	echo "# monitor VmRSS ${rss} kB after 5 checks" >&3
	# ASan's shadow memory alone is more (make test runs the sidecars of
	# the sanitizer build through the bats files too)
	grep -q libasan "/proc/$pid/maps" || [ "$rss" -le 4096 ]
	# the checks really ran, in pgwarden-dbcheck
	grep -q "failure_count = 0" "$BACKUPS/monitor.status"
}

@test "an unreadable patterns file or a bad pattern stops the monitor with exit 2" {
	PGWARDEN_PATTERNS_FILE=/nonexistent/patterns run "$BIN/pgwarden-monitor"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unable to open patterns file '/nonexistent/patterns'"* ]]
	printf 'CRITICAL (unclosed\n' >"$BACKUPS.pat"
	PGWARDEN_PATTERNS_FILE=$BACKUPS.pat run "$BIN/pgwarden-monitor"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a valid regular expression"* ]]
	printf 'LOUD oops\n' >"$BACKUPS.pat"
	PGWARDEN_PATTERNS_FILE=$BACKUPS.pat run "$BIN/pgwarden-monitor"
	[ "$status" -eq 2 ]
	rm -f "$BACKUPS.pat"
}
