#!/usr/bin/env bats
# restorer: recovery from the newest valid backup, skipping bad ones, crash
# safety, fresh reset, cluster re-init, manual requests checked first.

load helpers

setup_file() { cluster_up; }
teardown_file() { cluster_down; }
setup() {
	backups_fresh
	export PGWARDEN_BACKUP_SCHEDULE=off PGWARDEN_BACKUP_DATABASES=app PGWARDEN_DATABASE=app
	export PGWARDEN_INIT_DIR=$ROOT/config/init PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations
	pg_sql "DROP DATABASE IF EXISTS app WITH (FORCE)"
	for d in $(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^app_(damaged|before_restore)_'"); do
		pg_sql "DROP DATABASE \"$d\""
	done
	pg_sql "CREATE DATABASE app"
	PGDATABASE=app pg_sql "
		CREATE SCHEMA s1; CREATE SCHEMA s2;
		CREATE TABLE s1.parent (id serial PRIMARY KEY, name text NOT NULL, tags text[], doc jsonb, raw bytea);
		CREATE TABLE s2.child (id bigserial PRIMARY KEY, parent_id int REFERENCES s1.parent(id), note text);
		INSERT INTO s1.parent (name, tags, doc, raw)
		  SELECT 'näme ✓ ' || g, ARRAY['a', 'b' || g], jsonb_build_object('g', g, 'k', ARRAY[1,2]), decode(md5(g::text), 'hex')
		  FROM generate_series(1, 2000) g;
		INSERT INTO s2.child (parent_id, note) SELECT 1 + g % 2000, 'n' || g FROM generate_series(1, 3000) g;
		CREATE VIEW s1.v AS SELECT p.name, count(c.*) FROM s1.parent p LEFT JOIN s2.child c ON c.parent_id = p.id GROUP BY 1;
		CREATE FUNCTION s1.touch() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN NEW.note := coalesce(NEW.note, 'x'); RETURN NEW; END \$\$;
		CREATE TRIGGER t BEFORE INSERT ON s2.child FOR EACH ROW EXECUTE FUNCTION s1.touch();
		CREATE SEQUENCE s1.counter START 42;
		SELECT lo_from_bytea(0, 'large object payload');"
}
teardown() { backups_cleanup; }

take_backup() {
	"$BIN/pgwarden-backupper" --once 2>/dev/null
}

# an older backup with 2000 rows in s1.parent, a newer one with 2001
two_backups() {
	take_backup
	PGDATABASE=app pg_sql "INSERT INTO s1.parent (name) VALUES ('newer')"
	sleep 1.1 # backup names have a one-second resolution
	take_backup
}

fingerprint() {
	"$PG_BINDIR/pg_dump" --schema-only -d app | grep -v '^--' | grep -v '^\\\(un\)\?restrict' | md5sum
	PGDATABASE=app pg_sql "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM s1.parent t"
	PGDATABASE=app pg_sql "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM s2.child t"
	PGDATABASE=app pg_sql "SELECT count(*) FROM pg_largeobject_metadata"
	PGDATABASE=app pg_sql "SELECT last_value FROM s1.counter"
}

@test "round trip: dropped table, request, data identical to the backup, damaged database kept aside" {
	take_backup
	before=$(fingerprint)
	PGDATABASE=app pg_sql "DROP TABLE s2.child CASCADE"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	[ "$(fingerprint)" = "$before" ]
	# a restore a person asked for: the old copy is named by that cause
	aside=$(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^app_before_restore_[0-9]{8}_[0-9]{6}$'")
	[ -n "$aside" ]
	[ "$(PGDATABASE=$aside pg_sql "SELECT count(*) FROM s1.parent")" = 2000 ]
	grep -q "Previous copy: kept as $aside (dropped after damaged_keep_days)" "$BACKUPS"/alert-*-SUCCESS-recovery
	run "$BIN/pgwarden" status
	[[ "$output" == *"kept aside       $aside "*"dropped after "* ]]
	grep -q "Data age (RPO)" "$BACKUPS"/alert-*-SUCCESS-recovery
	grep -q "Duration (RTO)" "$BACKUPS"/alert-*-SUCCESS-recovery
	[ ! -e "$BACKUPS/recovery-in-progress" ]
	grep -q "recovery done" "$BACKUPS/recovery.log"
}

@test "page corruption with data checksums: restore brings the data back" {
	take_backup
	before=$(fingerprint)
	rel=$(PGDATABASE=app pg_sql "SELECT pg_relation_filepath('s1.parent')")
	pg_stop "$PGW_CLUSTER"
	printf 'CORRUPTCORRUPTCORRUPT' | dd of="$PGW_CLUSTER/data/$rel" bs=1 seek=4000 conv=notrunc status=none
	pg_start "$PGW_CLUSTER"
	! PGDATABASE=app pg_sql "SELECT count(*) FROM s1.parent" 2>/dev/null
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	[ "$(fingerprint)" = "$before" ]
}

@test "the newest backup has a flipped byte: skipped with an alert, the previous one restored" {
	two_backups
	newest=$(ls "$BACKUPS"/backup_*_app.sql.gz | sort | tail -1)
	size=$(stat -c %s "$newest")
	printf '\xff' | dd of="$newest" bs=1 seek=$((size / 2)) conv=notrunc status=none
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	grep -q "SHA-256 mismatch" "$BACKUPS"/alert-*-WARNING-backup-skipped
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s1.parent")" = 2000 ]
}

@test "the server loaded another row count than the manifest says: refused with an alert, the older backup restored" {
	two_backups
	newest=$(ls "$BACKUPS"/backup_*_app.sql.gz | sort | tail -1)
	grep -q ' = 2001 s1.parent$' "$newest.manifest"
	sed -i 's/ = 2001 s1.parent$/ = 2002 s1.parent/' "$newest.manifest"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	grep -q "table s1.parent: the server loaded 2001 rows, the backup had 2002" "$BACKUPS"/alert-*-ERROR-restore-failed
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s1.parent")" = 2000 ]
	[ -z "$(pg_sql "SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden\_tmp\_%'")" ]
}

@test "COPY results that do not line up with the manifest: every table is counted instead" {
	take_backup
	m=$(ls "$BACKUPS"/backup_*_app.sql.gz.manifest)
	# a manifest listing one table of the two the dump loads
	sed -i '/ s2.child$/d' "$m"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	grep -q "psql reported 2 COPY results for 1 tables: counting rows instead" "$BACKUPS/recovery.log"
	# and the count is a real one: a wrong number in that manifest fails
	rm -f "$BACKUPS"/alert-*
	sed -i 's/ = 2000 s1.parent$/ = 1999 s1.parent/' "$m"
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-ERROR-restore-failed" 60
	grep -q "table s1.parent has 2000 rows, the backup had 1999" "$BACKUPS"/alert-*-ERROR-restore-failed
}

@test "a role dropped since the backup is re-created first; a role changed since keeps its new password" {
	pg_sql "DROP ROLE IF EXISTS app_owner; DROP ROLE IF EXISTS app_reader"
	pg_sql "CREATE ROLE app_owner LOGIN PASSWORD 'owner-old' CONNECTION LIMIT 7; CREATE ROLE app_reader LOGIN PASSWORD 'reader-old'"
	PGDATABASE=app pg_sql "ALTER TABLE s1.parent OWNER TO app_owner; GRANT SELECT ON s2.child TO app_reader"
	take_backup
	# since the backup: a password changed, a role dropped with what it owned
	pg_sql "ALTER ROLE app_reader PASSWORD 'reader-new'"
	reader=$(pg_sql "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_reader'")
	PGDATABASE=app pg_sql "DROP OWNED BY app_owner CASCADE"
	pg_sql "DROP ROLE app_owner"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	grep -q "role app_owner did not exist: re-created from 'globals_" "$BACKUPS/recovery.log"
	grep -q "re-created from" "$BACKUPS"/alert-*-WARNING-roles-recreated
	[ "$(PGDATABASE=app pg_sql "SELECT tableowner FROM pg_tables WHERE tablename = 'parent'")" = app_owner ]
	[ "$(pg_sql "SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = 'app_owner'")" = "t|7" ]
	[ "$(pg_sql "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_reader'")" = "$reader" ]
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s1.parent")" = 2000 ]
	! grep -q "SCRAM" "$BACKUPS/recovery.log"
	for d in $(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^app_(damaged|before_restore)_'") app; do
		pg_sql "DROP DATABASE \"$d\" WITH (FORCE)"
	done
	pg_sql "DROP ROLE app_owner; DROP ROLE app_reader"
}

@test "restorer killed during restore: restart cleans up, resumes, succeeds; nothing lost" {
	PGDATABASE=app pg_sql "CREATE TABLE s1.big AS SELECT g, md5(g::text) v FROM generate_series(1, 600000) g"
	take_backup
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	# killed while the marker says restoring (checked, not guessed: on a
	# loaded machine a nap could outlast the restore)
	wait_for "grep -q 'recovery phase: restoring' $BACKUPS/recovery.log && grep -q '^phase = restoring' $BACKUPS/recovery-in-progress" 30
	kill9_sidecar
	PIDS=()
	[ -e "$BACKUPS/recovery-in-progress" ]
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s1.parent")" = 2000 ]
	start_sidecar restorer
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 90
	ls "$BACKUPS"/alert-*-WARNING-recovery-resumed
	[ -z "$(pg_sql "SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden\_tmp\_%'")" ]
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s1.big")" = 600000 ]
	[ ! -e "$BACKUPS/recovery-in-progress" ]
}

# after a restart: a verification drill, handled after any queued restore,
# says the restorer has looked at its requests
restorer_idle_after_restart() {
	start_sidecar restorer
	touch "$BACKUPS/request-verify"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-verification" 90
}

@test "SIGTERM once verifying: the recovery finishes, is recorded, and is never queued again" {
	take_backup
	PGDATABASE=app pg_sql "DROP TABLE s2.child CASCADE"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "grep -q 'recovery phase: verifying' $BACKUPS/recovery.log" 60
	kill -TERM "$SIDECAR_PID"
	wait "$SIDECAR_PID" || true
	PIDS=()
	grep -q 'recovery phase: swapped' "$BACKUPS/recovery.log"
	! grep -q 'request queued again' "$BACKUPS/recovery.log"
	[ ! -e "$BACKUPS/request-restore" ]
	[ ! -e "$BACKUPS/recovery-in-progress" ]
	grep -q '^result = restored' "$BACKUPS/restorer.status"
	# a row written after the recovery survives the restorer's restart
	PGDATABASE=app pg_sql "INSERT INTO s2.child (parent_id, note) VALUES (1, 'after')"
	restorer_idle_after_restart
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s2.child WHERE note = 'after'")" = 1 ]
	[ "$(grep -c 'recovery of .app. starting' "$BACKUPS/recovery.log")" = 1 ]
}

