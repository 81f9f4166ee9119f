#!/usr/bin/env bats
# Alerts that reach people: Telegram and webhook delivery by the monitor,
# against a local stand-in for the Telegram API (tests/lib/fake_http.py).

load helpers

TOKEN=123456789:AAH-secretTOKENvalue_xyz
WEBHOOK_SECRET=hooksecret42

setup_file() { cluster_up; }
teardown_file() { cluster_down; }

setup() {
	backups_fresh
	export HEALTH_CHECK_INTERVAL=1 PGWARDEN_DATABASE=postgres BACKUP_MAX_AGE=0
	export PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations
	pg_sql "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, name text, applied_at timestamptz DEFAULT now()); INSERT INTO schema_migrations VALUES ('0002', 'x') ON CONFLICT DO NOTHING"
	fake_start
	export TELEGRAM_API_URL=http://127.0.0.1:$FAKE_PORT TELEGRAM_BOT_TOKEN=$TOKEN
	export TELEGRAM_CHAT_ID=-1001234
}

teardown() { backups_cleanup; }


# The text of the only alert file of an event.
alert_of() { cat "$BACKUPS"/alert-*-"$1"; }

@test "telegram: POST sendMessage with chat_id, HTML mode and escaped values; token nowhere on disk" {
	start_sidecar monitor
	"$BIN/pgwarden" alert --details 'detail <i> & a_b *c*' warning drill 'value <b>&</b> snake_case *star*'
	wait_for "[ \$(nreq) -ge 1 ]" 10
	wait_for "grep -q '^delivery: sent' $BACKUPS/alert-*-drill" 5
	r=$(req 1)
	[ "$(jq -r .method <<<"$r")" = POST ]
	[ "$(jq -r .path <<<"$r")" = "/bot$TOKEN/sendMessage" ]
	[ "$(jq -r .content_type <<<"$r")" = application/x-www-form-urlencoded ]
	[ "$(jq -r .form.chat_id <<<"$r")" = -1001234 ]
	[ "$(jq -r .form.parse_mode <<<"$r")" = HTML ]
	text=$(jq -r .form.text <<<"$r")
	[[ "$text" == *"<b>⚠️ Manual Alert - WARNING</b>"* ]]
	[[ "$text" == *'value &lt;b&gt;&amp;&lt;/b&gt; snake_case *star*'* ]]
	[[ "$text" == *'detail &lt;i&gt; &amp; a_b *c*'* ]]
	[[ "$text" == *"<b>Environment:</b> Development"* ]]
	[[ "$text" == *"pgwarden status"* ]]
	sleep 1
	[ "$(nreq)" = 1 ]
	! grep -r -- "AAH-secretTOKEN" "$BACKUPS" "$BACKUPS".*.stderr
}

@test "telegram MarkdownV2: every reserved character escaped" {
	export TELEGRAM_PARSE_MODE=markdownv2
	start_sidecar monitor
	"$BIN/pgwarden" alert error drill 'a_b *c* [d](e) 1.5! x-y <&>'
	wait_for "[ \$(nreq) -ge 1 ]" 10
	r=$(req 1)
	[ "$(jq -r .form.parse_mode <<<"$r")" = MarkdownV2 ]
	text=$(jq -r .form.text <<<"$r")
	[[ "$text" == *'a\_b \*c\* \[d\]\(e\) 1\.5\! x\-y <&\>'* ]]
	[[ "$text" == *'*❌ Manual Alert \- ERROR*'* ]]
}

@test "webhook: JSON POST with the alert's fields; URL credentials never logged" {
	unset TELEGRAM_BOT_TOKEN
	export WEBHOOK_URL="http://user:$WEBHOOK_SECRET@127.0.0.1:$FAKE_PORT/hook?key=$WEBHOOK_SECRET"
	start_sidecar monitor
	"$BIN/pgwarden" alert critical drill 'quote " backslash \ newline'
	wait_for "[ \$(nreq) -ge 1 ]" 10
	r=$(req 1)
	[ "$(jq -r .path <<<"$r")" = "/hook?key=$WEBHOOK_SECRET" ]
	[ "$(jq -r .content_type <<<"$r")" = application/json ]
	body=$(jq -r .body <<<"$r")
	[ "$(jq -r .severity <<<"$body")" = CRITICAL ]
	[ "$(jq -r .event <<<"$body")" = drill ]
	[ "$(jq -r .message <<<"$body")" = 'quote " backslash \ newline' ]
	[ "$(jq -r .count <<<"$body")" = 1 ]
	[[ "$(jq -r .text <<<"$body")" == *"🚨 Manual Alert - CRITICAL"* ]]
	wait_for "grep -q '^delivery: sent .* via webhook' $BACKUPS/alert-*-drill" 5
	! grep -r -- "$WEBHOOK_SECRET" "$BACKUPS" "$BACKUPS".*.stderr
}

