#!/usr/bin/env bats
# The continuous WAL archive (docs/WAL.md): pgwarden-db makes the server
# archive every WAL file into $BACKUPS/wal through pgwarden wal-push, and
# pgwarden wal-fetch gives them back to a recovery.

load helpers

setup_file() {
	PGW_CLUSTER=$(mktemp -d "${TMPDIR:-/tmp}/pgw-bats-XXXXXX")
	export PGW_CLUSTER
	pg_setup "$PGW_CLUSTER" >/dev/null
	PGW_NO_AUTOSTART=1 backups_fresh
	chown postgres "$BACKUPS"
	export BACKUPS
	export PGWARDEN_PGDATA=$PGW_CLUSTER/data PGWARDEN_WAL_ARCHIVE_TIMEOUT=60
	runuser -u postgres --preserve-environment -- "$BIN/pgwarden-db" 2>>"$BACKUPS.db.stderr" >/dev/null 3>&- &
	echo $! >"$PGW_CLUSTER.db.pid"
	wait_for "pg_sql 'SELECT 1' >/dev/null 2>&1" 30
	pg_sql "CREATE TABLE ledger (id int PRIMARY KEY, v text)"
	pg_sql "SELECT system_identifier FROM pg_control_system()" >"$PGW_CLUSTER.sysid"
}

teardown_file() {
	local pid
	pid=$(cat "$PGW_CLUSTER.db.pid")
	kill "$pid" 2>/dev/null || true
	wait_for "! kill -0 $pid 2>/dev/null" 60 || true
	rm -rf "$BACKUPS" "$BACKUPS".*.stderr "$PGW_CLUSTER".db.pid "$PGW_CLUSTER".sysid "$PGW_CLUSTER.restored"
	pg_teardown "$PGW_CLUSTER"
}

setup() {
	pg_env "$PGW_CLUSTER"
	export PGWARDEN_BACKUP_DIR=$BACKUPS
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgw-wal-XXXXXX")
	chown postgres "$WORK"
	ARCHIVE=$BACKUPS/wal/$(cat "$PGW_CLUSTER.sysid")
}
teardown() {
	! mountpoint -q "$WORK/vol" || umount "$WORK/vol"
	rm -rf "$WORK"
}

# as the server runs its commands: as postgres, in the data directory
as_pg() { (cd "$PGW_CLUSTER/data" && runuser -u postgres --preserve-environment -- "$@"); }
current_segment() { pg_sql "SELECT pg_walfile_name(pg_current_wal_lsn())"; }
# switch to a new segment and wait until the one just ended is archived
switch_and_wait() {
	local seg
	seg=$(current_segment)
	pg_sql "SELECT pg_switch_wal()" >/dev/null
	wait_for "[ -f $ARCHIVE/$seg.gz ]" 30
	echo "$seg"
}
# invert 16 bytes in the middle of a file (more than a member's header)
flip_middle() {
	python3 -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); m = len(b) // 2
b[m:m + 16] = bytes(x ^ 0xff for x in b[m:m + 16]); open(p, "wb").write(b)' "$1"
}
# one base backup through a running backupper's request-basebackup
take_base() {
	local n
	n=$(ls "$BACKUPS"/base_*.manifest 2>/dev/null | wc -l)
	(cd "$WORK" && exec runuser -u postgres --preserve-environment -- "$BIN/pgwarden-backupper" 2>>"$BACKUPS.backupper.stderr" >/dev/null 3>&-) &
	BK=$!
	runuser -u postgres -- touch "$BACKUPS/request-basebackup"
	wait_for "[ \$(ls $BACKUPS/base_*.manifest 2>/dev/null | wc -l) -gt $n ]" 60 || { kill "$BK"; cat "$BACKUPS.backupper.stderr"; false; }
	kill "$BK"
	wait "$BK" || true
}
mkey() { sed -n "s/^$2 = //p" "$1" | head -1; }
add_rows() { pg_sql "INSERT INTO ledger SELECT g, md5(g::text) FROM generate_series($1, $2) g"; }

