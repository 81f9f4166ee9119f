#!/usr/bin/env bats
# Foundation: config handling, request consumption, signals, the test cluster.

load helpers

setup_file() { cluster_up; }
teardown_file() { cluster_down; }
setup() { backups_fresh; }
teardown() { backups_cleanup; }

@test "the throwaway cluster runs real SQL with data checksums on" {
	run pg_sql "SHOW data_checksums"
	[ "$status" -eq 0 ]
	[ "$output" = "on" ]
	run pg_sql "CREATE TABLE t(x int); INSERT INTO t SELECT generate_series(1,10); SELECT sum(x) FROM t; DROP TABLE t"
	[ "$output" = "55" ]
}

@test "a non-numeric MAX_FAILURE_COUNT stops every sidecar with exit 2 naming key and source" {
	for s in monitor backupper restorer; do
		MAX_FAILURE_COUNT=abc run "$BIN/pgwarden-$s"
		[ "$status" -eq 2 ]
		[[ "$output" == *"max_failure_count"*"environment MAX_FAILURE_COUNT"*"not an integer"* ]]
		[ "$(echo "$output" | wc -l)" -eq 1 ]
	done
}

@test "a negative interval, an unknown key and an unreadable file are config errors (exit 2)" {
	HEALTH_CHECK_INTERVAL=-5 run "$BIN/pgwarden-monitor"
	[ "$status" -eq 2 ]
	[[ "$output" == *"health_check_interval"*"HEALTH_CHECK_INTERVAL"* ]]

	printf '[monitor]\nmax_failure_cuont = 3\n' >"$BACKUPS/bad.ini"
	run "$BIN/pgwarden-monitor" --config "$BACKUPS/bad.ini"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown key 'max_failure_cuont'"*"bad.ini"* ]]

	printf '[monitor]\nmax_failure_count = 0\n' >"$BACKUPS/zero.ini"
	run "$BIN/pgwarden-monitor" --config "$BACKUPS/zero.ini"
	[ "$status" -eq 2 ]
	[[ "$output" == *"max_failure_count"*"zero.ini"*"out of range"* ]]

	run "$BIN/pgwarden-backupper" --config "$BACKUPS/missing.ini"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unable to read config file"*"missing.ini"*"No such file"* ]]

	PGWARDEN_BACKUP_SCHEDULE="25:00" run "$BIN/pgwarden-backupper"
	[ "$status" -eq 2 ]
	[[ "$output" == *"schedule"*"PGWARDEN_BACKUP_SCHEDULE"* ]]
}

@test "config that is not a config: a directory, a key before any section, a duplicate key, a never-firing schedule, 7-field cron (exit 2)" {
	mkdir "$BACKUPS/conf.d"
	for b in monitor backupper restorer db; do
		run "$BIN/pgwarden-$b" --config "$BACKUPS/conf.d" --check-config
		[ "$status" -eq 2 ]
		[[ "$output" == *"conf.d"*"it is a directory"* ]]
	done
	printf 'max_failure_count = 9\n[monitor]\n' >"$BACKUPS/nosec.ini"
	run "$BIN/pgwarden-monitor" --config "$BACKUPS/nosec.ini" --check-config
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 1: key 'max_failure_count' comes before any [section]"* ]]
	printf '[monitor]\nmax_failure_count = 3\nmax_failure_count = 30\n' >"$BACKUPS/dup.ini"
	run "$BIN/pgwarden-monitor" --config "$BACKUPS/dup.ini" --check-config
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 3: key 'max_failure_count' is given twice in [monitor]"* ]]
	printf '[backupper]\nschedule = 0 6 * * * %01100d\n' 0 >"$BACKUPS/long.ini"
	run "$BIN/pgwarden-backupper" --config "$BACKUPS/long.ini" --check-config
	[ "$status" -eq 2 ]
	[[ "$output" == *"the value of 'schedule' is too long"* ]]
	PGWARDEN_BACKUP_SCHEDULE="0 0 30 2 *" run "$BIN/pgwarden-backupper" --check-config
	[ "$status" -eq 2 ]
	[[ "$output" == *"never fires"* ]]
	PGWARDEN_BACKUP_SCHEDULE="0 0 6 * * * 2030" run "$BIN/pgwarden-backupper" --check-config
	[ "$status" -eq 2 ]
}

@test "--check-config validates, prints the effective values and exits 0" {
	printf '[monitor]\nhealth_check_interval = 5m\n' >"$BACKUPS/ok.ini"
	MAX_FAILURE_COUNT=7 run "$BIN/pgwarden-monitor" --config "$BACKUPS/ok.ini" --check-config
	[ "$status" -eq 0 ]
	[[ "$output" == *"health_check_interval = 300"* ]]
	[[ "$output" == *"max_failure_count = 7"* ]]
	run "$BIN/pgwarden-monitor" --bogus
	[ "$status" -eq 3 ]
}

@test "an unusable backups directory exits 4; a second instance exits 5" {
	touch "$BACKUPS/file"
	PGWARDEN_BACKUP_DIR=$BACKUPS/file run "$BIN/pgwarden-backupper"
	[ "$status" -eq 4 ]
	[[ "$output" == *"not a directory"* ]]
	start_sidecar backupper
	run "$BIN/pgwarden-backupper"
	[ "$status" -eq 5 ]
	[[ "$output" == *"another backupper is already running"* ]]
}