@test "SIGTERM between the swap's two renames waits for the second: the target is never left missing" {
	take_backup
	PGDATABASE=app pg_sql "DROP TABLE s2.child CASCADE"
	PGWARDEN_TEST_SWAP_PAUSE_MS=3000 start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "grep -q 'test: pausing 3000 ms between the renames' $BACKUPS/recovery.log" 60
	kill -TERM "$SIDECAR_PID"
	wait "$SIDECAR_PID" || true
	PIDS=()
	[ "$(pg_sql "SELECT count(*) FROM pg_database WHERE datname = 'app'")" = 1 ]
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s2.child")" = 3000 ]
	grep -q '^result = restored' "$BACKUPS/restorer.status"
	! grep -q 'request queued again' "$BACKUPS/recovery.log"
}

@test "SIGKILL just after the swap: the restart records it and does not run it again" {
	take_backup
	PGDATABASE=app pg_sql "DROP TABLE s2.child CASCADE"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "grep -q 'recovery phase: swapped' $BACKUPS/recovery.log" 60
	kill9_sidecar
	PIDS=()
	PGDATABASE=app pg_sql "INSERT INTO s2.child (parent_id, note) VALUES (1, 'after')"
	restorer_idle_after_restart
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s2.child WHERE note = 'after'")" = 1 ]
	[ "$(grep -c 'recovery of .app. starting' "$BACKUPS/recovery.log")" = 1 ]
	! ls "$BACKUPS"/alert-*-recovery-resumed 2>/dev/null
	grep -q '^result = restored' "$BACKUPS/restorer.status"
}

