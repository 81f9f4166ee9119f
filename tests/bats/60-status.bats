#!/usr/bin/env bats
# pgwarden status (table, --json, --check, --alive) and metrics.prom against
# real states: no backups, healthy, stale backup, recovering, after a
# recovery.

load helpers

setup_file() { cluster_up; }
teardown_file() { cluster_down; }
setup() {
	backups_fresh
	export HEALTH_CHECK_INTERVAL=1 PGWARDEN_DATABASE=app PGWARDEN_BACKUP_DATABASES=app
	export PGWARDEN_BACKUP_SCHEDULE=off PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations
	export PGWARDEN_INIT_DIR=$ROOT/config/init
	pg_sql "DROP DATABASE IF EXISTS app WITH (FORCE)"
	pg_sql "CREATE DATABASE app"
	"$BIN/pgwarden" migrate --init >/dev/null
	PGDATABASE=app pg_sql "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100)"
}
teardown() { backups_cleanup; }

status_json() { "$BIN/pgwarden" status --json; }

@test "no backups yet: --check exits 7 naming the problem; --json parses" {
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	run "$BIN/pgwarden" status --check
	[ "$status" -eq 7 ]
	[[ "$output" == *"no valid backup"* ]]
	[[ "$output" == *"verdict          ATTENTION"* ]]
	j=$(status_json)
	[ "$(jq -r .verdict <<<"$j")" = attention ]
	[ "$(jq -r .health.status <<<"$j")" = healthy ]
	[ "$(jq -r .backups.last_valid <<<"$j")" = null ]
	[ "$(jq -r .backups.count <<<"$j")" = 0 ]
}

@test "healthy with a valid backup: --check exits 0; table, json and metrics agree" {
	start_sidecar monitor
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-backup" 30
	wait_for "grep -q '^pgwarden_last_backup_timestamp_seconds [1-9]' $BACKUPS/metrics.prom" 10
	run "$BIN/pgwarden" status --check
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run "$BIN/pgwarden" status
	[ "$status" -eq 0 ]
	[[ "$output" == *"health           healthy (failures 0/3"* ]]
	[[ "$output" == *"_app.sql.gz  valid"* ]]
	[[ "$output" == *"verdict          OK"* ]]
	j=$(status_json)
	file=$(jq -r .backups.last_valid.file <<<"$j")
	[ -f "$BACKUPS/$file" ]
	[ "$(jq -r .backups.last_valid.size_bytes <<<"$j")" = "$(stat -c %s "$BACKUPS/$file")" ]
	[ "$(jq -r .backups.last_valid.status <<<"$j")" = valid ]
	[ "$(jq -r .backups.last_valid_age_s <<<"$j")" -lt 60 ]
	[ "$(jq -r .verdict <<<"$j")" = ok ]
	m=$BACKUPS/metrics.prom
	grep -q "^pgwarden_last_backup_size_bytes $(stat -c %s "$BACKUPS/$file")$" "$m"
	grep -q '^pgwarden_health_up 1$' "$m"
	grep -q '^pgwarden_backups{status="valid"} 1$' "$m"
	grep -q '^# TYPE pgwarden_recoveries_total counter$' "$m"
	# every line is a comment or "name{labels} number"
	! grep -Ev '^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z]+="[a-z]+"\})? -?[0-9.e+-]+)$' "$m"
	[ "$(stat -c %a "$m")" = 600 ]
}

@test "stale backup: --check exits 7 once the newest valid backup is older than backup_max_age" {
	start_sidecar monitor
	"$BIN/pgwarden-backupper" --once 2>/dev/null
	BACKUP_MAX_AGE=1h run "$BIN/pgwarden" status --check
	[ "$status" -eq 0 ]
	sleep 2
	BACKUP_MAX_AGE=1s run "$BIN/pgwarden" status --check
	[ "$status" -eq 7 ]
	[[ "$output" == *"the newest valid backup is"*"s old"* ]]
	[ "$(BACKUP_MAX_AGE=1s status_json | jq -r '.problems | length')" -ge 1 ]
}

@test "a valid backup copied under tomorrow's stamp: flagged, never the newest; status, staleness and a restore use the real newest" {
	"$BIN/pgwarden-backupper" --once 2>/dev/null
	old=$(ls "$BACKUPS"/backup_*_app.sql.gz)
	PGDATABASE=app pg_sql "INSERT INTO t VALUES (1000)"
	sleep 1.1 # backup names have a one-second resolution
	"$BIN/pgwarden-backupper" --once 2>/dev/null
	real=$(ls "$BACKUPS"/backup_*_app.sql.gz | sort | tail -1)
	tomorrow=$(date -u -d tomorrow +%Y%m%d_%H%M%S)
	fut="$BACKUPS/backup_${tomorrow}_app.sql.gz"
	cp "$old" "$fut"
	sed -e "s/^file = .*/file = $(basename "$fut")/" "$old.manifest" >"$fut.manifest"
	# the monitor flags it once, and the backups are not stale
	export BACKUP_MAX_AGE=1h
	start_sidecar monitor
	wait_for "ls $BACKUPS/alert-*-WARNING-backup-future" 20
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	! ls "$BACKUPS"/alert-*-backup-stale 2>/dev/null
	j=$(status_json)
	[ "$(jq -r .backups.last_valid.file <<<"$j")" = "$(basename "$real")" ]
	[ "$(jq -r .backups.future <<<"$j")" = 1 ]
	"$BIN/pgwarden" status --check
	run "$BIN/pgwarden" status
	[[ "$output" == *"future-dated"*"$(basename "$fut")"* ]]
	[[ "$output" != *"taken in"* ]]
	# a restore takes the real newest, with the newest row
	PGDATABASE=app pg_sql "DELETE FROM t"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	grep -q "^backup = $(basename "$real")" "$BACKUPS/restorer.status"
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM t WHERE id = 1000")" = 1 ]
}

