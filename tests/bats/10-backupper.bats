#!/usr/bin/env bats
# backupper: on-demand and scheduled backups, verification, manifests,
# retention, and every failure leaving no file under a final name.

load helpers

setup_file() {
	cluster_up
	pg_sql "CREATE DATABASE app"
	PGDATABASE=app pg_sql "
		CREATE TABLE items (id int PRIMARY KEY, name text, doc jsonb);
		INSERT INTO items SELECT g, 'item ' || g, jsonb_build_object('g', g) FROM generate_series(1, 5000) g;
		CREATE TABLE \"Odd; name#\" (a int);
		INSERT INTO \"Odd; name#\" VALUES (1), (2), (3);"
}
teardown_file() { cluster_down; }
setup() {
	backups_fresh
	export PGWARDEN_BACKUP_SCHEDULE=off PGWARDEN_BACKUP_DATABASES=app
}
teardown() { backups_cleanup; }

final_backups() { find "$BACKUPS" -maxdepth 1 -name 'backup_*.sql.gz' | wc -l; }
no_partials() { [ -z "$(find "$BACKUPS" -maxdepth 1 -name '*.partial')" ]; }
mkey() { sed -n "s/^$2 = //p" "$1" | head -1; }

@test "a touched request produces a verified backup, manifest and SUCCESS alert" {
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "[ \$(ls $BACKUPS/globals_*.sql.gz.manifest 2>/dev/null | wc -l) -eq 1 ]" 20
	f=$(ls "$BACKUPS"/backup_*_app.sql.gz)
	m=$f.manifest
	[ "$(mkey "$m" status)" = valid ]
	[ "$(mkey "$m" sha256)" = "$(sha256sum "$f" | cut -d' ' -f1)" ]
	[ "$(mkey "$m" size)" = "$(stat -c %s "$f")" ]
	[ "$(mkey "$m" tables)" = 2 ]
	[ "$(mkey "$m" rows_total)" = 5003 ]
	grep -q "= 5000 public.items$" "$m"
	grep -q "= 3 public.%22Odd%3B name%23%22$" "$m"
	[ "$(mkey "$m" database)" = app ]
	gzip -t "$f"
	zcat "$f" | grep -q "PostgreSQL database dump complete"
	[ "$(stat -c %a "$f")" = 600 ]
	a=$(ls "$BACKUPS"/alert-*-SUCCESS-backup)
	grep -q "File: $(basename "$f")" "$a"
	grep -q "Tables: 2" "$a"
	grep -q "Compression: " "$a"
	# a size that fits its unit, never "0.0MiB"
	grep -qE "Size: [0-9.]+ (B|KiB|MiB)$" "$a"
	! grep -q "0.0MiB\|0.0 MiB" "$a"
	no_partials
}

# gzip members in a file, counted by python's zlib
gz_members() {
	python3 -c '
import sys, zlib
data, n = open(sys.argv[1], "rb").read(), 0
while data:
    d = zlib.decompressobj(31)
    d.decompress(data)
    if not d.eof:
        sys.exit("truncated member")
    data, n = d.unused_data, n + 1
print(n)' "$1"
}

@test "a backup is a gzip of many members: gunzip, pigz -d and python read it whole; the manifest names compressor and level" {
	pg_sql "CREATE DATABASE big"
	PGDATABASE=big pg_sql "CREATE TABLE t AS SELECT g, md5(g::text) AS h FROM generate_series(1, 60000) g"
	PGWARDEN_BACKUP_DATABASES=big PGWARDEN_COMPRESSION_LEVEL=9 "$BIN/pgwarden-backupper" --once 2>/dev/null
	f=$(ls "$BACKUPS"/backup_*_big.sql.gz)
	[ "$(gz_members "$f")" -ge 8 ]
	gzip -t "$f"
	"$PG_BINDIR/pg_dump" big | grep -v '^\\\(un\)\?restrict' >"$BATS_TEST_TMPDIR/dump.sql"
	gunzip -c "$f" | grep -v '^\\\(un\)\?restrict' | cmp - "$BATS_TEST_TMPDIR/dump.sql"
	pigz -dc "$f" | grep -v '^\\\(un\)\?restrict' | cmp - "$BATS_TEST_TMPDIR/dump.sql"
	python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())' "$f" |
		grep -v '^\\\(un\)\?restrict' | cmp - "$BATS_TEST_TMPDIR/dump.sql"
	[[ "$(mkey "$f.manifest" compressor)" == "libdeflate "[0-9]* ]]
	[ "$(mkey "$f.manifest" compression_level)" = 9 ]
	pg_sql "DROP DATABASE big"
}