@test "a stale marker in phase swapping: done when the temporary database is gone, run again when it is not" {
	take_backup
	printf 'pid = 1\nreason = test\ndatabase = app\nbackup = x\ntmp = pgwarden_tmp_gone\nresult = \nphase = swapping\n' \
		>"$BACKUPS/recovery-in-progress"
	restorer_idle_after_restart
	grep -q 'had swapped its data in (phase swapping)' "$BACKUPS/recovery.log"
	! grep -q 'recovery of .app. starting' "$BACKUPS/recovery.log"
	stop_sidecars
	pg_sql "CREATE DATABASE pgwarden_tmp_there"
	printf 'pid = 1\nreason = test\ndatabase = app\nbackup = x\ntmp = pgwarden_tmp_there\nresult = \nphase = swapping\n' \
		>"$BACKUPS/recovery-in-progress"
	start_sidecar restorer
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	ls "$BACKUPS"/alert-*-WARNING-recovery-resumed
}

@test "server restarted mid-restore: the restorer reconnects and restores the same backup, no reset, no leftovers" {
	PGDATABASE=app pg_sql "CREATE TABLE s1.big AS SELECT g, md5(g::text) v FROM generate_series(1, 2000000) g"
	take_backup
	sleep 1.1 # an older backup too: the restorer must not fall back to it
	take_backup
	PGDATABASE=app pg_sql "DROP TABLE s2.child CASCADE"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "[ \"\$(pg_sql \"SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'pgwarden\\_tmp\\_%' AND query LIKE 'COPY%'\" 2>/dev/null)\" -ge 1 ]" 60
	pg_stop "$PGW_CLUSTER"
	pg_start "$PGW_CLUSTER"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 120
	grep -q 'connection to the server was lost while restoring' "$BACKUPS/recovery.log"
	newest=$(ls "$BACKUPS"/backup_*_app.sql.gz | sort | tail -1)
	grep -q "^backup = $(basename "$newest")" "$BACKUPS/restorer.status"
	! ls "$BACKUPS"/alert-*-restore-failed "$BACKUPS"/alert-*-fresh-reset "$BACKUPS"/alert-*-recovery-needs-person 2>/dev/null
	[ -z "$(pg_sql "SELECT datname FROM pg_database WHERE datname LIKE 'pgwarden\_tmp\_%'")" ]
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s2.child")" = 3000 ]
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s1.big")" = 2000000 ]
}

