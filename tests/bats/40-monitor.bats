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
	[ "$(pg_sql 'SELECT count(*) FROM pgwarden_heartbeat')" = 1 ]
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
	wait_for "[ -e $BACKUPS/request-restore ]" 15
	rm "$BACKUPS/request-restore"
	kill -9 "$SIDECAR_PID"
	PIDS=()
	grep -q "last_recovery = 20" "$BACKUPS/monitor.state"
	start_sidecar monitor
	wait_for "ls $BACKUPS/alert-*-CRITICAL-recovery-suppressed" 15
	[ ! -e "$BACKUPS/request-restore" ]
	pg_start "$PGW_CLUSTER"
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