@test "a backup restores with psql to the same rows" {
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 20
	pg_sql "CREATE DATABASE app_copy"
	zcat "$BACKUPS"/backup_*_app.sql.gz | "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d app_copy >/dev/null
	[ "$(PGDATABASE=app_copy pg_sql 'SELECT count(*), sum(id) FROM items')" = "$(PGDATABASE=app pg_sql 'SELECT count(*), sum(id) FROM items')" ]
	pg_sql "DROP DATABASE app_copy"
}

@test "garbage in the request file: ERROR alert, no backup, next request succeeds" {
	start_sidecar backupper
	printf 'rm -rf / \x01\x02' >"$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-ERROR-request-rejected" 10
	[ "$(final_backups)" -eq 0 ]
	echo "reason=after garbage" >"$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 20
	grep -q "backup starting (requested: after garbage)" "$BACKUPS/backup.log"
}

@test "a request over 4 KiB is refused, not cut to its first 4 KiB; the alert quotes none of it" {
	start_sidecar backupper
	{ echo "reason=long"; head -c 5000 /dev/zero | tr '\0' 'x'; } >"$BACKUPS/.r" && mv "$BACKUPS/.r" "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-ERROR-request-rejected" 10
	grep -q "larger than 4096 bytes" "$BACKUPS"/alert-*-ERROR-request-rejected
	! grep -q "xxxx" "$BACKUPS"/alert-*-ERROR-request-rejected
	[ "$(final_backups)" -eq 0 ]
	! grep -q "backup starting" "$BACKUPS/backup.log"
}

@test "database unreachable: ERROR alert, nothing under a final name, then success" {
	start_sidecar backupper
	pg_stop "$PGW_CLUSTER"
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-ERROR-backup-failed" 20
	grep -q "unreachable" "$BACKUPS"/alert-*-ERROR-backup-failed
	[ "$(final_backups)" -eq 0 ]
	no_partials
	pg_start "$PGW_CLUSTER"
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 20
	kill -0 "$SIDECAR_PID"
}

@test "wrong password: clear error, the password appears nowhere" {
	pg_sql "CREATE ROLE pwuser LOGIN PASSWORD 'right-pass-123' SUPERUSER"
	sed -i '1i local all pwuser scram-sha-256' "$PGW_CLUSTER/data/pg_hba.conf"
	pg_sql "SELECT pg_reload_conf()" >/dev/null
	PGUSER=pwuser PGPASSWORD=wrong-pass-456 start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-ERROR-backup-failed" 20
	grep -q "password authentication failed" "$BACKUPS/backup.log"
	! grep -r "wrong-pass-456" "$BACKUPS" "$BACKUPS".*.stderr
	[ "$(final_backups)" -eq 0 ]
	sed -i '1d' "$PGW_CLUSTER/data/pg_hba.conf"
	pg_sql "SELECT pg_reload_conf()" >/dev/null
}

@test "pg_dump missing: ERROR alert naming it, sidecar keeps running" {
	PG_BINDIR=/nonexistent/bin start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-ERROR-backup-failed" 20
	grep -q "pg_dump" "$BACKUPS"/alert-*-ERROR-backup-failed
	[ "$(final_backups)" -eq 0 ]
	kill -0 "$SIDECAR_PID"
}

make_big() {
	PGDATABASE=app pg_sql "CREATE TABLE IF NOT EXISTS big AS SELECT g AS id, md5(g::text) || md5((g*7)::text) AS v FROM generate_series(1, 1500000) g"
}