@test "server gone mid-restore for longer than server_wait: CRITICAL, nothing reset, the database left as it is" {
	export PGWARDEN_SERVER_WAIT=3
	PGDATABASE=app pg_sql "CREATE TABLE s1.big AS SELECT g, md5(g::text) v FROM generate_series(1, 2000000) g"
	take_backup
	PGDATABASE=app pg_sql "DROP TABLE s2.child CASCADE"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "[ \"\$(pg_sql \"SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'pgwarden\\_tmp\\_%' AND query LIKE 'COPY%'\" 2>/dev/null)\" -ge 1 ]" 60
	pg_stop "$PGW_CLUSTER"
	wait_for "ls $BACKUPS/alert-*-CRITICAL-recovery-failed" 60
	grep -q 'did not come back within 3 s' "$BACKUPS/recovery.log"
	grep -q '^result = failed' "$BACKUPS/restorer.status"
	! ls "$BACKUPS"/alert-*-fresh-reset "$BACKUPS"/alert-*-recovery-needs-person 2>/dev/null
	pg_start "$PGW_CLUSTER"
	[ -z "$(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^app_(damaged|before_restore)_'")" ]
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s1.parent")" = 2000 ]
}

@test "2,000 tables (more locks than max_locks_per_transaction allows one transaction): restored, not reset" {
	[ "$(pg_sql "SHOW max_locks_per_transaction")" = 64 ]
	for b in $(seq 0 9); do
		PGDATABASE=app pg_sql "DO \$\$ BEGIN FOR i IN $((b * 200 + 1))..$((b * 200 + 200)) LOOP
			EXECUTE format('CREATE TABLE s1.t%s (id int PRIMARY KEY, v text)', i);
			EXECUTE format('INSERT INTO s1.t%s VALUES (%s, ''x'')', i, i); END LOOP; END \$\$"
	done
	take_backup
	PGDATABASE=app pg_sql "DROP TABLE s1.t1999"
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS | grep -qE 'SUCCESS-recovery|CRITICAL-'" 300
	ls "$BACKUPS"/alert-*-SUCCESS-recovery
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 's1' AND tablename ~ '^t[0-9]+$'")" = 2000 ]
	[ "$(PGDATABASE=app pg_sql "SELECT v FROM s1.t1999")" = x ]
}