@test "the server archives every WAL file through pgwarden-db's archive_command; it reads back to the bytes the server wrote" {
	[[ "$(pg_sql 'SHOW archive_command')" == *"pgwarden' wal-push '%p'"* ]]
	[ "$(pg_sql 'SHOW archive_mode')" = on ]
	add_rows 1 1000
	seg=$(switch_and_wait)
	[ "$(stat -c %a "$BACKUPS/wal")" = 700 ] && [ "$(stat -c %a "$ARCHIVE")" = 700 ]
	[ "$(stat -c %a "$ARCHIVE/$seg.gz")" = 600 ]
	gunzip -c "$ARCHIVE/$seg.gz" | cmp - "$PGW_CLUSTER/data/pg_wal/$seg"
	as_pg "$BIN/pgwarden" wal-fetch "$seg" "$WORK/fetched"
	cmp "$WORK/fetched" "$PGW_CLUSTER/data/pg_wal/$seg"
	[ ! -e "$WORK/fetched.partial" ]
	[ "$(pg_sql 'SELECT failed_count FROM pg_stat_archiver')" = 0 ]
	# a compressed segment is much smaller than the server's 16 MiB
	[ "$(stat -c %s "$ARCHIVE/$seg.gz")" -lt 4000000 ]
}

@test "wal-push again of the same file succeeds; a different file under an archived name is refused and the archived one kept" {
	add_rows 1001 1100
	seg=$(switch_and_wait)
	before=$(sha256sum "$ARCHIVE/$seg.gz")
	as_pg "$BIN/pgwarden" wal-push "$PGW_CLUSTER/data/pg_wal/$seg"
	head -c 16777216 /dev/urandom >"$WORK/$seg"
	chown postgres "$WORK/$seg"
	run as_pg "$BIN/pgwarden" wal-push "$WORK/$seg"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already holds a different '$seg'"* ]]
	[ "$(sha256sum "$ARCHIVE/$seg.gz")" = "$before" ]
	[ -z "$(find "$ARCHIVE" -name '*.partial')" ]
}

@test "wal-fetch: an absent file exits 1, a damaged one 126 and leaves nothing; a name that is not a WAL file is refused" {
	run as_pg "$BIN/pgwarden" wal-fetch 0000000100000000000000FF "$WORK/x"
	[ "$status" -eq 1 ]
	[ ! -e "$WORK/x" ]
	add_rows 1101 1200
	seg=$(switch_and_wait)
	cp "$ARCHIVE/$seg.gz" "$WORK/keep.gz"
	flip_middle "$ARCHIVE/$seg.gz"
	run as_pg "$BIN/pgwarden" wal-fetch "$seg" "$WORK/x"
	[ "$status" -eq 126 ]
	[[ "$output" == *"recovery stops here"* ]]
	[ ! -e "$WORK/x" ] && [ ! -e "$WORK/x.partial" ]
	cp "$WORK/keep.gz" "$ARCHIVE/$seg.gz"
	run as_pg "$BIN/pgwarden" wal-push "$PGW_CLUSTER/data/postgresql.conf" ../../etc/passwd
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a WAL file name"* ]]
	run as_pg "$BIN/pgwarden" wal-fetch ../postgresql.conf "$WORK/x"
	[ "$status" -eq 126 ]
}