@test "HTTP 500 twice then 200: delivered once, after backoff" {
	printf '500\n500\n200\n' >"$FAKE/plan"
	start_sidecar monitor
	"$BIN/pgwarden" alert error drill 'flaky receiver'
	wait_for "grep -q '^delivery: sent' $BACKUPS/alert-*-drill" 15
	[ "$(nreq)" = 3 ]
	sleep 2
	[ "$(nreq)" = 3 ]
	grep -q "telegram failed (HTTP 500: planned failure 500), retrying" "$BACKUPS/health-monitor.log"
}

@test "HTTP 429 with retry_after=2: the next attempt waits at least 2 s" {
	printf '429 2\n200\n' >"$FAKE/plan"
	start_sidecar monitor
	"$BIN/pgwarden" alert error drill 'rate limited'
	wait_for "[ \$(nreq) -ge 2 ]" 15
	t1=$(jq -r .time <<<"$(req 1)")
	t2=$(jq -r .time <<<"$(req 2)")
	awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b - a >= 2.0 && b - a < 4.0) }'
	wait_for "grep -q '^delivery: sent' $BACKUPS/alert-*-drill" 5
}

@test "4xx other than 429 gives up at once; retry_for bounds the rest; undelivered is retried at restart" {
	printf '400\n' >"$FAKE/plan"
	start_sidecar monitor
	"$BIN/pgwarden" alert error drill 'bad request'
	wait_for "grep -q '^delivery: undelivered' $BACKUPS/alert-*-drill" 10
	grep -q 'HTTP 400: planned failure 400 after 1 attempt' "$BACKUPS"/alert-*-drill
	[ "$(nreq)" = 1 ]
	stop_sidecars
	start_sidecar monitor
	wait_for "grep -q '^delivery: sent' $BACKUPS/alert-*-drill" 10
	[ "$(nreq)" = 2 ]
}

@test "receiver down: a backup completes on time; the alert is retried and delivered later" {
	fake_stop keep
	export ALERT_RETRY_FOR=5m
	start_sidecar monitor
	start_sidecar backupper
	t0=$(date +%s)
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-backup" 30
	[ $(($(date +%s) - t0)) -lt 15 ]
	grep -q '^status = valid' "$BACKUPS"/backup_*_postgres.sql.gz.manifest
	wait_for "grep -q 'telegram failed' $BACKUPS/health-monitor.log" 10
	! grep -q '^delivery:' "$BACKUPS"/alert-*-SUCCESS-backup
	# the receiver comes back on the same port
	fake_start "$FAKE_PORT"
	wait_for "grep -q '^delivery: sent' $BACKUPS/alert-*-SUCCESS-backup" 90
	text=$(jq -r .form.text <<<"$(req 1)")
	[[ "$text" == *"Backup Details:"* ]]
	[[ "$text" == *"Next backup at"* ]]
}

@test "100 identical alerts in a second: one message with the count" {
	start_sidecar monitor
	local pids=() p
	for i in $(seq 100); do
		"$BIN/pgwarden" alert critical storm 'same thing again' 2>/dev/null >/dev/null 3>&- &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	wait_for "grep -q '^delivery: sent' $BACKUPS/alert-*-storm*" 15
	sleep 3
	[ "$(nreq)" = 1 ]
	[[ "$(jq -r .form.text <<<"$(req 1)")" == *"Repeated 100 times"* ]]
	# same-millisecond twins get a "-N" suffix: every one is kept
	[ "$(count_files "$BACKUPS" 'alert-*-storm*')" = 100 ]
	[ "$(grep -l '^delivery: collapsed into' "$BACKUPS"/alert-*-storm* | wc -l)" = 99 ]
}

