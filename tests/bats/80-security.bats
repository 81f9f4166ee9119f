#!/usr/bin/env bats
# Security: secrets never leave their files, hostile paths are refused,
# files and directories are private.

load helpers

PW=Pw-s3cret-4711
TOKEN=987654:SECRET-bot-token_abc
HOOK=hook-cred-31337

setup_file() {
	cluster_up
	pg_sql "CREATE ROLE sec LOGIN SUPERUSER PASSWORD '$PW'"
	sed -i '1i local all sec scram-sha-256' "$PGW_CLUSTER/data/pg_hba.conf"
	pg_sql "SELECT pg_reload_conf()" >/dev/null
	pg_sql "CREATE DATABASE app"
	PGDATABASE=app pg_sql "CREATE TABLE t AS SELECT generate_series(1, 1000) id"
}
teardown_file() { cluster_down; }
setup() {
	backups_fresh
	export PGWARDEN_DATABASE=app PGWARDEN_BACKUP_DATABASES=app PGWARDEN_BACKUP_SCHEDULE=off
	export PGWARDEN_INIT_DIR=$ROOT/config/init PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations
	export HEALTH_CHECK_INTERVAL=1 BACKUP_MAX_AGE=0
}
teardown() { backups_cleanup; }

@test "a full run (backup, drill, recovery, alerts) leaves the password, bot token and webhook credentials nowhere: files, logs, argv" {
	fake_start
	umask 022 # the sidecars must not depend on the caller's umask
	printf '%s\n' "$PW" >"$BACKUPS.pw"
	printf '%s\n' "$TOKEN" >"$BACKUPS.token"
	printf 'http://u:%s@127.0.0.1:%s/hook?k=%s\n' "$HOOK" "$FAKE_PORT" "$HOOK" >"$BACKUPS.hook"
	export PGUSER=sec PGWARDEN_PASSWORD_FILE=$BACKUPS.pw TELEGRAM_BOT_TOKEN_FILE=$BACKUPS.token
	export WEBHOOK_URL_FILE=$BACKUPS.hook TELEGRAM_CHAT_ID=42 TELEGRAM_API_URL=http://127.0.0.1:$FAKE_PORT
	unset PGPASSWORD
	start_sidecar monitor
	start_sidecar backupper
	start_sidecar restorer
	# watch every process's argv while they work
	(while [ ! -e "$BACKUPS.argv-stop" ] && [ -d "$BACKUPS" ]; do cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' '; echo; sleep 0.05; done) >"$BACKUPS.argv" 3>&- &
	argv_pid=$!
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-backup" 30
	touch "$BACKUPS/request-verify"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-verification" 60
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	wait_for "[ \$(grep -l '^delivery: sent' $BACKUPS/alert-* | wc -l) -ge 3 ]" 30
	# a short pg_dump can fall between two samples on a loaded machine:
	# more backups until the watcher has seen one
	for i in $(seq 10); do
		grep -q 'pg_dump' "$BACKUPS.argv" && break
		n=$(count_files "$BACKUPS" 'alert-*-SUCCESS-backup')
		touch "$BACKUPS/request-backup"
		wait_for "[ \$(count_files $BACKUPS 'alert-*-SUCCESS-backup') -gt $n ]" 30
	done
	touch "$BACKUPS.argv-stop"
	wait "$argv_pid"
	"$BIN/pgwarden" status --json >"$BACKUPS.status"
	"$BIN/pgwarden" status >>"$BACKUPS.status"
	grep -q 'pg_dump' "$BACKUPS.argv" # the watcher did see the children
	for s in "$PW" "SECRET-bot-token" "$HOOK"; do
		! grep -r -- "$s" "$BACKUPS" "$BACKUPS".*.stderr "$BACKUPS.argv" "$BACKUPS.status"
	done
	# the receiver did get them: the secrets were in use, not absent
	grep -q "/bot$TOKEN/sendMessage" "$FAKE/requests.jsonl"
	grep -q "k=$HOOK" "$FAKE/requests.jsonl"
	# everything the sidecars created is private despite umask 022
	[ -z "$(find "$BACKUPS" -mindepth 1 -type f ! -perm 0600)" ]
	[ -z "$(find "$BACKUPS" -mindepth 1 -type d ! -perm 0700)" ]
}