@test "request-basebackup: a base backup with its WAL range; pg_verifybackup passes, and it plus the archive replay to the last commit" {
	R=$PGW_CLUSTER.restored
	rm -rf "$R"
	mkdir -p "$R/sock" "$R/data"
	chmod 700 "$R/data"
	chown -R postgres "$R"
	add_rows 1201 2000
	take_base
	f=$(ls "$BACKUPS"/base_*.tar.gz | tail -1)
	m=$f.manifest
	[ "$(mkey "$m" kind)" = base ]
	[ "$(mkey "$m" status)" = valid ]
	[ "$(mkey "$m" cluster_id)" = "$(cat "$PGW_CLUSTER.sysid")" ]
	[ "$(mkey "$m" timeline)" = 1 ]
	[ "$(mkey "$m" sha256)" = "$(sha256sum "$f" | cut -d' ' -f1)" ]
	[ "$(mkey "$m" wal_start)" = "$(pg_sql "SELECT pg_walfile_name('$(mkey "$m" lsn_start)')")" ]
	ls "$BACKUPS"/alert-*-SUCCESS-basebackup
	(cd "$WORK" && as_pg "$BIN/pgwarden" list-backups) | grep -q "^$(basename "$f") .* its end to segment "
	[ "$(cd "$WORK" && as_pg "$BIN/pgwarden" list-backups --json | jq -r '.[] | select(.kind == "base") | .chain' | head -1)" = true ]
	# more commits after the base backup, then the segment they are in
	add_rows 2001 7000
	switch_and_wait >/dev/null
	want=$(pg_sql "SELECT count(*), sum(id) FROM ledger")
	gunzip -c "$f" | runuser -u postgres -- tar -x -C "$R/data"
	as_pg "$PG_BINDIR/pg_verifybackup" -n "$R/data"
	touch "$R/data/recovery.signal"
	chown postgres "$R/data/recovery.signal"
	cat >>"$R/data/postgresql.auto.conf" <<-CONF
		restore_command = '$BIN/pgwarden wal-fetch %f %p'
		unix_socket_directories = '$R/sock'
		archive_mode = off
	CONF
	as_pg "$PG_BINDIR/pg_ctl" -D "$R/data" -l "$R/log" -w -t 60 start >/dev/null
	wait_for "[ \"\$(PGHOST=$R/sock pg_sql 'SELECT pg_is_in_recovery()')\" = f ]" 60
	[ "$(PGHOST=$R/sock pg_sql 'SELECT count(*), sum(id) FROM ledger')" = "$want" ]
	grep -q "restored log file \"$(mkey "$m" wal_start)\" from archive" "$R/log"
	as_pg "$PG_BINDIR/pg_ctl" -D "$R/data" -m fast -w stop >/dev/null
}

@test "an archive that cannot be written: the monitor raises one CRITICAL wal-archive-failing within a minute, SUCCESS when it works again; no segment is lost" {
	switch_and_wait >/dev/null # the archive's directory exists
	add_rows 7001 7100
	seg=$(current_segment)
	chmod 500 "$ARCHIVE"
	pg_sql "SELECT pg_switch_wal()" >/dev/null
	wait_for "[ \"\$(pg_sql 'SELECT last_failed_wal FROM pg_stat_archiver')\" = $seg ]" 30
	PGWARDEN_HEARTBEAT=off HEALTH_CHECK_INTERVAL=1 runuser -u postgres --preserve-environment -- "$BIN/pgwarden-monitor" 2>>"$BACKUPS.monitor.stderr" >/dev/null 3>&- &
	MON=$!
	wait_for "ls $BACKUPS/alert-*-CRITICAL-wal-archive-failing" 60 || { kill "$MON"; cat "$BACKUPS.monitor.stderr"; false; }
	grep -q "$seg" "$BACKUPS"/alert-*-CRITICAL-wal-archive-failing
	[ -f "$PGW_CLUSTER/data/pg_wal/$seg" ] # kept by the server
	sleep 3 # more failing checks: still one alert
	[ "$(ls "$BACKUPS"/alert-*-CRITICAL-wal-archive-failing | wc -l)" = 1 ]
	chmod 700 "$ARCHIVE"
	wait_for "[ -f $ARCHIVE/$seg.gz ]" 90
	wait_for "ls $BACKUPS/alert-*-SUCCESS-wal-archive-ok" 30 || { kill "$MON"; false; }
	kill "$MON"
	wait "$MON" || true
	# a segment may have been dropped meanwhile: a new anchor is asked for
	grep -q "after a WAL archive failure" "$BACKUPS/request-basebackup"
	rm "$BACKUPS/request-basebackup"
	gunzip -t "$ARCHIVE/$seg.gz"
}