@test "late duplicates inside the window: one more message when the window closes" {
	export ALERT_DEDUP_WINDOW=6s
	start_sidecar monitor
	"$BIN/pgwarden" alert warning late 'again'
	wait_for "[ \$(nreq) -ge 1 ]" 10
	"$BIN/pgwarden" alert warning late 'again'
	"$BIN/pgwarden" alert warning late 'again'
	sleep 1
	[ "$(nreq)" = 1 ]
	wait_for "[ \$(nreq) -ge 2 ]" 10
	[[ "$(jq -r .form.text <<<"$(req 2)")" == *"Repeated 2 times"* ]]
}

@test "min_severity: alerts below it are marked skipped and not sent" {
	export ALERT_MIN_SEVERITY=error
	start_sidecar monitor
	"$BIN/pgwarden" alert success fine 'all good'
	"$BIN/pgwarden" alert error bad 'not good'
	wait_for "grep -q '^delivery: sent' $BACKUPS/alert-*-bad" 10
	grep -q '^delivery: skipped: below min_severity ERROR' "$BACKUPS"/alert-*-fine
	[ "$(nreq)" = 1 ]
}

@test "dead man's switch: stale backups raise one CRITICAL; a fresh backup clears it" {
	export BACKUP_MAX_AGE=2s
	start_sidecar monitor
	wait_for "ls $BACKUPS/alert-*-CRITICAL-backup-stale" 10
	grep -q 'newest valid backup is none' "$BACKUPS"/alert-*-backup-stale
	sleep 2
	[ "$(count_files "$BACKUPS" 'alert-*-backup-stale')" = 1 ]
	grep -q '^backup_stale = true' "$BACKUPS/monitor.state"
	export BACKUP_MAX_AGE=1h
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-backup" 30
	stop_sidecars
	start_sidecar monitor
	wait_for "ls $BACKUPS/alert-*-SUCCESS-backup-fresh" 10
}

@test "daily summary: INFO 'all well' with last backup, verification and health" {
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-backup" 30
	export PGWARDEN_DAILY_SUMMARY='@every 2s'
	start_sidecar monitor
	# a summary due before the first check has finished (a loaded machine)
	# cannot say all is well yet; one of the next ones must
	wait_for "grep -l 'All well' $BACKUPS/alert-*-INFO-daily-summary" 20
	a=$(grep -l 'All well' "$BACKUPS"/alert-*-INFO-daily-summary | head -1)
	grep -q 'Last backup: backup_.*_postgres.sql.gz (valid, age 0h 00m)' "$a"
	grep -q 'Health: healthy' "$a"
	grep -q 'Last verified: never' "$a"
}

@test "flapping: one CRITICAL when it goes down, one SUCCESS when it is back, nothing per check" {
	export MAX_FAILURE_COUNT=2 RECOVERY_COOLDOWN=1h
	start_sidecar monitor
	wait_for "grep -q 'health = healthy' $BACKUPS/monitor.status" 10
	pg_stop "$PGW_CLUSTER"
	wait_for "ls $BACKUPS/alert-*-CRITICAL-recovery-requested" 10
	rm -f "$BACKUPS/request-restore"
	# 8 more failed checks: the cooldown suppression is said once
	wait_for "grep -q 'health check failed (8/2)' $BACKUPS/health-monitor.log" 15
	pg_start "$PGW_CLUSTER"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-database-healthy" 10
	[ "$(count_files "$BACKUPS" 'alert-*-recovery-requested')" = 1 ]
	[ "$(count_files "$BACKUPS" 'alert-*-recovery-suppressed')" = 1 ]
	[ "$(count_files "$BACKUPS" 'alert-*-database-healthy')" = 1 ]
	wait_for "[ \$(nreq) -ge 3 ]" 10
}

@test "setup-telegram-alerts.sh --non-interactive: getMe, getUpdates, test message, Secret manifest (0600), token not in argv or output" {
	out=$BACKUPS/secret.yaml
	unset TELEGRAM_CHAT_ID
	run "$ROOT/config/setup-telegram-alerts.sh" --non-interactive --no-apply \
		--api-url "http://127.0.0.1:$FAKE_PORT" --output "$out" --namespace db
	[ "$status" -eq 0 ]
	[[ "$output" != *AAH-secret* ]]
	[ "$(jq -r .path <<<"$(req 1)")" = "/bot$TOKEN/getMe" ]
	[ "$(jq -r .path <<<"$(req 2)")" = "/bot$TOKEN/getUpdates" ]
	[ "$(jq -r .path <<<"$(req 3)")" = "/bot$TOKEN/sendMessage" ]
	[ "$(jq -r .form.chat_id <<<"$(req 3)")" = -1001234 ]
	[ "$(stat -c %a "$out")" = 600 ]
	"$PYTHON" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1]))
