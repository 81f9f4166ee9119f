#!/usr/bin/env bats
# Extensions whose restore needs a procedure (TimescaleDB's contract, played
# by the test extension pgw_tsdemo of tests/lib/ext): recovery and drills
# bring every row back; a backup that cannot be restored here stays valid
# and the database keeps its data; "recovered" means the data is back.

load helpers

setup_file() {
	ext_install pgw_tsdemo
	cluster_up
}
teardown_file() {
	cluster_down
	ext_uninstall pgw_tsdemo
}
setup() {
	backups_fresh
	ext_install pgw_tsdemo # a test may have removed a version
	export PGWARDEN_BACKUP_SCHEDULE=off PGWARDEN_BACKUP_DATABASES=ts PGWARDEN_DATABASE=ts
	export PGWARDEN_VERIFY_SCHEDULE=off PGWARDEN_MIGRATIONS_DIR= HEALTH_CHECK_INTERVAL=1
	export PGWARDEN_RESTORE_PROCEDURES=timescaledb,pgw_tsdemo
	pg_sql "DROP DATABASE IF EXISTS ts WITH (FORCE)"
	for d in $(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^ts_(damaged|before_restore)_'"); do
		pg_sql "DROP DATABASE \"$d\""
	done
	pg_sql "CREATE DATABASE ts"
	PGDATABASE=ts pg_sql "
		CREATE EXTENSION pgw_tsdemo VERSION '1.0';
		CREATE TABLE metrics (t timestamptz NOT NULL, device int, v double precision);
		SELECT pgw_tsdemo_create_hypertable('metrics');
		INSERT INTO metrics SELECT '2026-01-01'::timestamptz + g * interval '1 min', g % 10, g FROM generate_series(1, 5000) g"
}
teardown() { backups_cleanup; }

take_backup() { "$BIN/pgwarden-backupper" --once 2>/dev/null; }
backup_file() { ls "$BACKUPS"/backup_*_ts.sql.gz | sort | tail -1; }
rows() { PGDATABASE=ts pg_sql "SELECT count(*) || '/' || (SELECT count(*) FROM pgw_tsdemo_catalog) FROM metrics"; }
mstatus() { sed -n 's/^status = //p' "$(backup_file).manifest"; }

@test "the manifest records every extension with its version and schema" {
	take_backup
	grep -qE '^e[0-9]+ = pgw_tsdemo 1\.0 public$' "$(backup_file).manifest"
	grep -qE '^e[0-9]+ = plpgsql 1\.0 pg_catalog$' "$(backup_file).manifest"
}

@test "recovery: the procedure runs, every row and catalog row is back, and the monitor verifies the data" {
	take_backup
	PGDATABASE=ts pg_sql "DELETE FROM metrics WHERE device < 5"
	start_sidecar restorer
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery-verified" 60
	[ "$(rows)" = 5000/1 ]
	grep -q 'restore procedure begun (SELECT pgw_tsdemo_pre_restore())' "$BACKUPS/recovery.log"
	# the guard is back on: post_restore ran, and for new sessions too
	run env PGDATABASE=ts "$PG_BINDIR/psql" -X -At -v ON_ERROR_STOP=1 -c "INSERT INTO pgw_tsdemo_catalog VALUES ('x', 0)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"refused"* ]]
	[ -n "$(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^ts_(damaged|before_restore)_'")" ]
}

@test "drill: the same backup becomes verified" {
	take_backup
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "[ \"\$(mstatus)\" = verified ]" 60
}

@test "without the procedure: the restore fails, the database keeps its data, a CRITICAL asks for a person, no reset, no SUCCESS; the backup stays valid" {
	take_backup
	sleep 1.1 # a second backup, so that each is tried
	take_backup
	PGDATABASE=ts pg_sql "INSERT INTO metrics VALUES (now(), 99, 1)"
	export PGWARDEN_RESTORE_PROCEDURES=timescaledb
	start_sidecar restorer
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-CRITICAL-recovery-needs-person" 60
	a=$(ls "$BACKUPS"/alert-*-CRITICAL-recovery-needs-person)
	grep -q "No backup of 'ts' could be restored (2 found)" "$a"
	[ "$(grep -c 'call pgw_tsdemo_pre_restore() before restoring' "$a")" = 2 ]
	[ "$(rows)" = 5001/1 ]
	[ -z "$(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^ts_(damaged|before_restore)_' OR datname LIKE 'pgwarden\_tmp\_%'")" ]
	! ls "$BACKUPS"/alert-*fresh-reset* 2>/dev/null
	wait_for "grep -q 'not verified as recovered' $BACKUPS/health-monitor.log" 10
	! ls "$BACKUPS"/alert-*-SUCCESS-* 2>/dev/null
	grep -q 'result = failed' "$BACKUPS/restorer.status"
	# a drill of it: verification-impossible, never failed
	touch "$BACKUPS/request-verify"
	wait_for "ls $BACKUPS/alert-*-ERROR-verification-impossible" 60
	[ "$(mstatus)" = valid ]
}

@test "a version the server cannot provide: a named error, the backup is not marked failed, the data stays" {
	PGDATABASE=ts pg_sql "ALTER EXTENSION pgw_tsdemo UPDATE TO '1.1'"
	take_backup
	rm "$(pg_extdir)/pgw_tsdemo--1.0--1.1.sql"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-CRITICAL-recovery-needs-person" 60
	grep -q 'backup needs pgw_tsdemo 1.1, server has 1.0' "$(ls "$BACKUPS"/alert-*-CRITICAL-recovery-needs-person)"
	[ "$(rows)" = 5000/1 ]
	touch "$BACKUPS/request-verify"
	wait_for "ls $BACKUPS/alert-*-ERROR-verification-impossible" 60
	grep -q 'backup needs pgw_tsdemo 1.1, server has 1.0' "$(ls "$BACKUPS"/alert-*-ERROR-verification-impossible)"
	[ "$(mstatus)" = valid ]
}

@test "the monitor: a restore that left a table empty is a CRITICAL, not a SUCCESS" {
	take_backup
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	# a recovery that claims to have restored this backup, with the data gone
	flock "$BACKUPS/recovery-in-progress" -c "sleep 3" >/dev/null 3>&- &
	holder=$!
	wait_for "grep -q 'recovery in progress' $BACKUPS/health-monitor.log" 10
	PGDATABASE=ts pg_sql "TRUNCATE metrics"
	printf '[recovery]\nlast_at = x\nresult = restored\nbackup = %s\nrto_ms = 1\ntotal = 1\n' "$(basename "$(backup_file)")" >"$BACKUPS/restorer.status"
	wait "$holder"
	wait_for "ls $BACKUPS/alert-*-CRITICAL-recovery-unhealthy" 10
	grep -q 'table public.metrics is empty' "$(ls "$BACKUPS"/alert-*-CRITICAL-recovery-unhealthy)"
	! ls "$BACKUPS"/alert-*-SUCCESS-recovery-verified 2>/dev/null
	rm -f "$BACKUPS/recovery-in-progress"
}
