#!/usr/bin/env bats
# The long-running loops under valgrind: no invalid access, nothing leaked
# after many iterations and a SIGTERM.

load helpers

setup_file() {
	cluster_up
	pg_sql "CREATE DATABASE app"
	PGDATABASE=app pg_sql "CREATE TABLE t AS SELECT g, md5(g::text) v FROM generate_series(1, 20000) g"
}
teardown_file() { cluster_down; }
setup() {
	backups_fresh
	export PGWARDEN_DATABASE=app PGWARDEN_BACKUP_DATABASES=app PGWARDEN_BACKUP_SCHEDULE=off
	export PGWARDEN_INIT_DIR=$ROOT/config/init PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations
}
teardown() { backups_cleanup; }

# vg NAME: start build/pgwarden-NAME under valgrind; the pid in $VG_PID
vg() {
	valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=99 --log-file="$BACKUPS.vg" "$BIN/pgwarden-$1" 2>>"$BACKUPS.$1.stderr" >/dev/null 3>&- &
	VG_PID=$!
	PIDS+=("$VG_PID")
	wait_for "grep -q started $BACKUPS.$1.stderr" 30
}

vg_stop() {
	kill -TERM "$VG_PID"
	wait "$VG_PID"
	local rc=$?
	grep -E "ERROR SUMMARY|in use at exit" "$BACKUPS.vg" | sed "s|^|# |" >&3 || true
	[ "$rc" -eq 0 ]
	grep -q "ERROR SUMMARY: 0 errors" "$BACKUPS.vg"
}

@test "monitor: 15 checks and a followed log under valgrind" {
	HEALTH_CHECK_INTERVAL=1 PGWARDEN_SERVER_LOG=$PGW_CLUSTER/postgres.log vg monitor
	wait_for "[ \$(grep -c . $BACKUPS/monitor.status) -gt 0 ]" 30
	sleep 15
	vg_stop
}

@test "monitor: alert delivery thread (a 500, a retry, a burst) under valgrind" {
	fake_start
	printf '500\n' >"$FAKE/plan"
	HEALTH_CHECK_INTERVAL=1 TELEGRAM_API_URL=http://127.0.0.1:$FAKE_PORT \
		TELEGRAM_BOT_TOKEN=1:vgtoken TELEGRAM_CHAT_ID=1 vg monitor
	"$BIN/pgwarden" alert error vg-one 'vg-one: first' 2>/dev/null
	for i in 1 2 3 4 5; do "$BIN/pgwarden" alert warning vg-burst 'vg-burst: same' 2>/dev/null; done
	wait_for "[ \$(grep -l '^delivery: sent' $BACKUPS/alert-*-vg-* | wc -l) -ge 2 ]" 60
	vg_stop
	# the 500 and its retry; the burst collapsed into its first alert. Exact
	# message counts are 50-alerts' business: under valgrind on a loaded
	# machine a reply can miss its timeout and be retried once more.
	sent=$(jq -r .form.text "$FAKE/requests.jsonl" | grep -o 'vg-[a-z]*: [a-z]*')
	echo "$sent" | sed 's/^/# /' >&3
	[ "$(echo "$sent" | grep -c 'vg-one')" -ge 2 ]
	[ "$(echo "$sent" | grep -c 'vg-burst')" -ge 1 ]
	[ "$(grep -l '^delivery: collapsed into' "$BACKUPS"/alert-*-vg-burst* | wc -l)" -eq 4 ]
}

@test "backupper: three backups and retention under valgrind" {
	PGWARDEN_BACKUP_SCHEDULE="@every 3s" PGWARDEN_COMPRESS_THREADS=2 vg backupper
	wait_for "[ \$(ls $BACKUPS/globals_*.manifest 2>/dev/null | wc -l) -ge 3 ]" 120
	vg_stop
}

@test "restorer: one recovery under valgrind" {
	"$BIN/pgwarden-backupper" --once 2>/dev/null
	vg restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 120
	vg_stop
}
