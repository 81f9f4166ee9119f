#!/usr/bin/env bats
# Backup encryption at rest (common/crypt.h): AES-256-GCM with a key from a
# secret file. A leaked backups volume shows nothing; restores, drills and
# `pgwarden cat-backup` decrypt; a wrong or missing key never marks a good
# backup bad; a tampered file is refused even when its manifest is re-forged.

load helpers

setup_file() { cluster_up; }
teardown_file() { cluster_down; }

newkey() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; echo; }

setup() {
	backups_fresh
	export PGWARDEN_BACKUP_SCHEDULE=off PGWARDEN_BACKUP_DATABASES=app PGWARDEN_DATABASE=app
	export PGWARDEN_VERIFY_SCHEDULE=off
	export PGWARDEN_INIT_DIR=$ROOT/config/init PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations
	KEYS=$(mktemp -d "${TMPDIR:-/tmp}/pgw-keys-XXXXXX")
	newkey >"$KEYS/key"
	newkey >"$KEYS/other"
	chmod 600 "$KEYS"/*
	export PGWARDEN_ENCRYPTION_KEY_FILE=$KEYS/key
	pg_sql "DROP DATABASE IF EXISTS app WITH (FORCE)"
	for d in $(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^app_(damaged|before_restore)_'"); do
		pg_sql "DROP DATABASE \"$d\""
	done
	pg_sql "CREATE DATABASE app"
	PGDATABASE=app pg_sql "CREATE TABLE secrets (id int PRIMARY KEY, card text);
		INSERT INTO secrets SELECT g, 'CARD-NUMBER-' || g FROM generate_series(1, 5000) g"
}
teardown() {
	backups_cleanup
	rm -rf "$KEYS"
}

take_backup() { "$BIN/pgwarden-backupper" --once 2>/dev/null; }
newest() { ls "$BACKUPS"/backup_*_app.sql.gz* | grep -v manifest | sort | tail -1; }

@test "encrypted backups: .enc names, key id in the manifest, nothing readable without the key" {
	take_backup
	f=$(newest)
	[[ "$f" == *_app.sql.gz.enc ]]
	ls "$BACKUPS"/globals_*.sql.gz.enc
	[ "$(ls "$BACKUPS" | grep -c '\.sql\.gz$')" -eq 0 ]
	grep -q "^encryption = aes-256-gcm$" "$f.manifest"
	grep -qE "^key_id = [0-9a-f]{16}$" "$f.manifest"
	grep -q "^status = valid$" "$f.manifest"
	# not gzip, no plaintext, not even compressed plaintext
	! gzip -t "$f" 2>/dev/null
	! grep -qa "CARD-NUMBER" "$f"
	! grep -qa "CARD-NUMBER" "$BACKUPS"/*.manifest
	# the key is nowhere in what pgwarden wrote
	! grep -rqaF "$(cat "$KEYS/key")" "$BACKUPS"
	# an operator with the key gets the SQL back
	[ "$("$BIN/pgwarden" cat-backup "$(basename "$f")" | grep -c 'CARD-NUMBER-')" -eq 5000 ]
	PGWARDEN_ENCRYPTION_KEY_FILE= run "$BIN/pgwarden" cat-backup "$(basename "$f")"
	[ "$status" -eq 1 ]
	[[ "$output" == *"encrypted and no encryption_key_file"* ]]
}

@test "recovery from an encrypted backup gives the data back, and the drill verifies it" {
	take_backup
	PGDATABASE=app pg_sql "DELETE FROM secrets WHERE id > 10"
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "grep -q '^status = verified' $(newest).manifest" 60
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM secrets")" = 5000 ]
	[ "$(PGDATABASE=app pg_sql "SELECT card FROM secrets WHERE id = 4321")" = CARD-NUMBER-4321 ]
}

@test "a wrong or missing key: the backup is left valid, never marked failed; the alert names the key ids" {
	take_backup
	f=$(newest)
	PGWARDEN_ENCRYPTION_KEY_FILE=$KEYS/other start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "ls $BACKUPS/alert-*-ERROR-verification-impossible" 30
	grep -q "encrypted with another key" "$BACKUPS"/alert-*-ERROR-verification-impossible
	grep -q "$(sed -n 's/^key_id = //p' "$f.manifest")" "$BACKUPS"/alert-*-ERROR-verification-impossible
	grep -q "^status = valid$" "$f.manifest"
	stop_sidecars
	rm -f "$BACKUPS"/alert-*
	PGWARDEN_ENCRYPTION_KEY_FILE= start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "ls $BACKUPS/alert-*-ERROR-verification-impossible" 30
	grep -q "no encryption_key_file" "$BACKUPS"/alert-*-ERROR-verification-impossible
	grep -q "^status = valid$" "$f.manifest"
}

@test "a tampered encrypted backup with a re-forged manifest is refused; the older one is restored" {
	take_backup
	good=$(newest)
	PGDATABASE=app pg_sql "INSERT INTO secrets VALUES (9999, 'NEWER')"
	sleep 1.1
	take_backup
	bad=$(newest)
	[ "$bad" != "$good" ]
	# flip a byte in the middle, then make size and SHA-256 match again
	size=$(stat -c %s "$bad")
	printf '\x55' | dd of="$bad" bs=1 seek=$((size / 2)) conv=notrunc status=none
	sha=$(sha256sum "$bad" | cut -d' ' -f1)
	sed -i "s/^sha256 = .*/sha256 = $sha/" "$bad.manifest"
	PGDATABASE=app pg_sql "DROP TABLE secrets"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	# the re-forged manifest is refused first: it is signed with the key
	grep -q "manifest '$(basename "$bad").manifest' refused: its signature does not match" "$BACKUPS/recovery.log"
	grep -q "from '$(basename "$good")'" "$BACKUPS/recovery.log"
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM secrets")" = 5000 ]
}