@test "retention: a base backup past retention_days goes, the newest usable one never; WAL goes only when no kept base backup needs it" {
	take_base
	old=$(ls "$BACKUPS"/base_*.tar.gz | tail -1)
	add_rows 8001 9000
	switch_and_wait >/dev/null
	take_base
	new=$(ls "$BACKUPS"/base_*.tar.gz | tail -1)
	[ "$old" != "$new" ]
	needed=$(mkey "$new.manifest" wal_start)
	before=$(ls "$ARCHIVE" | sed -n '/^[0-9A-F]\{24\}\./p' | awk -v n="$needed" 'substr($0, 9, 16) < substr(n, 9, 16)' | wc -l)
	[ "$before" -gt 0 ]
	# every base backup but the newest is past retention
	for f in "$BACKUPS"/base_*.tar.gz; do
		[ "$f" = "$new" ] || sed -i "s/^finished = .*/finished = 2020-01-01T00:00:00Z/" "$f.manifest"
	done
	PGWARDEN_BACKUP_DATABASES=postgres runuser -u postgres --preserve-environment -- "$BIN/pgwarden-backupper" --once 2>/dev/null
	[ ! -e "$old" ] && [ ! -e "$old.manifest" ] && [ -f "$new" ]
	left=$(ls "$ARCHIVE" | sed -n '/^[0-9A-F]\{24\}\./p' | awk -v n="$needed" 'substr($0, 9, 16) < substr(n, 9, 16)' | wc -l)
	[ "$left" = 0 ]
	[ -f "$ARCHIVE/$needed.gz" ]
	grep -q "deleted base backup" "$BACKUPS/retention.log"
	# the newest usable one stays even when it too is past retention
	sed -i "s/^finished = .*/finished = 2020-01-01T00:00:00Z/" "$new.manifest"
	PGWARDEN_BACKUP_DATABASES=postgres runuser -u postgres --preserve-environment -- "$BIN/pgwarden-backupper" --once 2>/dev/null
	[ -f "$new" ] && [ -f "$ARCHIVE/$needed.gz" ]
}

@test "request-physical-restore: the base backup, the archive and the old pg_wal replay to the last commit; PGDATA kept aside; a new timeline is archived" {
	take_base
	add_rows 20001 25000
	# these commits are in pg_wal only: their segment is not archived yet
	want=$(pg_sql "SELECT count(*), sum(id) FROM ledger")
	gen=$(sed -n 's/^generation = //p' "$BACKUPS/server.status")
	runuser -u postgres -- sh -c "echo 'reason=test' > '$BACKUPS/request-physical-restore'"
	wait_for "grep -q '^physical = started' $BACKUPS/server.status" 60 || { cat "$BACKUPS.db.stderr" | tail -20; cat "$BACKUPS"/base_*.manifest; ls "$ARCHIVE"; false; }
	wait_for "[ \"\$(pg_sql 'SELECT pg_is_in_recovery()' 2>/dev/null)\" = f ]" 120 || { tail -30 "$BACKUPS/postgresql.log"; tail "$BACKUPS.db.stderr"; false; }
	[ "$(pg_sql 'SELECT count(*), sum(id) FROM ledger')" = "$want" ]
	[ "$(sed -n 's/^generation = //p' "$BACKUPS/server.status")" -gt "$gen" ]
	aside=$(ls -d "$PGW_CLUSTER"/data.damaged-* | tail -1)
	[ -f "$aside/PG_VERSION" ]
	grep -q "physical_why = base backup base_" "$BACKUPS/server.status"
	ls "$BACKUPS"/alert-*-WARNING-physical-restore
	[ "$(pg_sql "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")" = 00000002 ]
	wait_for "[ -f $ARCHIVE/00000002.history.gz ]" 60
	# writes go on, on the new timeline, and are archived
	add_rows 25001 25100
	switch_and_wait >/dev/null
}

start_restorer() {
	(cd "$WORK" && exec runuser -u postgres --preserve-environment -- env PGWARDEN_DATABASE=app "$BIN/pgwarden-restorer" 2>>"$BACKUPS.restorer.stderr" >/dev/null 3>&-) &
	RS=$!
	wait_for "grep -q started $BACKUPS.restorer.stderr" 10
}

# request-restore as the monitor writes it; wait for the SUCCESS alert and
# stop the restorer
recover_as_monitor() {
	runuser -u postgres -- sh -c "printf 'reason=monitor: 3 consecutive failed checks\n' > '$BACKUPS/request-restore'"
	wait_for "ls $BACKUPS/alert-*-SUCCESS-recovery" "$1" || { kill "$RS"; tail -20 "$BACKUPS.restorer.stderr"; false; }
	kill "$RS"
	wait "$RS" || true
}