@test "pg_dump killed mid-stream: ERROR alert, no final file, no partial; next succeeds" {
	make_big
	PGWARDEN_COMPRESSION_LEVEL=9 PGWARDEN_COMPRESS_THREADS=1 start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/*.partial" 20
	sleep 0.5
	# our own backupper's pg_dump, by parent pid
	pkill -9 -P "$SIDECAR_PID" -x pg_dump
	wait_for "ls $BACKUPS/alert-*-ERROR-backup-failed" 20
	grep -q "pg_dump was killed by signal 9" "$BACKUPS/backup.log"
	[ "$(final_backups)" -eq 0 ]
	# the run goes on with the globals, whose own .partial lives until its
	# dump ends: a leaked one never goes (seen racing in the ASan pass)
	wait_for no_partials 30
	PGDATABASE=app pg_sql "DROP TABLE big"
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 30
}

@test "backupper killed with SIGKILL mid-backup: restart cleans the partial and the lock, next backup succeeds" {
	make_big
	PGWARDEN_COMPRESSION_LEVEL=9 PGWARDEN_COMPRESS_THREADS=1 start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/*.partial" 20
	dump=$(pgrep -P "$SIDECAR_PID" -x pg_dump || true)
	kill9_sidecar
	[ -z "$dump" ] || kill -9 $dump 2>/dev/null || true
	[ -n "$(find "$BACKUPS" -name '*.partial')" ]
	PIDS=()
	PGDATABASE=app pg_sql "DROP TABLE big"
	start_sidecar backupper
	wait_for "grep -q \"removing '.*partial' left by an interrupted backup\" $BACKUPS/backup.log" 10
	no_partials
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 30
}

@test "a file size limit (disk full): ERROR alert, no final file; lifted, the next backup succeeds" {
	(ulimit -S -f 4; exec "$BIN/pgwarden-backupper" 2>>"$BACKUPS.backupper.stderr" >/dev/null 3>&-) &
	SIDECAR_PID=$!
	PIDS+=("$SIDECAR_PID")
	wait_for "grep -q started $BACKUPS/backup.log" 10
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-ERROR-backup-failed" 20
	grep -q "File too large" "$BACKUPS/backup.log"
	# the globals file of the same run may still be in flight: it fails too
	wait_for no_partials 10
	[ "$(final_backups)" -eq 0 ]
	prlimit --pid "$SIDECAR_PID" --fsize=unlimited
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 20
}

@test "backups directory becomes read-only: a non-root backupper logs the error, nothing under a final name, then succeeds" {
	chown postgres "$BACKUPS"
	PGWARDEN_BACKUP_SCHEDULE="@every 2s" runuser -u postgres --preserve-environment -- "$BIN/pgwarden-backupper" 2>>"$BACKUPS.backupper.stderr" >/dev/null 3>&- &
	SIDECAR_PID=$!
	PIDS+=("$SIDECAR_PID")
	wait_for "grep -q started $BACKUPS.backupper.stderr" 10
	chmod 500 "$BACKUPS"
	wait_for "grep -q 'unable to .*Permission denied' $BACKUPS.backupper.stderr" 20
	[ "$(final_backups)" -eq 0 ]
	no_partials
	chmod 700 "$BACKUPS"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 20
	kill -0 "$SIDECAR_PID"
}

@test "requests during a running backup are coalesced into exactly one follow-up" {
	make_big
	PGWARDEN_COMPRESSION_LEVEL=9 PGWARDEN_COMPRESS_THREADS=1 start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/*.partial" 20
	for i in 1 2 3 4 5; do touch "$BACKUPS/request-backup"; sleep 0.3; done
	wait_for "[ \$(grep -c 'backup starting' $BACKUPS/backup.log) -eq 2 ]" 60
	wait_for "[ \$(ls $BACKUPS/globals_*.manifest | wc -l) -eq 2 ]" 60
	sleep 2
	[ "$(grep -c 'backup starting' "$BACKUPS/backup.log")" -eq 2 ]
	PGDATABASE=app pg_sql "DROP TABLE big"
}

@test "a schedule runs backups by itself (UTC, @every)" {
	PGWARDEN_BACKUP_SCHEDULE="@every 2s" start_sidecar backupper
	wait_for "[ \$(grep -c 'backup starting (scheduled)' $BACKUPS/backup.log) -ge 2 ]" 20
}

@test "retention keeps the newest valid backup and the minimum count, deletes the rest, logs each" {
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 20
	stop_sidecars
	real=$(ls "$BACKUPS"/backup_*_app.sql.gz)
	for d in 20200101_060000 20200102_060000 20200103_060000; do
		cp "$real" "$BACKUPS/backup_${d}_app.sql.gz"
		sed "s/^file = .*/file = backup_${d}_app.sql.gz/" "$real.manifest" >"$BACKUPS/backup_${d}_app.sql.gz.manifest"
	done
	# the first run's "retention done" must not satisfy the wait below
	rm -f "$BACKUPS/retention.log"
	PGWARDEN_MIN_BACKUPS=2 start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "grep -q 'retention done' $BACKUPS/retention.log 2>/dev/null" 60
	[ ! -e "$BACKUPS/backup_20200101_060000_app.sql.gz" ]
	[ ! -e "$BACKUPS/backup_20200101_060000_app.sql.gz.manifest" ]
	[ ! -e "$BACKUPS/backup_20200102_060000_app.sql.gz" ]
	[ ! -e "$BACKUPS/backup_20200103_060000_app.sql.gz" ]
	[ "$(grep -c "deleted backup 'backup_2020" "$BACKUPS/retention.log")" -eq 3 ]
	[ "$(final_backups)" -eq 2 ]
}

@test "retention never deletes the only valid backup even when it is old" {
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 20
	stop_sidecars
	real=$(ls "$BACKUPS"/backup_*_app.sql.gz)
	mv "$real" "$BACKUPS/backup_20200101_060000_app.sql.gz"
	sed "s/^file = .*/file = backup_20200101_060000_app.sql.gz/" "$real.manifest" >"$BACKUPS/backup_20200101_060000_app.sql.gz.manifest"
	rm "$real.manifest"
	for d in 20200201_060000 20200301_060000; do
		echo broken | gzip >"$BACKUPS/backup_${d}_app.sql.gz"
	done
	rm -f "$BACKUPS/retention.log"
	PGWARDEN_MIN_BACKUPS=1 PGWARDEN_RETENTION_SCHEDULE="@every 1s" start_sidecar backupper
	wait_for "grep -q 'retention done' $BACKUPS/retention.log*" 20
	[ -e "$BACKUPS/backup_20200101_060000_app.sql.gz" ]
	[ ! -e "$BACKUPS/backup_20200201_060000_app.sql.gz" ]
}

@test "databases = all with 260 databases (more than the old fixed list of 256): every one is backed up" {
	for i in $(seq 1 260); do echo "CREATE DATABASE many_$i;"; done | "$PG_BINDIR/psql" -X -q -d postgres >/dev/null
	export PGWARDEN_BACKUP_DATABASES=all
	"$BIN/pgwarden-backupper" --once 2>/dev/null
	n=$(pg_sql "SELECT count(*) FROM pg_database WHERE NOT datistemplate")
	for i in $(seq 1 260); do echo "DROP DATABASE many_$i;"; done | "$PG_BINDIR/psql" -X -q -d postgres >/dev/null
	[ "$n" -ge 262 ]
	[ "$(final_backups)" = "$n" ]
	[ "$(count_files "$BACKUPS" 'backup_*_many_*.sql.gz.manifest')" = 260 ]
}

@test "a table locked through a backup: a WARNING names the holder, and pg_dump gives up after lock_wait_timeout" {
	export PGWARDEN_LOCK_WAIT_TIMEOUT=8 PGWARDEN_LOCK_WAIT_ALERT=2
	hold_lock app public.items
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/alert-*-WARNING-backup-lock-wait" 30
	grep -q "held by pid" "$BACKUPS"/alert-*-WARNING-backup-lock-wait
	! grep -q "pg_sleep" "$BACKUPS"/alert-*-WARNING-backup-lock-wait
	wait_for "ls $BACKUPS/alert-*-ERROR-backup-failed" 60
	grep -q "stayed locked longer than lock_wait_timeout (8 s); pg_dump of .app. has waited .* held by pid" "$BACKUPS"/alert-*-ERROR-backup-failed
	[ -z "$(ls "$BACKUPS"/backup_*_app.sql.gz 2>/dev/null)" ]
	# the run goes on with the globals (their .partial while they dump)
	wait_for "ls $BACKUPS/globals_*.sql.gz.manifest" 30
	no_partials
	# the lock released, the next backup succeeds
	release_lock app public.items
	touch "$BACKUPS/request-backup"
	wait_for "ls $BACKUPS/backup_*_app.sql.gz.manifest" 30
}

# make_cpu_cgroup: a cgroup limited to one CPU (v2 cpu.max, or v1 CFS
# quota), printed as the cgroup.procs file to join; fails when neither
# hierarchy can be written here
make_cpu_cgroup() {
	local g
	if grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
		g=$(mktemp -d /sys/fs/cgroup/pgw-test-XXXXXX) || return 1
		echo "100000 100000" >"$g/cpu.max" || return 1
	elif [ -d /sys/fs/cgroup/cpu ]; then
		g=$(mktemp -d /sys/fs/cgroup/cpu/pgw-test-XXXXXX) || return 1
		echo 100000 >"$g/cpu.cfs_period_us" && echo 100000 >"$g/cpu.cfs_quota_us" || return 1
	else
		return 1
	fi
	echo "$g"
}

@test "compress_threads = 0 follows the container's CPU limit (its cgroup), not the machine's CPU count" {
	[ "$(nproc)" -ge 2 ] || skip "one CPU: a limit of one changes nothing"
	g=$(make_cpu_cgroup 2>/dev/null) || skip "no writable cpu cgroup on this machine"
	# shellcheck disable=SC2016
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --once' sh "$g" "$BIN/pgwarden-backupper" 2>/dev/null
	rmdir "$g"
	grep -q "compression threads: 1 (the CPUs this container may use)" "$BACKUPS/backup.log" || { cat "$BACKUPS/backup.log"; false; }
	"$BIN/pgwarden-backupper" --once 2>/dev/null
	grep -q "compression threads: $(nproc) (" "$BACKUPS/backup.log"
	[ "$(final_backups)" -eq 2 ]
}