@test "a manifest edited to carry SQL, or stripped of its signature, is refused as a forged backup is; nothing of it runs" {
	take_backup
	f=$(newest)
	grep -q '^hmac = [0-9a-f]\{64\}$' "$f.manifest"
	# the table line of the issue: SQL that would run a shell command
	sed -i 's|^\(t00001 = [0-9]*\) .*|\1 public.t) s; COPY (SELECT current_user) TO PROGRAM '"'"'id > '"$BACKUPS"'/pwned'"'"'; SELECT count(*) FROM (SELECT 1 FROM public.t|' "$f.manifest"
	run "$BIN/pgwarden" restore --dry-run --backup "$(basename "$f")"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signature does not match"* ]]
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "ls $BACKUPS/alert-*-ERROR-verification-failed" 30
	grep -q "signature does not match" "$BACKUPS"/alert-*-ERROR-verification-failed
	[ ! -e "$BACKUPS/pwned" ]
	# a manifest without its signature is what a forgery looks like
	sed -i '/^\[auth\]$/,$d' "$f.manifest"
	run "$BIN/pgwarden" restore --dry-run --backup "$(basename "$f")"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not signed with the backup key"* ]]
	# without a key nothing is signed, and nothing asks for it
	stop_sidecars
	rm -f "$BACKUPS"/backup_* "$BACKUPS"/globals_*
	PGWARDEN_ENCRYPTION_KEY_FILE= "$BIN/pgwarden-backupper" --once 2>/dev/null
	! grep -q '^hmac' "$BACKUPS"/backup_*_app.sql.gz.manifest
	PGWARDEN_ENCRYPTION_KEY_FILE= run "$BIN/pgwarden" restore --dry-run
	[ "$status" -eq 0 ]
}

@test "a bad key file stops the backupper and the restorer at start with exit 2, naming the key" {
	echo "not-a-key" >"$KEYS/bad"
	# the monitor never reads backups: it does not load the key (nor libcrypto)
	PGWARDEN_ENCRYPTION_KEY_FILE=$KEYS/bad run "$BIN/pgwarden-monitor" --check-config
	[ "$status" -eq 0 ]
	for s in backupper restorer; do
		PGWARDEN_ENCRYPTION_KEY_FILE=$KEYS/bad run "$BIN/pgwarden-$s" --check-config
		[ "$status" -eq 2 ]
		[[ "$output" == *"encryption_key_file"*"64 hex characters"* ]]
		[[ "$output" != *"not-a-key"* ]]
	done
	PGWARDEN_ENCRYPTION_KEY_FILE=$KEYS/missing run "$BIN/pgwarden-backupper" --check-config
	[ "$status" -eq 2 ]
	[[ "$output" == *"unable to open encryption key file"* ]]
}