@test "a recovery pre-empts a backup stuck behind a lock, never waits behind it; the backup runs again after it" {
	export PGWARDEN_LOCK_WAIT_TIMEOUT=600
	take_backup
	PGDATABASE=app pg_sql "DROP TABLE s2.child CASCADE"
	hold_lock app s1.parent
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for dump_waits_on_lock 30
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 60
	grep -q 'a recovery is waiting: the backup stops here and runs again after it' "$BACKUPS/backup.log"
	[ "$(PGDATABASE=app pg_sql "SELECT count(*) FROM s2.child")" = 3000 ]
	# the swap ended the lock holder's session; the backup queued again runs
	# (take_backup's own SUCCESS alert is there already: wait for one more)
	wait_for "[ \$(ls $BACKUPS/alert-*-SUCCESS-backup | wc -l) -ge 2 ]" 60
	grep -q 'reason=after a recovery\|after a recovery that pre-empted' "$BACKUPS/backup.log"
}

@test "no backups at all: fresh reset with init scripts and migrations, CRITICAL alert" {
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-CRITICAL-fresh-reset" 60
	[ "$(PGDATABASE=app pg_sql "SELECT max(version) FROM schema_migrations")" = 0002 ]
	PGDATABASE=app pg_sql "SELECT count(*) FROM app.orders" >/dev/null
	[ -n "$(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^app_(damaged|before_restore)_'")" ]
}

@test "manual restore of ../../etc/passwd, a symlink, a missing or truncated file is refused, nothing touched" {
	take_backup
	f=$(basename "$(ls "$BACKUPS"/backup_*_app.sql.gz)")
	run "$BIN/pgwarden" restore --backup ../../etc/passwd
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a backup file name"* ]]
	ln -s "$BACKUPS/$f" "$BACKUPS/backup_20200101_000000_app.sql.gz"
	run "$BIN/pgwarden" restore --backup backup_20200101_000000_app.sql.gz
	[ "$status" -eq 1 ]
	[[ "$output" == *"symlink"* ]]
	run "$BIN/pgwarden" restore --backup backup_20300101_000000_app.sql.gz
	[ "$status" -eq 1 ]
	cp "$BACKUPS/$f" "$BACKUPS/t.gz"
	head -c 1000 "$BACKUPS/t.gz" >"$BACKUPS/$f"
	run "$BIN/pgwarden" restore --backup "$f"
	[ "$status" -eq 1 ]
	[[ "$output" == *"size is 1000 bytes"* ]]
	[ ! -e "$BACKUPS/request-restore" ]
	# the same file named in a request to the sidecar is refused too
	start_sidecar restorer
	echo "$f" >"$BACKUPS/request-restore"
	wait_for "ls $BACKUPS/alert-*-ERROR-request-rejected" 20
	[ -z "$(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '^app_(damaged|before_restore)_'")" ]
}