assert d["kind"] == "Secret" and d["metadata"]["namespace"] == "db"
assert d["stringData"]["TELEGRAM_CHAT_ID"] == "-1001234"
assert d["stringData"]["TELEGRAM_BOT_TOKEN"] == sys.argv[2]' "$out" "$TOKEN"
	# without --namespace: kubectl's current namespace, not "default"
	printf '#!/bin/sh\ncase "$*" in "config view"*) echo team-a ;; *) exit 1 ;; esac\n' >"$BACKUPS/kubectl"
	chmod +x "$BACKUPS/kubectl"
	run env KUBECTL="$BACKUPS/kubectl" "$ROOT/config/setup-telegram-alerts.sh" --non-interactive --no-apply \
		--api-url "http://127.0.0.1:$FAKE_PORT" --output "$out.ns" --chat-id -5
	[ "$status" -eq 0 ]
	grep -q '^  namespace: team-a$' "$out.ns"
}

@test "setup-telegram-alerts.sh interactive: prompts answered on stdin; a bad token is refused" {
	out=$BACKUPS/secret.yaml
	echo -1009999 >"$FAKE/chat_id"
	run env -u TELEGRAM_BOT_TOKEN -u TELEGRAM_CHAT_ID "$ROOT/config/setup-telegram-alerts.sh" --no-apply \
		--api-url "http://127.0.0.1:$FAKE_PORT" --output "$out" <<<"$TOKEN

y"
	[ "$status" -eq 0 ]
	[[ "$output" == *BotFather* ]]
	[[ "$output" == *"Use chat -1009999?"* ]]
	grep -q 'TELEGRAM_CHAT_ID: "-1009999"' "$out"
	run env -u TELEGRAM_BOT_TOKEN "$ROOT/config/setup-telegram-alerts.sh" --no-apply \
		--api-url "http://127.0.0.1:$FAKE_PORT" --output "$out.2" <<<"not-a-token"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not look like a bot token"* ]]
	[ ! -e "$out.2" ]
}

@test "10,000 pending alerts: bounded memory, the new CRITICAL first, the backlog summarised, rate-limited, flat CPU" {
	export ALERT_RATE_LIMIT=20 TELEGRAM_BOT_TOKEN= WEBHOOK_URL="http://127.0.0.1:$FAKE_PORT/hook"
	mkdir "$BACKUPS/t"
	PGWARDEN_BACKUP_DIR=$BACKUPS/t "$BIN/pgwarden" alert warning drill 'backlog message' 2>/dev/null
	"$PYTHON" "$ROOT/tests/lib/alert_backlog.py" "$BACKUPS" "$(ls "$BACKUPS"/t/alert-*)" 10000
	rm -r "$BACKUPS/t"
	"$BIN/pgwarden" alert critical newest-critical 'the one that matters' 2>/dev/null
	start_sidecar monitor
	mon=$SIDECAR_PID
	wait_for "grep -q 'newest-critical' '$FAKE/requests.jsonl'" 60
	# the CRITICAL went out among the first messages, not after 10,000
	[ "$(grep -n 'newest-critical' "$FAKE/requests.jsonl" | head -1 | cut -d: -f1)" -le 3 ]
	wait_for "ls $BACKUPS/alert-*-WARNING-alert-backlog" 60
	[ "$(grep -l '^delivery: collapsed into the alert-backlog summary' "$BACKUPS"/alert-*-backlog* | wc -l)" -ge 9000 ]
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$mon/status")
	echo "monitor RSS ${rss} kB"
	# ASan's shadow memory is no backlog: the bound is the plain build's
	grep -q libasan "/proc/$mon/maps" || [ "$rss" -lt 32768 ]
	cpu0=$(awk '{print $14 + $15}' "/proc/$mon/stat")
	sleep 10 # a measurement window, not a wait for a condition
	cpu1=$(awk '{print $14 + $15}' "/proc/$mon/stat")
	echo "monitor CPU over 10 s: $((cpu1 - cpu0)) ticks; requests $(nreq)"
	[ $((cpu1 - cpu0)) -lt 100 ] # under 1 s of CPU in 10 s
	# rate-limited: a burst of 20 and 20 a minute, not 10,001 POSTs
	[ "$(nreq)" -le 30 ]
}

