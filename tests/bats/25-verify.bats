#!/usr/bin/env bats
# Restore drills: every backup proven by a real restore, or marked failed
# with the reason; failed backups are never used by a recovery.

load helpers

setup_file() {
	cluster_up
	pg_sql "CREATE DATABASE app"
	PGDATABASE=app pg_sql "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g"
}
teardown_file() { cluster_down; }
setup() {
	backups_fresh
	export PGWARDEN_BACKUP_SCHEDULE=off PGWARDEN_BACKUP_DATABASES=app PGWARDEN_DATABASE=app
	export PGWARDEN_VERIFY_SCHEDULE=off
}
teardown() { backups_cleanup; }

mkey() { sed -n "s/^$2 = //p" "$1" | head -1; }
take_backup() { "$BIN/pgwarden-backupper" --once 2>/dev/null; }
newest() { ls "$BACKUPS"/backup_*_app.sql.gz | sort | tail -1; }

# copy the newest backup under another stamp, with a manifest that matches
clone_backup() {
	local src=$1 stamp=$2 dst="$BACKUPS/backup_${2}_app.sql.gz"
	cp "$src" "$dst"
	sed -e "s/^file = .*/file = $(basename "$dst")/" "$src.manifest" >"$dst.manifest"
	echo "$dst"
}
refresh_manifest() { # after editing the file on purpose: size and sha match again
	local f=$1
	sed -i -e "s/^size = .*/size = $(stat -c %s "$f")/" \
		-e "s/^sha256 = .*/sha256 = $(sha256sum "$f" | cut -d' ' -f1)/" "$f.manifest"
}

