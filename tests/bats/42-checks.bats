#!/usr/bin/env bats
# What a failed check means (common/checkclass.h): lock waits, missing
# grants and pgwarden's own schema. Recovery is for damage and death only.

load helpers

setup_file() {
	cluster_up
	pg_sql "CREATE DATABASE app"
}
teardown_file() { cluster_down; }
setup() {
	backups_fresh
	export HEALTH_CHECK_INTERVAL=1 MAX_FAILURE_COUNT=3 PGWARDEN_DATABASE=app PGWARDEN_CHECK_TIMEOUT=2
	export PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations PGWARDEN_BACKUP_SCHEDULE=off
	export PGWARDEN_BACKUP_DATABASES=app PGWARDEN_VERIFY_SCHEDULE=off
	PGDATABASE=app pg_sql "
		DROP SCHEMA IF EXISTS pgwarden CASCADE;
		CREATE TABLE IF NOT EXISTS public.schema_migrations (version text PRIMARY KEY, name text);
		INSERT INTO schema_migrations VALUES ('0002', 'x') ON CONFLICT DO NOTHING;
		CREATE TABLE IF NOT EXISTS public.orders (id int PRIMARY KEY, note text);
		INSERT INTO orders SELECT g, 'o' || g FROM generate_series(1, 500) g ON CONFLICT DO NOTHING"
	HOLDER=
}
teardown() {
	[ -z "$HOLDER" ] || kill "$HOLDER" 2>/dev/null || true
	[ -z "$HOLDER" ] || wait "$HOLDER" 2>/dev/null || true
	backups_cleanup
}

# checks that failed without counting, and checks passed in a row
uncounted() { grep -c 'not counted towards a recovery' "$BACKUPS/health-monitor.log" 2>/dev/null || true; }
passed_in_row() { sed -n 's/^passed_in_row = //p' "$BACKUPS/monitor.status" 2>/dev/null || echo 0; }

# hold LOCK MODE on TABLE for SECONDS in a psql the test started (pid in HOLDER)
hold_lock() {
	"$PG_BINDIR/psql" -X -q -d app -c "BEGIN; LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($2); COMMIT" >/dev/null 2>&1 3>&- &
	HOLDER=$!
	wait_for "[ \"\$(PGDATABASE=app pg_sql \"SELECT count(*) FROM pg_locks WHERE relation = '$1'::regclass AND granted AND mode = 'AccessExclusiveLock'\")\" = 1 ]" 10
}

app_schema() {
	"$PG_BINDIR/pg_dump" --schema-only -n public -d app | grep -v '^--' | grep -v '^\\\(un\)\?restrict' | md5sum
}

@test "the heartbeat is in schema pgwarden, never in the application's schemas" {
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM pgwarden.heartbeat')" = 1 ]
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname LIKE '%heartbeat%' AND n.nspname <> 'pgwarden'")" = 0 ]
}

@test "a lock held on the migrations table for longer than 3 checks: WARNING naming the holder, no recovery, nothing counted" {
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	hold_lock public.schema_migrations 30
	wait_for '[ "$(uncounted)" -ge 5 ]' 40
	[ ! -e "$BACKUPS/request-restore" ]
	grep -q 'failure_count = 0' "$BACKUPS/monitor.status"
	grep -q 'last_class = lock-wait' "$BACKUPS/monitor.status"
	[ "$(count_files "$BACKUPS" 'alert-*-WARNING-lock-wait')" = 1 ]
	a=$(ls "$BACKUPS"/alert-*-WARNING-lock-wait)
	grep -q "held by pid $(PGDATABASE=app pg_sql "SELECT pid FROM pg_locks WHERE relation = 'public.schema_migrations'::regclass AND granted AND mode = 'AccessExclusiveLock'")" "$a"
	grep -q 'AccessExclusiveLock' "$a"
	! ls "$BACKUPS"/alert-*-CRITICAL-* 2>/dev/null
	# the holder was not terminated by pgwarden
	kill -0 "$HOLDER"
	kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || true; HOLDER=
	PGDATABASE=app pg_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'app' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()" >/dev/null
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	grep -q "'lock-wait' is over" "$BACKUPS/health-monitor.log"
}

@test "a least-privilege monitor role without CREATE on public: healthy checks for a minute (60 rounds), no recovery" {
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d app -f "$ROOT/config/monitor-role.sql" >/dev/null
	PGDATABASE=app pg_sql "REVOKE CREATE ON SCHEMA public FROM PUBLIC"
	[ "$(PGUSER=pgwarden_monitor PGDATABASE=app pg_sql "SELECT has_schema_privilege('public', 'CREATE')")" = f ]
	PGUSER=pgwarden_monitor start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	wait_for '[ "$(passed_in_row)" -ge 60 ]' 150
	! grep -q 'health check' "$BACKUPS/health-monitor.log"
	[ ! -e "$BACKUPS/request-restore" ]
	[ "$(PGDATABASE=app pg_sql "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'pgwarden.heartbeat'::regclass")" = pgwarden_monitor ]
}

@test "a revoked grant the monitor needs: a check-config ERROR naming it, no recovery, then healthy again" {
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d app -f "$ROOT/config/monitor-role.sql" >/dev/null
	PGDATABASE=app pg_sql "REVOKE SELECT ON public.schema_migrations FROM pgwarden_monitor"
	PGUSER=pgwarden_monitor start_sidecar monitor
	wait_for '[ "$(uncounted)" -ge 5 ]' 30
	[ ! -e "$BACKUPS/request-restore" ]
	grep -q 'failure_count = 0' "$BACKUPS/monitor.status"
	[ "$(count_files "$BACKUPS" 'alert-*-ERROR-check-config')" = 1 ]
	a=$(ls "$BACKUPS"/alert-*-ERROR-check-config)
	grep -q "role 'pgwarden_monitor' needs: SELECT on \"schema_migrations\"" "$a"
	PGDATABASE=app pg_sql "GRANT SELECT ON public.schema_migrations TO pgwarden_monitor"
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
}

@test "backup, recovery and drill leave the application's schema exactly as the application made it; no old heartbeat comes back" {
	start_sidecar monitor
	wait_for "[ \"\$(PGDATABASE=app pg_sql 'SELECT count(*) FROM pgwarden.heartbeat' 2>/dev/null)\" = 1 ]" 10
	stop_sidecars
	before=$(app_schema)
	"$BIN/pgwarden-backupper" --once 2>/dev/null
	b=$(ls "$BACKUPS"/backup_*_app.sql.gz)
	! "$BIN/pgwarden" cat-backup "$(basename "$b")" 2>/dev/null | grep -q '^COPY pgwarden\.'
	"$BIN/pgwarden" cat-backup "$(basename "$b")" 2>/dev/null | grep -q 'CREATE TABLE pgwarden.heartbeat'
	# a drill, then a recovery
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "grep -q 'status = verified' $b.manifest" 60
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery*" 60
	[ "$(app_schema)" = "$before" ]
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM pgwarden.heartbeat')" = 0 ]
	[ "$(PGDATABASE=app pg_sql 'SELECT count(*) FROM orders')" = 500 ]
}