@test "a Telegram endpoint that takes the connection and never answers delays no CRITICAL to the webhook" {
	"$PYTHON" "$ROOT/tests/lib/hang_tcp.py" "$FAKE" 2>/dev/null 3>&- &
	PIDS+=($!)
	wait_for "[ -s '$FAKE/hang-port' ]" 10
	export TELEGRAM_API_URL=http://127.0.0.1:$(cat "$FAKE/hang-port") ALERT_SEND_TIMEOUT=15
	export WEBHOOK_URL="http://127.0.0.1:$FAKE_PORT/hook"
	start_sidecar monitor
	for i in 1 2 3; do "$BIN/pgwarden" alert error "slow-$i" "one of three $i" 2>/dev/null; done
	"$BIN/pgwarden" alert critical urgent 'must not wait for telegram' 2>/dev/null
	t0=$(date +%s)
	wait_for "grep -q 'urgent' '$FAKE/requests.jsonl'" 30
	t1=$(date +%s)
	echo "webhook got the CRITICAL after $((t1 - t0)) s"
	# in series, 3 earlier alerts x 15 s of Telegram timeout came first
	[ $((t1 - t0)) -lt 12 ]
}

@test "two backups' SUCCESS alerts in one dedup window are two messages, each with its own details; sizes have units" {
	start_sidecar monitor
	"$BIN/pgwarden" alert --details 'File: backup_1 Size: 812 B' success backup 'Database backup completed successfully!'
	wait_for "[ \$(nreq) -ge 1 ]" 10
	"$BIN/pgwarden" alert --details 'File: backup_2 Size: 3.4 KiB' success backup 'Database backup completed successfully!'
	wait_for "[ \$(nreq) -ge 2 ]" 15
	[[ "$(jq -r .form.text <<<"$(req 1)")" == *"backup_1"* ]]
	[[ "$(jq -r .form.text <<<"$(req 2)")" == *"backup_2"* ]]
	! grep -q "Repeated" "$FAKE/requests.jsonl"
}

@test "delivery enabled with alerts on disk: the old ones in one summary, recent ones in the order they happened" {
	for e in old-one old-two; do PGWARDEN_BACKUP_DIR=$BACKUPS "$BIN/pgwarden" alert error "$e" "from before" 2>/dev/null; done
	touch -d '3 hours ago' "$BACKUPS"/alert-*-old-*
	for e in first second third; do
		"$BIN/pgwarden" alert warning "$e" "happened $e" 2>/dev/null
		sleep 0.01 # names carry the millisecond
	done
	start_sidecar monitor
	wait_for "[ \$(nreq) -ge 4 ]" 30
	grep -q '^delivery: collapsed into the alert-backlog summary' "$BACKUPS"/alert-*-old-one
	texts=$(for i in 1 2 3 4; do jq -r .form.text <<<"$(req $i)"; done)
	[[ "$texts" == *"older than an hour"* ]]
	order=$(for i in 1 2 3 4; do jq -r .form.text <<<"$(req $i)"; done | grep -o 'happened [a-z]*' | tr '\n' ' ')
	[ "$order" = "happened first happened second happened third " ]
}

@test "a full backups volume: an alert that cannot be written is still in the log, with its text, and the caller is told" {
	local d=$BACKUPS.full
	mkdir -p "$d"
	mount -t tmpfs -o size=64k tmpfs "$d"
	fallocate -l 64k "$d/ballast" || head -c 65536 /dev/zero >"$d/ballast" || true
	PGWARDEN_BACKUP_DIR=$d run "$BIN/pgwarden" alert critical wal-archive-failing 'archiving WAL fails'
	umount "$d"
	rmdir "$d"
	[ "$status" -ne 0 ]
	[[ "$output" == *"alert CRITICAL wal-archive-failing not recorded"*"No space left on device"*"archiving WAL fails"* ]]
}