ensure_app() {
	[ -n "$(pg_sql "SELECT 1 FROM pg_database WHERE datname = 'app'")" ] || pg_sql "CREATE DATABASE app"
	PGDATABASE=app pg_sql "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY); INSERT INTO t SELECT g FROM generate_series(1, 100) g ON CONFLICT DO NOTHING"
}

@test "a recovery the monitor asks for goes physical when the chain holds: 0 committed rows lost, the recovery point in the SUCCESS alert, a new base backup asked for" {
	ensure_app
	take_base
	add_rows 30001 32000
	want=$(pg_sql "SELECT count(*), sum(id) FROM ledger")
	rm -f "$BACKUPS"/alert-*-SUCCESS-recovery
	start_restorer
	recover_as_monitor 180
	[ "$(pg_sql 'SELECT count(*), sum(id) FROM ledger')" = "$want" ]
	a=$(ls "$BACKUPS"/alert-*-SUCCESS-recovery)
	grep -q "recovered physically" "$a"
	grep -q "Recovery point: LSN [0-9A-F]*/[0-9A-F]*, last commit replayed 20" "$a"
	grep -q "Tables of 'app' read whole: 1" "$a"
	grep -q "^result = restored" "$BACKUPS/restorer.status"
	[ -e "$BACKUPS/request-basebackup" ]
	rm "$BACKUPS/request-basebackup"
	[ ! -e "$BACKUPS/recovery-in-progress" ]
	# the old pg_wal's segments, replayed but never archived, are now
	base=$(sed -n 's/.*Base backup: //p' "$a")
	from=$(mkey "$BACKUPS/$base.manifest" wal_start)
	[ -f "$ARCHIVE/$from.gz" ]
}

@test "a gap in the archive: no recovery from a broken chain; auto falls back to the logical path" {
	ensure_app
	PGWARDEN_BACKUP_DATABASES=app runuser -u postgres --preserve-environment -- "$BIN/pgwarden-backupper" --once 2>/dev/null
	take_base
	add_rows 40001 41000
	a=$(switch_and_wait)
	add_rows 41001 42000
	b=$(switch_and_wait)
	add_rows 42001 43000
	switch_and_wait >/dev/null
	mv "$ARCHIVE/$b.gz" "$WORK/"
	rm -f "$BACKUPS"/alert-*-SUCCESS-recovery
	start_restorer
	recover_as_monitor 180
	grep -q "physical recovery not possible: .*lacks segment ${b:8} .* a gap" "$BACKUPS.restorer.stderr"
	grep -q "restored from backup backup_" "$BACKUPS"/alert-*-SUCCESS-recovery
	grep -q "physical restore refused" "$BACKUPS.db.stderr"
	mv "$WORK/$b.gz" "$ARCHIVE/"
}

@test "a gap in the archive is found by the backupper's chain check: CRITICAL wal-archive-gap naming the segment, a new base backup by itself, then the chain holds again" {
	take_base
	add_rows 60001 61000
	a=$(switch_and_wait)
	add_rows 61001 62000
	switch_and_wait >/dev/null
	n=$(ls "$BACKUPS"/base_*.manifest | wc -l)
	(cd "$WORK" && PGWARDEN_WAL_CHAIN_CHECK_INTERVAL=1 exec runuser -u postgres --preserve-environment -- "$BIN/pgwarden-backupper" 2>>"$BACKUPS.backupper.stderr" >/dev/null 3>&-) &
	BK=$!
	wait_for "grep -q '^chain = ok' $BACKUPS/archive.status" 30 || { kill "$BK"; cat "$BACKUPS/archive.status"; false; }
	run "$BIN/pgwarden" status --json
	[ "$(jq -r .archive.chain <<<"$output")" = ok ]
	[ "$(jq -r .archive.base_backups_usable <<<"$output")" -ge 1 ]
	mv "$ARCHIVE/$a.gz" "$WORK/"
	wait_for "ls $BACKUPS/alert-*-CRITICAL-wal-archive-gap" 30 || { kill "$BK"; cat "$BACKUPS/archive.status"; false; }
	grep -q "lacks segment ${a:8}" "$BACKUPS"/alert-*-CRITICAL-wal-archive-gap
	run "$BIN/pgwarden" status --json
	[ "$(jq -r .verdict <<<"$output")" = attention ]
	[[ "$(jq -r '.problems[]' <<<"$output")" == *"the WAL archive has a gap"* ]]
	# the re-anchor: a base backup taken by itself, and the chain whole
	wait_for "[ \$(ls $BACKUPS/base_*.manifest | wc -l) -gt $n ]" 60 || { kill "$BK"; false; }
	wait_for "ls $BACKUPS/alert-*-SUCCESS-wal-archive-gap-closed" 60 || { kill "$BK"; cat "$BACKUPS/archive.status"; false; }
	grep -q '^chain = ok' "$BACKUPS/archive.status"
	grep -q "a gap in the WAL archive" "$BACKUPS.backupper.stderr"
	[ "$(ls "$BACKUPS"/alert-*-CRITICAL-wal-archive-gap | wc -l)" = 1 ] # one per episode
	kill "$BK"
	wait "$BK" || true
	mv "$WORK/$a.gz" "$ARCHIVE/"
	rm -f "$BACKUPS"/alert-*-wal-archive-gap*
}