@test "touching a request file 50 times in a row is consumed once per burst, by each sidecar" {
	export PGWARDEN_BACKUP_SCHEDULE=off PGWARDEN_DATABASE=foundation_scratch
	export PGWARDEN_INIT_DIR=$ROOT/config/init PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations
	start_sidecar monitor
	start_sidecar backupper
	start_sidecar restorer
	for req in request-backup request-restore; do
		for i in $(seq 50); do touch "$BACKUPS/$req"; done
	done
	wait_for "[ ! -e '$BACKUPS/request-backup' ] && [ ! -e '$BACKUPS/request-restore' ]" 10
	sleep 1
	# the recovery may pre-empt the backup, which then runs once more
	# "after a recovery": that one is not the burst's
	wait_for "! grep -q 'runs again after it' $BACKUPS/backup.log || grep -q 'after a recovery that pre-empted' $BACKUPS/backup.log" 20
	[ "$(grep -c 'backup starting (requested)$' "$BACKUPS/backup.log")" -eq 1 ]
	[ "$(grep -c 'restore requested' "$BACKUPS/recovery.log")" -eq 1 ]
	# a second burst is a second request
	for i in $(seq 50); do touch "$BACKUPS/request-backup"; done
	wait_for "[ \$(grep -c 'backup starting (requested)$' '$BACKUPS/backup.log') -eq 2 ]" 10
	for p in "${PIDS[@]}"; do kill -0 "$p"; done
}

@test "a request file that is a symlink or a directory is rejected with an ERROR alert, its target untouched" {
	start_sidecar backupper
	echo precious >"$BACKUPS/../pgw-target.$$"
	ln -s "$BACKUPS/../pgw-target.$$" "$BACKUPS/request-backup"
	wait_for "[ ! -L '$BACKUPS/request-backup' ]" 10
	[ "$(cat "$BACKUPS/../pgw-target.$$")" = precious ]
	rm -f "$BACKUPS/../pgw-target.$$"
	mkdir "$BACKUPS/request-backup"
	wait_for "[ ! -d '$BACKUPS/request-backup' ]" 10
	[ "$(count_files "$BACKUPS" 'alert-*-ERROR-request-rejected*')" -eq 2 ]
	grep -q "symlink" "$BACKUPS/backup.log"
	grep -q "directory" "$BACKUPS/backup.log"
	kill -0 "$SIDECAR_PID"
}

@test "SIGTERM stops each sidecar within 2 s with exit 0 and leaves no temp files" {
	for s in monitor backupper restorer; do
		start_sidecar "$s"
		local t0=$(date +%s%N)
		kill -TERM "$SIDECAR_PID"
		wait "$SIDECAR_PID"
		local rc=$? t1=$(date +%s%N)
		[ "$rc" -eq 0 ]
		[ $(((t1 - t0) / 1000000)) -lt 2000 ]
		PIDS=()
	done
	[ -z "$(find "$BACKUPS" -name '*.tmp*' -o -name '.claimed-*' -o -name '*.partial')" ]
}

@test "SIGHUP reloads; a bad reload keeps the old configuration" {
	printf '[general]\nlog_level = info\n' >"$BACKUPS/cfg.ini"
	start_sidecar backupper --config "$BACKUPS/cfg.ini"
	printf '[general]\nlog_level = loud\n' >"$BACKUPS/cfg.ini"
	kill -HUP "$SIDECAR_PID"
	wait_for "grep -q 'reload failed, keeping the old configuration' '$BACKUPS/backup.log'" 5
	grep -q "log_level" "$BACKUPS/backup.log"
	printf '[general]\nlog_level = debug\n' >"$BACKUPS/cfg.ini"
	kill -HUP "$SIDECAR_PID"
	wait_for "grep -q 'configuration reloaded' '$BACKUPS/backup.log'" 5
	kill -0 "$SIDECAR_PID"
}

@test "a ConfigMap update (the ..data symlink swapped under a directory mount) reloads without SIGHUP; a bad one keeps the old config" {
	cm="$BACKUPS/cm"
	mkdir -p "$cm/..v1"
	printf '[general]\nlog_level = info\n' >"$cm/..v1/pgwarden.ini"
	ln -s ..v1 "$cm/..data"
	ln -s ..data/pgwarden.ini "$cm/pgwarden.ini"
	start_sidecar backupper --config "$cm/pgwarden.ini"
	# as kubelet does it: a new version directory, then an atomic rename
	swap() {
		mkdir "$cm/..$1"
		printf '[general]\nlog_level = %s\n' "$2" >"$cm/..$1/pgwarden.ini"
		ln -s "..$1" "$cm/..data_tmp"
		mv -T "$cm/..data_tmp" "$cm/..data"
	}
	swap v2 loud
	wait_for "grep -q 'reload failed, keeping the old configuration.*log_level' '$BACKUPS/backup.log'" 10
	grep -q "config file '$cm/pgwarden.ini' changed: reloading" "$BACKUPS/backup.log"
	swap v3 debug
	wait_for "grep -q 'configuration reloaded' '$BACKUPS/backup.log'" 10
	kill -0 "$SIDECAR_PID"
}

@test "no test, benchmark or script signals processes by name (pkill -f, killall, pgrep -f): only what it started, by pid" {
	run grep -rnE '(^|[^[:alnum:]_-])(killall|pkill[^|;&]* -f|pgrep[^|;&]* -f)( |$)' \
		"$ROOT/tests" "$ROOT/bench" "$ROOT/config" "$ROOT/Makefile" "$ROOT/.ci" --include='*' -I
	# this test names them: it is the only hit allowed
	hits=$(echo "$output" | grep -v '00-foundation.bats' || true)
	[ -z "$hits" ] || { echo "$hits"; false; }
}