@test "a good backup becomes verified with a measured restore duration; the scratch database is gone" {
	take_backup
	f=$(newest)
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "grep -q 'status = verified' $f.manifest" 60
	[ "$(mkey "$f.manifest" restore_ms)" -gt 0 ]
	[ -n "$(mkey "$f.manifest" verified_at)" ]
	grep -q "verified: restored and matched" "$BACKUPS/verification.log"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-verification" 10
	grep -q "RTO" "$BACKUPS"/alert-*-SUCCESS-verification
	[ -z "$(pg_sql "SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden%'")" ]
}

@test "a backup of the zlib writer (one gzip member, no compressor in its manifest) drills verified and reads back the same" {
	take_backup
	f=$(newest)
	zcat "$f" >"$BATS_TEST_TMPDIR/plain.sql"
	gzip -6 -c "$BATS_TEST_TMPDIR/plain.sql" >"$f"
	sed -i -e '/^compressor = /d' -e '/^compression_level = /d' "$f.manifest"
	refresh_manifest "$f"
	"$BIN/pgwarden" cat-backup "$(basename "$f")" | cmp - "$BATS_TEST_TMPDIR/plain.sql"
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "grep -q 'status = verified' $f.manifest" 60
	[ "$(mkey "$f.manifest" restore_ms)" -gt 0 ]
}

@test "flipped byte, truncation, edited checksum and a mid-restore failure each become failed with the cause" {
	take_backup
	good=$(newest)
	flip=$(clone_backup "$good" 20200101_000001)
	size=$(stat -c %s "$flip")
	printf '\xff' | dd of="$flip" bs=1 seek=$((size / 2)) conv=notrunc status=none
	trunc=$(clone_backup "$good" 20200101_000002)
	truncate -s $((size / 3)) "$trunc"
	refresh_manifest "$trunc"
	edited=$(clone_backup "$good" 20200101_000003)
	sed -i "s/^sha256 = .*/sha256 = $(printf '0%.0s' $(seq 64))/" "$edited.manifest"
	role=$(clone_backup "$good" 20200101_000004)
	# a row the table cannot take: the backup's own fault (a missing role is
	# the server's, see the last test)
	zcat "$good" | sed 's/^COPY public.t .*$/&\nnot_an_int_x\tv/' | gzip >"$role"
	refresh_manifest "$role"
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "grep -q 'status = verified' $good.manifest" 60
	wait_for "[ \$(grep -l 'status = failed' $BACKUPS/*.manifest | wc -l) -eq 4 ]" 60
	grep -q "^reason = SHA-256 mismatch" "$flip.manifest"
	grep -q "does not read back: truncated gzip data" "$trunc.manifest"
	grep -q "^reason = SHA-256 mismatch" "$edited.manifest"
	grep -q "restore failed" "$role.manifest"
	grep -q "not_an_int_x" "$role.manifest"
	[ "$(ls "$BACKUPS"/alert-*-ERROR-verification-failed | wc -l)" -eq 4 ]
	wait_for "ls $BACKUPS/alert-*-SUCCESS-verification" 10
	grep -q "5 backup(s) checked, 4 failed" "$BACKUPS"/alert-*-SUCCESS-verification
	# the manifests still parse, and the restorer never picks a failed one
	run "$BIN/pgwarden" list-backups
	[[ "$output" == *"failed"* ]]
	run "$BIN/pgwarden" restore --backup "$(basename "$role")" --dry-run
	[ "$status" -eq 1 ]
	[[ "$output" == *"status is 'failed'"* ]]
}

@test "verification and backup requested together run one after the other; nothing is corrupted" {
	PGDATABASE=app pg_sql "CREATE TABLE IF NOT EXISTS big AS SELECT g, md5(g::text) v FROM generate_series(1, 400000) g"
	take_backup
	start_sidecar restorer
	start_sidecar backupper
	touch "$BACKUPS/request-verify" "$BACKUPS/request-backup"
	wait_for "[ \$(ls $BACKUPS/backup_*_app.sql.gz | wc -l) -eq 2 ]" 60
	wait_for "grep -q 'verification done' $BACKUPS/verification.log" 60 || { cat "$BACKUPS"/verification.log "$BACKUPS"/recovery.log "$BACKUPS"/backup.log "$BACKUPS".restorer.stderr; false; }
	for f in "$BACKUPS"/backup_*_app.sql.gz; do
		gzip -t "$f"
		[ "$(mkey "$f.manifest" sha256)" = "$(sha256sum "$f" | cut -d' ' -f1)" ]
	done
	# the jobs lock serialised them: the two runs do not overlap in time
	v0=$(grep 'verification starting' "$BACKUPS/verification.log" | tail -1 | cut -c1-24)
	v1=$(grep 'verification done' "$BACKUPS/verification.log" | tail -1 | cut -c1-24)
	b0=$(grep 'backup starting' "$BACKUPS/backup.log" | tail -1 | cut -c1-24)
	b1=$(grep "done:" "$BACKUPS/backup.log" | tail -1 | cut -c1-24)
	[[ ! "$b0" < "$v1" || ! "$v0" < "$b1" ]]
	PGDATABASE=app pg_sql "DROP TABLE big"
}

@test "verifier killed mid-drill: the next start removes the scratch database; manifests still parse" {
	PGDATABASE=app pg_sql "CREATE TABLE IF NOT EXISTS big AS SELECT g, md5(g::text) v FROM generate_series(1, 800000) g"
	take_backup
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "[ -n \"\$(pg_sql \"SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden\\_verify\\_%'\")\" ]" 30
	# the drill's own psql (by parent pid) goes down with it
	wait_for "pgrep -P $SIDECAR_PID -x psql >/dev/null" 30
	psqls=$(pgrep -P "$SIDECAR_PID" -x psql || true)
	kill9_sidecar
	[ -z "$psqls" ] || kill -9 $psqls 2>/dev/null || true
	PIDS=()
	start_sidecar restorer
	wait_for "[ -z \"\$(pg_sql \"SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden\\_verify\\_%'\")\" ]" 30
	run "$BIN/pgwarden" list-backups
	[ "$status" -eq 0 ]
	[[ "$output" == *"valid"* ]]
	PGDATABASE=app pg_sql "DROP TABLE big"
}

@test "verify_target = cluster: the drill runs in a throwaway cluster, the production server never sees it" {
	chown postgres "$BACKUPS"
	mkdir -p "$BACKUPS.scratch" && chown postgres "$BACKUPS.scratch"
	runuser -u postgres --preserve-environment -- "$BIN/pgwarden-backupper" --once 2>/dev/null
	f=$(newest)
	PGWARDEN_VERIFY_TARGET=cluster PGWARDEN_VERIFY_CLUSTER_DIR=$BACKUPS.scratch PGWARDEN_VERIFY_CLUSTER_PORT=5499 \
		runuser -u postgres --preserve-environment -- "$BIN/pgwarden-restorer" 2>>"$BACKUPS.restorer.stderr" >/dev/null 3>&- &
	PIDS+=($!)
	wait_for "grep -q started $BACKUPS.restorer.stderr" 10
	runuser -u postgres -- touch "$BACKUPS/request-verify"
	wait_for "ls $BACKUPS.scratch/pgwarden-verify-cluster-*/data/PG_VERSION" 30
	[ -z "$(pg_sql "SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden%'")" ]
	wait_for "grep -q 'status = verified' $f.manifest" 90
	grep -q "throwaway cluster up" "$BACKUPS/verification.log"
	wait_for "[ -z \"\$(ls -A $BACKUPS.scratch)\" ]" 20
	rm -rf "$BACKUPS.scratch"
}

@test "a backup naming a role the server no longer has: left valid, verification-impossible names the role, no role resurrected" {
	pg_sql "DROP ROLE IF EXISTS drill_owner; CREATE ROLE drill_owner"
	PGDATABASE=app pg_sql "CREATE TABLE owned (id int); ALTER TABLE owned OWNER TO drill_owner"
	take_backup
	f=$(newest)
	PGDATABASE=app pg_sql "DROP TABLE owned"
	pg_sql "DROP ROLE drill_owner"
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "ls $BACKUPS/alert-*-ERROR-verification-impossible" 60
	grep -q "no longer has" "$BACKUPS"/alert-*-ERROR-verification-impossible
	grep -q "drill_owner" "$BACKUPS"/alert-*-ERROR-verification-impossible
	[ "$(mkey "$f.manifest" status)" = valid ]
	[ -z "$(pg_sql "SELECT rolname FROM pg_roles WHERE rolname = 'drill_owner'")" ]
}

@test "a manifest whose table name carries SQL: nothing of it runs, the drill refuses the backup" {
	take_backup
	b=$(newest)
	grep -qE '^t00001 = 20000 public\.t$' "$b.manifest"
	# ';' is written %3B in a manifest (see common/manifest.c)
	sed -i "s|^t00001 = 20000 public\.t\$|t00001 = 20000 public.t) s%3B COPY (SELECT 1) TO PROGRAM 'touch $BACKUPS.pwned'%3B SELECT count(*) FROM (SELECT 1 FROM public.t|" "$b.manifest"
	grep -q 'TO PROGRAM' "$b.manifest"
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "grep -q 'status = failed' $b.manifest" 60
	grep -qE 'reason = .*(invalid name syntax|not in the restored database)' "$b.manifest"
	[ ! -e "$BACKUPS.pwned" ]
}

@test "a drill gives way to a recovery asked for while it runs; the backup is left as it was" {
	PGDATABASE=app pg_sql "CREATE TABLE big AS SELECT g, md5(g::text) v FROM generate_series(1, 2000000) g"
	"$BIN/pgwarden-backupper" --once 2>/dev/null
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "[ \"\$(pg_sql \"SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'pgwarden\\_verify\\_%' AND query LIKE 'COPY%'\" 2>/dev/null)\" -ge 1 ]" 60
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 90
	grep -q 'the drill gave way to a restore request' "$BACKUPS/verification.log"
	m=$(ls "$BACKUPS"/backup_*_app.sql.gz.manifest)
	grep -q '^status = valid' "$m"
	! ls "$BACKUPS"/alert-*-verification-failed "$BACKUPS"/alert-*-verification-impossible 2>/dev/null
	PGDATABASE=app pg_sql "DROP TABLE big"
	for d in $(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^app_(damaged|before_restore)_'"); do
		pg_sql "DROP DATABASE \"$d\""
	done
}

@test "request-verify is parsed like every request: garbage runs no drill, reason= is logged" {
	take_backup
	start_sidecar restorer
	printf 'DROP DATABASE app; \x01' >"$BACKUPS/request-verify"
	wait_for "ls $BACKUPS/alert-*-ERROR-request-rejected" 10
	! grep -q "DROP DATABASE" "$BACKUPS"/alert-*-ERROR-request-rejected
	! grep -q "verification starting" "$BACKUPS/verification.log" 2>/dev/null
	echo "reason=after a restore test" >"$BACKUPS/request-verify"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-verification" 60
	grep -q "verification starting (requested: after a restore test)" "$BACKUPS/verification.log"
}