@test "a damaged segment in the archive is found by the read-back: moved aside as .damaged (kept), CRITICAL wal-archive-damaged, then a gap re-anchored by a base backup" {
	take_base
	add_rows 64001 65000
	a=$(switch_and_wait)
	add_rows 65001 66000
	switch_and_wait >/dev/null
	n=$(ls "$BACKUPS"/base_*.manifest | wc -l)
	cp "$ARCHIVE/$a.gz" "$WORK/$a.gz.orig"
	flip_middle "$ARCHIVE/$a.gz"
	(cd "$WORK" && PGWARDEN_WAL_CHAIN_CHECK_INTERVAL=1 exec runuser -u postgres --preserve-environment -- "$BIN/pgwarden-backupper" 2>>"$BACKUPS.backupper.stderr" >/dev/null 3>&-) &
	BK=$!
	wait_for "ls $BACKUPS/alert-*-CRITICAL-wal-archive-damaged" 30 || { kill "$BK"; false; }
	grep -q "WAL file $a.gz in the archive" "$BACKUPS"/alert-*-CRITICAL-wal-archive-damaged
	[ -f "$ARCHIVE/$a.gz.damaged" ]
	[ ! -e "$ARCHIVE/$a.gz" ]
	cmp -s "$ARCHIVE/$a.gz.damaged" "$WORK/$a.gz.orig" && false # the damaged bytes, kept as they were
	wait_for "ls $BACKUPS/alert-*-CRITICAL-wal-archive-gap" 30 || { kill "$BK"; cat "$BACKUPS/archive.status"; false; }
	wait_for "[ \$(ls $BACKUPS/base_*.manifest | wc -l) -gt $n ]" 60 || { kill "$BK"; false; }
	wait_for "ls $BACKUPS/alert-*-SUCCESS-wal-archive-gap-closed" 60 || { kill "$BK"; cat "$BACKUPS/archive.status"; false; }
	[ "$(ls "$BACKUPS"/alert-*-CRITICAL-wal-archive-damaged | wc -l)" = 1 ]
	kill "$BK"
	wait "$BK" || true
	rm "$ARCHIVE/$a.gz.damaged" # the test's own debris: the good copy back
	mv "$WORK/$a.gz.orig" "$ARCHIVE/$a.gz"
	rm -f "$BACKUPS"/alert-*-wal-archive-*
}