@test "the backups directory: world-writable (even sticky) or another user's is refused at start (exit 4)" {
	chmod 1777 "$BACKUPS"
	run "$BIN/pgwarden-monitor" --once
	[ "$status" -eq 4 ]
	[[ "$output" == *"is world-writable (mode 1777)"* ]]
	chmod 0700 "$BACKUPS"
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody "$BACKUPS"
		run "$BIN/pgwarden-backupper" --once
		[ "$status" -eq 4 ]
		[[ "$output" == *"is owned by uid $(id -u nobody), not by us"* ]]
		chown root "$BACKUPS"
	fi
}

@test "hostile names from outside: traversal, symlinks and absolute paths are refused everywhere" {
	"$BIN/pgwarden-backupper" --once 2>/dev/null
	good=$(cd "$BACKUPS" && ls backup_*_app.sql.gz)
	echo "outside" >"$BACKUPS.outside.sql.gz"
	ln -s "$BACKUPS.outside.sql.gz" "$BACKUPS/backup_20200101_000000_app.sql.gz"
	for bad in "../$(basename "$BACKUPS").outside.sql.gz" "/etc/passwd" "backup_20200101_000000_app.sql.gz" "$good/../$good"; do
		run "$BIN/pgwarden" restore --backup "$bad" --dry-run
		[ "$status" -ne 0 ]
	done
	# the same names in a request file: refused with an alert, nothing restored
	start_sidecar restorer
	echo "backup=../$(basename "$BACKUPS").outside.sql.gz" >"$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-request-rejected $BACKUPS/alert-*-recovery-failed 2>/dev/null | grep -q ." 15
	[ "$(count_files "$BACKUPS" 'alert-*-SUCCESS-recovery')" = 0 ]
	# a request that is itself a symlink: removed, its target untouched
	ln -s /etc/hostname "$BACKUPS/request-backup"
	start_sidecar backupper
	wait_for "[ ! -L $BACKUPS/request-backup ]" 10
	[ -s /etc/hostname ]
	# and the real name still passes: the refusals above were not blanket
	"$BIN/pgwarden" restore --backup "$good" --dry-run
}

# exit_code_of PID SECONDS: wait for a sidecar of this test to end; its
# exit code in $EXIT_CODE
exit_code_of() {
	wait_for "! kill -0 $1 2>/dev/null" "$2" || return 1
	EXIT_CODE=0
	wait "$1" || EXIT_CODE=$?
}

@test "the backups directory swapped for a symlink to a world-writable one while running: every sidecar stops (exit 4), the CRITICAL goes straight to the webhook" {
	fake_start
	export WEBHOOK_URL="http://127.0.0.1:$FAKE_PORT/hook"
	start_sidecar monitor
	mon=$SIDECAR_PID
	start_sidecar backupper
	bak=$SIDECAR_PID
	start_sidecar restorer
	res=$SIDECAR_PID
	ww=$(mktemp -d "${TMPDIR:-/tmp}/pgw-ww-XXXXXX")
	chmod 0777 "$ww"
	mv "$BACKUPS" "$BACKUPS.real"
	ln -s "$ww" "$BACKUPS"
	for p in $mon $bak $res; do
		exit_code_of "$p" 20
		[ "$EXIT_CODE" = 4 ]
	done
	PIDS=()
	grep -q "CRITICAL: the backups directory changed while running" "$BACKUPS.monitor.stderr"
	grep -q "world-writable" "$BACKUPS.backupper.stderr"
	wait_for "grep -q 'backups-dir-unsafe' '$FAKE/requests.jsonl'" 10
	# no sidecar wrote a request or a backup there
	[ -z "$(find "$ww" -name 'request-*' -o -name 'backup_*')" ]
	rm "$BACKUPS"
	mv "$BACKUPS.real" "$BACKUPS"
	rm -rf "$ww"
}

@test "the backups directory deleted and created again: the sidecar takes its lock there again, --alive stays true, a second one is refused" {
	start_sidecar backupper
	rm -rf "$BACKUPS"
	mkdir -m 0700 "$BACKUPS"
	wait_for "ls $BACKUPS/alert-*-WARNING-backups-dir-replaced" 20
	run "$BIN/pgwarden" status --alive backupper
	[ "$status" -eq 0 ]
	run "$BIN/pgwarden-backupper"
	[ "$status" -eq 5 ]
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 30
	grep -q "lock, logs and watch taken again" "$BACKUPS/backup.log"
}