@test "recovering, then after the recovery: in progress, then the last recovery with its backup and RTO" {
	start_sidecar monitor
	"$BIN/pgwarden-backupper" --once 2>/dev/null
	# what the restorer writes while it works
	printf 'pid = 1\nstarted = 2026-01-01T00:00:00Z\nreason = test\nphase = restoring\nbackup = x\n' >"$BACKUPS/recovery-in-progress"
	# nobody holds it: stale, and said so
	run "$BIN/pgwarden" status --check
	[ "$status" -eq 7 ]
	[[ "$output" == *"a stale recovery-in-progress"* ]]
	# held, as a running restorer holds it
	flock "$BACKUPS/recovery-in-progress" sleep 30 >/dev/null 3>&- &
	holder=$!
	wait_for "! flock -n '$BACKUPS/recovery-in-progress' true" 5
	run "$BIN/pgwarden" status --check
	[ "$status" -eq 7 ]
	[[ "$output" == *"IN PROGRESS since 2026-01-01T00:00:00Z, phase restoring"* ]]
	[ "$(status_json | jq -r .recovery.in_progress)" = true ]
	grep -q '^pgwarden_recovery_in_progress 1$' "$BACKUPS/metrics.prom" ||
		wait_for "grep -q '^pgwarden_recovery_in_progress 1$' $BACKUPS/metrics.prom" 5
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	rm "$BACKUPS/recovery-in-progress"
	# a real recovery
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	j=$(status_json)
	[ "$(jq -r .recovery.in_progress <<<"$j")" = false ]
	[ "$(jq -r .recovery.last_result <<<"$j")" = restored ]
	[ "$(jq -r .recovery.last_backup <<<"$j")" = "$(jq -r .backups.last_valid.file <<<"$j")" ]
	[ "$(jq -r .recovery.last_rto_ms <<<"$j")" -gt 0 ]
	[ "$(jq -r .recovery.total <<<"$j")" = 1 ]
	run "$BIN/pgwarden" status
	[[ "$output" == *"last recovery    "*" restored from backup_"*"(RTO "* ]]
	wait_for "grep -q '^pgwarden_recoveries_total 1$' $BACKUPS/metrics.prom" 5
}

@test "--alive: exit 0 while the sidecar holds its lock, 7 when it is gone" {
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	"$BIN/pgwarden" status --alive monitor
	run "$BIN/pgwarden" status --alive backupper
	[ "$status" -eq 7 ]
	[[ "$output" == *"backupper is not running"* ]]
	stop_sidecars
	run "$BIN/pgwarden" status --alive monitor
	[ "$status" -eq 7 ]
	run "$BIN/pgwarden" status --bogus
	[ "$status" -eq 3 ]
}

@test "a dead sidecar is no longer healthy: --check names it, its request is unclaimed, the monitor alerts, and again when it is back" {
	export PGWARDEN_SIDECAR_TIMEOUT=3 BACKUP_MAX_AGE=1h
	start_sidecar monitor
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 30
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	run "$BIN/pgwarden" status --check
	[ "$status" -eq 0 ]
	kill9_sidecar
	touch "$BACKUPS/request-backup"
	run "$BIN/pgwarden" status --check
	[ "$status" -eq 7 ]
	[[ "$output" == *"the backupper sidecar is not running"* ]]
	run "$BIN/pgwarden" status
	[[ "$output" == *"sidecars         monitor up, backupper DOWN, restorer -, db -"* ]]
	[ "$(status_json | jq -r .sidecars.backupper)" = down ]
	wait_for "ls $BACKUPS/alert-*-ERROR-sidecar-down" 20
	grep -q "backupper sidecar has not been running" "$BACKUPS"/alert-*-ERROR-sidecar-down
	wait_for "ls $BACKUPS/alert-*-WARNING-request-unclaimed" 20
	run "$BIN/pgwarden" status --check
	[[ "$output" == *"nobody is taking request-backup"* ]]
	start_sidecar backupper
	wait_for "ls $BACKUPS/alert-*-SUCCESS-sidecar-up" 20
	wait_for "[ ! -e $BACKUPS/request-backup ]" 30
	run "$BIN/pgwarden" status --check
	[ "$status" -eq 0 ]
}