@test "the archive's lag, as the monitor measures it: bytes and seconds while a write is not archived, 0 s once it is; in status --json and metrics.prom" {
	switch_and_wait >/dev/null
	rm -f "$BACKUPS/monitor.status" # an earlier test's monitor wrote one
	PGWARDEN_HEARTBEAT=off HEALTH_CHECK_INTERVAL=1 runuser -u postgres --preserve-environment -- "$BIN/pgwarden-monitor" 2>>"$BACKUPS.monitor.stderr" >/dev/null 3>&- &
	MON=$!
	# this monitor has seen the archive at its end: a write is seen from there
	wait_for "grep -q '^lag_s = 0' $BACKUPS/monitor.status" 30 || { kill "$MON"; cat "$BACKUPS/monitor.status"; false; }
	add_rows 63001 63010 # a write the archive does not hold yet
	wait_for "[ \$(sed -n 's/^lag_s = //p' $BACKUPS/monitor.status) -ge 2 ]" 30 || { kill "$MON"; cat "$BACKUPS/monitor.status"; false; }
	[ "$(sed -n 's/^lag_bytes = //p' "$BACKUPS/monitor.status")" -gt 0 ]
	seg=$(switch_and_wait)
	wait_for "grep -q '^lag_s = 0' $BACKUPS/monitor.status" 30 || { kill "$MON"; cat "$BACKUPS/monitor.status"; false; }
	wait_for "grep -q '^archived_wal = $seg' $BACKUPS/monitor.status" 30 || { kill "$MON"; false; }
	run "$BIN/pgwarden" status --json
	[ "$(jq -r .archive.mode <<<"$output")" = on ]
	[ "$(jq -r .archive.lag_s <<<"$output")" = 0 ]
	wait_for "grep -q '^pgwarden_wal_archive_lag_seconds 0' $BACKUPS/metrics.prom" 30 || { kill "$MON"; false; }
	grep -q '^pgwarden_wal_last_archived_timestamp_seconds [1-9]' "$BACKUPS/metrics.prom"
	kill "$MON"
	wait "$MON" || true
}

# a restorer whose drills' throwaway clusters go into $WORK/scratch, and a
# drill asked for
start_drill() {
	mkdir -p "$WORK/scratch"
	chown postgres "$WORK/scratch"
	(cd "$WORK" && exec runuser -u postgres --preserve-environment -- env PGWARDEN_DATABASE=app PGWARDEN_VERIFY_NEWEST=1 PGWARDEN_VERIFY_CLUSTER_DIR="$WORK/scratch" PGWARDEN_VERIFY_CLUSTER_PORT=5491 "$BIN/pgwarden-restorer" 2>>"$BACKUPS.restorer.stderr" >/dev/null 3>&-) &
	RS=$!
	wait_for "grep -q started $BACKUPS.restorer.stderr" 10
	runuser -u postgres -- touch "$BACKUPS/request-verify"
}