@test "pgwarden restore --dry-run prints the plan and requests nothing" {
	take_backup
	run "$BIN/pgwarden" restore --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"plan: restore database 'app' (backups in $BACKUPS) from backup_"* ]]
	[ ! -e "$BACKUPS/request-restore" ]
	run "$BIN/pgwarden" list-backups
	[[ "$output" == *"valid"* ]]
}

@test "the CLI says what it uses, exits 4 without a backups directory, and writes as the directory's owner when run as root" {
	take_backup
	PGWARDEN_BACKUP_DIR=/nonexistent/pgw run "$BIN/pgwarden" status
	[ "$status" -eq 4 ]
	[[ "$output" == *"backups directory '/nonexistent/pgw' does not exist (set PGWARDEN_BACKUP_DIR"* ]]
	PGWARDEN_BACKUP_DIR=/nonexistent/pgw run "$BIN/pgwarden" restore --dry-run
	[ "$status" -eq 4 ]
	run "$BIN/pgwarden" status
	[[ "$output" == *"(backups in $BACKUPS, database 'app')"* ]]
	run "$BIN/pgwarden" list-backups --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[] | select(.kind == "database")][0].database' <<<"$output")" = app ]
	[ "$(jq -r '.[0].status' <<<"$output")" = valid ]
	run "$BIN/pgwarden" list-backups
	[[ "$output" == *"# backups in $BACKUPS"* ]]
	[[ "$output" == *" KiB "* || "$output" == *" B "* ]]
	run "$BIN/pgwarden" list-backups --jsn
	[ "$status" -eq 3 ]
	run "$BIN/pgwarden" cat-backup /etc/passwd
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused: '/etc/passwd' is not a backup's name"* ]]
	run "$BIN/pgwarden" --version
	[[ "$output" =~ ^pgwarden\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	# on a terminal, a restore asks first; --yes does not
	run script -qec "$BIN/pgwarden restore" /dev/null <<<"no"
	[[ "$output" == *"Type 'yes' to go on"* ]]
	[[ "$output" == *"not confirmed; nothing was requested"* ]]
	[ ! -e "$BACKUPS/request-restore" ]
	run script -qec "$BIN/pgwarden restore --yes" /dev/null </dev/null
	[ -e "$BACKUPS/request-restore" ]
	rm "$BACKUPS/request-restore"
	run "$BIN/pgwarden" status --alive foo
	[ "$status" -eq 3 ]
	[[ "$output" == *"unknown sidecar 'foo'"* ]]
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres "$BACKUPS"
		"$BIN/pgwarden" alert warning as-root 'written by root'
		"$BIN/pgwarden" restore --dry-run >/dev/null
		[ "$(stat -c %U "$BACKUPS"/alert-*-as-root)" = postgres ]
		runuser -u postgres -- cat "$BACKUPS"/alert-*-as-root >/dev/null
	fi
}

@test "pgwarden status shows the job running: a backup waiting on a lock, then a recovery with bytes done and a percent" {
	PGDATABASE=app pg_sql "CREATE TABLE s1.big AS SELECT g, md5(g::text) v FROM generate_series(1, 2000000) g"
	take_backup
	hold_lock app s1.parent
	start_sidecar backupper
	touch "$BACKUPS/request-backup"
	wait_for dump_waits_on_lock 30
	run "$BIN/pgwarden" status
	[[ "$output" == *"running          backup backup_"*"_app.sql.gz: 0 B of about "*" MiB (0%), "* ]]
	[ "$("$BIN/pgwarden" status --json | jq -r .job.kind)" = backup ]
	release_lock app s1.parent
	wait_for "! ls $BACKUPS/job-progress 2>/dev/null" 60
	stop_sidecars
	start_sidecar restorer
	touch "$BACKUPS/request-restore"
	# its first line is written as it starts (0 B), then every second
	wait_for "\"$BIN/pgwarden\" status | grep -qE 'running +recovery backup_.*: [0-9.]+ (B|KiB|MiB) of [0-9.]+ MiB \([0-9]+%\), 0m '" 60
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" 120
	run "$BIN/pgwarden" status
	[[ "$output" != *"running  "* ]]
}