@test "a base backup drill: laid down in a throwaway cluster, pg_verifybackup, replayed from the archive to its end and read; verified with its RTO in the manifest; nothing written into the production archive" {
	ensure_app
	take_base
	add_rows 70001 71000
	switch_and_wait >/dev/null
	m=$(ls -t "$BACKUPS"/base_*.manifest | head -1)
	tli=$(pg_sql "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")
	next=$(printf '%08X' $((16#$tli + 1)))
	start_drill
	wait_for "grep -q '^status = verified' $m" 240 || { kill "$RS"; tail -20 "$BACKUPS.restorer.stderr"; cat "$BACKUPS/verification.log"; false; }
	[ "$(mkey "$m" restore_ms)" -gt 0 ]
	grep -q "base backup '$(basename "$m" .manifest)' verified: recovered to [0-9A-F]*/[0-9A-F]* (last commit 20.*), [1-9][0-9]* tables read" "$BACKUPS/verification.log"
	wait_for "[ -z \"\$(ls -A $WORK/scratch)\" ]" 30 # the throwaway cluster is gone
	kill "$RS"
	wait "$RS" || true
	# the drill promoted its copy to timeline $next, with archiving off
	[ ! -e "$ARCHIVE/$next.history.gz" ]
	run "$BIN/pgwarden" list-backups
	[[ "$output" == *"$(basename "$m" .manifest)"*verified* ]]
}

@test "a damaged base backup fails its drill, is marked failed and is never chosen again" {
	ensure_app
	take_base
	m=$(ls -t "$BACKUPS"/base_*.manifest | head -1)
	f=${m%.manifest}
	flip_middle "$f"
	rm -f "$BACKUPS"/alert-*-ERROR-verification-failed
	start_drill
	wait_for "grep -q '^status = failed' $m" 240 || { kill "$RS"; tail -20 "$BACKUPS.restorer.stderr"; false; }
	kill "$RS"
	wait "$RS" || true
	grep -q "Base Backup Verification" "$BACKUPS"/alert-*-ERROR-verification-failed
	run "$BIN/pgwarden" list-backups
	[[ "$output" == *"$(basename "$f")"*unusable* ]]
	[[ "$output" == *"$(basename "$f")"*"not usable"* ]] # never chosen
	[ -z "$(ls -A "$WORK/scratch")" ]
}

@test "a data directory that cannot start (pg_control destroyed) comes back physically: 0 committed rows lost, no re-init" {
	ensure_app
	take_base
	add_rows 50001 52000
	want=$(pg_sql "SELECT count(*), sum(id) FROM ledger")
	rm -f "$BACKUPS"/alert-*-SUCCESS-recovery
	start_restorer
	dd if=/dev/urandom of="$PGW_CLUSTER/data/global/pg_control" bs=512 count=1 conv=notrunc status=none
	kill -9 "$(head -1 "$PGW_CLUSTER/data/postmaster.pid")"
	recover_as_monitor 240
	[ "$(pg_sql 'SELECT count(*), sum(id) FROM ledger')" = "$want" ]
	grep -q "recovered physically" "$BACKUPS"/alert-*-SUCCESS-recovery
	! grep -q "re-initialising" "$BACKUPS.db.stderr"
}

@test "a full archive volume: wal-push fails (the server keeps the segment and retries) and leaves no half-written file; with room again it archives it" {
	local d=$WORK/vol
	mkdir -p "$d" "$WORK/data/global" "$WORK/data/pg_wal"
	mount -t tmpfs -o size=512k tmpfs "$d"
	mkdir -p "$d/wal/4242"
	printf '\x92\x10\x00\x00\x00\x00\x00\x00' >"$WORK/data/global/pg_control" # 4242
	head -c 1048576 /dev/urandom >"$WORK/data/pg_wal/00000001000000000000000A" # does not compress
	chown -R postgres "$d" "$WORK/data"
	run bash -c "cd '$WORK/data' && PGWARDEN_BACKUP_DIR='$d' runuser -u postgres --preserve-environment -- '$BIN/pgwarden' wal-push pg_wal/00000001000000000000000A"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No space left on device"* ]]
	[ -z "$(ls -A "$d/wal/4242")" ] # no .partial eats the space a retry needs
	mount -o remount,size=8m "$d"
	run bash -c "cd '$WORK/data' && PGWARDEN_BACKUP_DIR='$d' runuser -u postgres --preserve-environment -- '$BIN/pgwarden' wal-push pg_wal/00000001000000000000000A"
	[ "$status" -eq 0 ]
	[ -f "$d/wal/4242/00000001000000000000000A.gz" ]
}

@test "the valve: while the archive fails and PGDATA's volume is nearly full, wal-push gives the segment up (exit 0, CRITICAL wal-archive-dropped) rather than fill the database's volume" {
	local d=$WORK/vol
	mkdir -p "$d"
	mount -t tmpfs -o size=64m tmpfs "$d"
	mkdir -p "$d/global" "$d/pg_wal" "$WORK/b/wal/4242"
	printf '\x92\x10\x00\x00\x00\x00\x00\x00' >"$d/global/pg_control" # 4242
	head -c 1048576 /dev/urandom >"$d/pg_wal/000000010000000000000009"
	chown -R postgres "$d" "$WORK/b"
	chmod 500 "$WORK/b/wal/4242" # the archive fails
	run bash -c "cd '$d' && PGWARDEN_BACKUP_DIR='$WORK/b' runuser -u postgres --preserve-environment -- '$BIN/pgwarden' wal-push pg_wal/000000010000000000000009"
	[ "$status" -eq 1 ] # plenty of room: the server keeps it and retries
	fallocate -l 60m "$d/filler"
	run bash -c "cd '$d' && PGWARDEN_BACKUP_DIR='$WORK/b' runuser -u postgres --preserve-environment -- '$BIN/pgwarden' wal-push pg_wal/000000010000000000000009"
	[ "$status" -eq 0 ]
	[[ "$output" == *"dropped from the archive"* ]]
	ls "$WORK"/b/alert-*-CRITICAL-wal-archive-dropped
	run bash -c "cd '$d' && PGWARDEN_WAL_KEEP_FREE_PCT=0 PGWARDEN_BACKUP_DIR='$WORK/b' runuser -u postgres --preserve-environment -- '$BIN/pgwarden' wal-push pg_wal/000000010000000000000009"
	[ "$status" -eq 1 ] # 0: never drop
	umount "$d"
}
