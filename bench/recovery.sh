#!/usr/bin/env bash
# bench/recovery.sh - restore time of pgwarden against the manual ways, and
# end-to-end time from a fault to the data served again, in one run. The
# cluster runs under pgwarden-db, as in the pod. Not a timed test.
#   SCALE=50 ROWS=3000000 as bench/backup.sh; BENCH_DIR keeps the cluster;
#   PHASES=e2e runs only the end-to-end part, PHASES=restore only the first;
#   REPS=3 rounds of the restore comparison (medians shown).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tests/lib/pg.sh"
source "$ROOT/bench/lib.sh"
SCALE=${SCALE:-50}
ROWS=${ROWS:-3000000}
BIN=$ROOT/build
KEEP=${BENCH_DIR:+1}
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/pgw-bench-XXXXXX")}
B=$DIR/recovery-backups
pids=()

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
cleanup() {
	stop_recorded "$B"
	# by recorded pid only (never by name: another run's or an operator's
	# processes look the same); a stopped runuser never exits, so CONT too
	for p in "${pids[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
		pkill -CONT -P "$p" 2>/dev/null || true
		kill -CONT "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	# with BENCH_DIR the logs stay for reading (the next run clears them)
	[ -n "$KEEP" ] || rm -rf "$B" "$DIR" || rm -rf "$B" "$DIR"
}
trap cleanup EXIT

[ -f "$DIR/data/PG_VERSION" ] || pg_setup "$DIR" >/dev/null
pg_env "$DIR"
pg_stop "$DIR" # pgwarden-db supervises it from here on
rm -rf "$B" && mkdir -p "$B" && chmod 700 "$B"
[ "$(id -u)" = 0 ] && chown postgres "$B"
export PGWARDEN_BACKUP_DIR=$B PGWARDEN_PGDATA=$DIR/data PGWARDEN_SERVER_LOG=$DIR/postgres.log
export PGWARDEN_INITDB_OPTIONS="--data-checksums -U postgres -A trust -E UTF8 --locale=C.UTF-8"
export PGWARDEN_BACKUP_SCHEDULE=off PGWARDEN_SERVER_WAIT=300 PGWARDEN_LOG_LEVEL=warning
export HEALTH_CHECK_INTERVAL=1 MAX_FAILURE_COUNT=3 RECOVERY_COOLDOWN=0
export PGWARDEN_INIT_DIR=$ROOT/config/init PGWARDEN_MIGRATIONS_DIR=$ROOT/migrations

start() { as_pg "$BIN/pgwarden-$1" 2>>"$B/$1.stderr" & pids+=($!); }
stop_last() { pkill -TERM -P "${pids[-1]}" || true; kill -TERM "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" || true; unset 'pids[-1]'; }
drop_damaged() {
	for d in $(pg_sql "SELECT datname FROM pg_database WHERE datname ~ '_(damaged|before_restore)_|^pgwarden_tmp_|^bench_copy'"); do
		pg_sql "DROP DATABASE \"$d\" WITH (FORCE)"
	done
}
alerts() { find "$B" -maxdepth 1 -name "alert-*$1*" | wc -l; }

start db
# pgwarden-db's pid is in its instance lock. As root it runs under runuser,
# which stops itself when its child stops: continue_db wakes the whole chain
db_pid() { cat "$B/.lock-db"; }
db_runner=${pids[0]} # start db came first: its runuser (or itself)
continue_db() { kill -CONT "$(db_pid)"; pkill -CONT -P "$db_runner" || true; kill -CONT "$db_runner" 2>/dev/null || true; }
wait_until 'pg_sql "SELECT 1"' 120
bench_datasets
size_db=$(pg_sql "SELECT pg_size_pretty(sum(pg_database_size(oid))) FROM pg_database")

# PHASES=e2e skips the restore comparison (it takes several minutes). Each
# way runs REPS times, interleaved, each after a CHECKPOINT so that none
# inherits another's dirty buffers; the table shows medians (this machine's
# timings wander by 20 % from run to run, so one run decides little).
PHASES=${PHASES:-all}
REPS=${REPS:-3}
declare -A row
timed_manual() { # WAY DB FILE
	pg_sql "CHECKPOINT"
	local t0
	t0=$(now_ms)
	# every way must create the database it restores into: timed too
	pg_sql "CREATE DATABASE bench_copy"
	case $1 in
	psql) gunzip -c "$3" | "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d bench_copy >/dev/null ;;
	pgrestore) "$PG_BINDIR/pg_restore" -j 2 -d bench_copy "$DIR/custom.dump" ;;
	esac
	row[$2,$1]+="$(secs "$t0" "$(now_ms)") "
	drop_damaged
}
# The wait for pgwarden's alert must not fork: on this 2-core VM a loop of
# ls | grep every 50 ms slowed the server by 30 % (a restore of 7.1 s took
# 8.4-10.2 s), and the manual ways are timed without any poller. Globs,
# [ and read -t are bash builtins; read -t on a pipe nobody writes is a nap.
exec {tick}<> <(:)
nap() { read -rt "$1" -u "$tick" || true; }
count_alerts() { # EVENT -> $N, without a subshell
	local a
	shopt -s nullglob
	a=("$B"/alert-*"$1"*)
	shopt -u nullglob
	N=${#a[@]}
}
timed_pgwarden() { # DB
	pg_sql "CHECKPOINT"
	local n t0 deadline=$((SECONDS + 600))
	count_alerts SUCCESS-recovery
	n=$N
	t0=$(now_ms)
	as_pg touch "$B/request-restore"
	until count_alerts SUCCESS-recovery; [ "$N" -gt "$n" ]; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "timed out: pgwarden restore" >&2; return 1; }
		nap 0.02
	done
	row[$1,pgwarden]+="$(secs "$t0" "$(now_ms)") "
	drop_damaged
}
for db in bench_mixed bench_pgbench; do
	[ "$PHASES" != e2e ] || break
	echo "# $db: backup" >&2
	rm -f "$B"/backup_* "$B"/globals_*
	PGWARDEN_BACKUP_DATABASES=$db as_pg "$BIN/pgwarden-backupper" --once 2>/dev/null
	file=$(ls "$B"/backup_*_"$db".sql.gz)
	"$PG_BINDIR/pg_dump" -Fc -f "$DIR/custom.dump" "$db"
	PGWARDEN_DATABASE=$db start restorer
	for rep in $(seq "$REPS"); do
		echo "# $db: round $rep of $REPS: gunzip | psql, pg_restore -j 2, pgwarden" >&2
		timed_manual psql "$db" "$file"
		timed_manual pgrestore "$db" "$file"
		timed_pgwarden "$db"
	done
	stop_last
	rm -f "$DIR/custom.dump"
done

# The physical ways, of the whole cluster (both datasets). pgwarden:
# request-restore with recovery_method = physical, so the server is
# stopped, PGDATA moved aside, the newest base laid down, the WAL replayed
# to its end, and every table of bench_mixed read whole before the SUCCESS
# alert. pgbackrest: `restore` of a full backup into a new directory, the
# same WAL replayed from pgwarden's archive (restore_command = wal-fetch),
# started, promoted and bench_mixed's big table read from the heap. It does
# not stop or move the live cluster, so it does a little less.
timed_physical() {
	pg_sql "CHECKPOINT"
	local n t0 deadline=$((SECONDS + 900))
	count_alerts SUCCESS-recovery
	n=$N
	t0=$(now_ms)
	as_pg touch "$B/request-restore"
	until count_alerts SUCCESS-recovery; [ "$N" -gt "$n" ]; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "timed out: pgwarden physical" >&2; return 1; }
		nap 0.02
	done
	row[cluster,physical]+="$(secs "$t0" "$(now_ms)") "
	grep -q "recovered physically" "$(ls -t "$B"/alert-*-SUCCESS-recovery | head -1)" ||
		{ echo "pgwarden did not recover physically" >&2; return 1; }
	rm -rf "$DIR"/data.damaged-*
}
timed_pgbackrest() {
	local t0 r=$DIR/pgbr-data s=$DIR/pgbr-sock
	rm -rf "$r" "$s" && mkdir -p "$r" "$s" && chmod 700 "$r"
	[ "$(id -u)" = 0 ] && chown postgres "$r" "$s"
	pg_sql "CHECKPOINT"
	t0=$(now_ms)
	pgbr restore --pg1-path="$r" --archive-mode=off \
		--recovery-option="restore_command=$BIN/pgwarden wal-fetch %f %p"
	as_pg "$PG_BINDIR/pg_ctl" -D "$r" -l "$DIR/pgbr-pg.log" -w -t 900 \
		-o "-c unix_socket_directories=$s -c listen_addresses=''" start >/dev/null
	wait_until "[ \"\$(PGHOST=$s pg_sql 'SELECT pg_is_in_recovery()')\" = f ]" 900
	PGHOST=$s PGDATABASE=bench_mixed pg_sql "SELECT count(*) FROM events WHERE length(note) > 0" >/dev/null
	row[cluster,pgbackrest]+="$(secs "$t0" "$(now_ms)") "
	as_pg "$PG_BINDIR/pg_ctl" -D "$r" -m immediate -w stop >/dev/null
	rm -rf "$r" "$s"
}
if [ "$PHASES" != e2e ]; then
	echo "# whole cluster: a pgwarden base backup and a pgbackrest full backup" >&2
	start backupper
	as_pg touch "$B/request-basebackup"
	wait_until 'ls "$B"/base_*.manifest' 900
	stop_last # no other base backup in the middle of the timings
	pgbr_setup "$DIR" "$DIR/data"
	pgbr backup --type=full
	PGWARDEN_DATABASE=bench_mixed PGWARDEN_RECOVERY_METHOD=physical start restorer
	for rep in $(seq "$REPS"); do
		echo "# whole cluster: round $rep of $REPS: pgbackrest restore, pgwarden physical" >&2
		timed_pgbackrest
		timed_physical
	done
	stop_last
	rm -f "$B/request-basebackup" # each recovery asks for one: not here
fi

echo "# pgwarden recovery benchmark, $(nproc) cores, $(date -u +%FT%TZ), median of $REPS interleaved rounds"
echo
printf '%-16s %24s %18s %18s %16s %16s\n' dataset "gunzip|psql ON_ERROR_STOP" "pg_restore -j2" "pgwarden restore" "x_psql" "x_pg_restore"
for db in bench_mixed bench_pgbench; do
	[ "$PHASES" != e2e ] || break
	p=$(echo "${row[$db,psql]}" | median)
	r=$(echo "${row[$db,pgrestore]}" | median)
	w=$(echo "${row[$db,pgwarden]}" | median)
	awk -v d="$db" -v p="$p" -v r="$r" -v w="$w" 'BEGIN {
		printf "%-16s %23.1fs %17.1fs %17.1fs %16.2f %16.2f\n", d, p, r, w, w/p, w/r }'
done
echo "(pgwarden: request -> verified database swapped in, SUCCESS alert written)"
for db in bench_mixed bench_pgbench; do
	[ "$PHASES" != e2e ] || break
	echo "rounds, $db: psql ${row[$db,psql]}| pg_restore ${row[$db,pgrestore]}| pgwarden ${row[$db,pgwarden]}"
done
echo
if [ "$PHASES" != e2e ]; then
	lm=$(echo "${row[bench_mixed,pgwarden]}" | median)
	lp=$(echo "${row[bench_pgbench,pgwarden]}" | median)
	pb=$(echo "${row[cluster,pgbackrest]}" | median)
	ph=$(echo "${row[cluster,physical]}" | median)
	echo "whole cluster ($size_db), physical against logical:"
	printf '%-52s %9s %12s %14s\n' method wall_s x_logical x_pgbackrest
	prow() { awk -v l="$1" -v w="$2" -v lg="$(awk -v a="$lm" -v b="$lp" 'BEGIN { print a + b }')" -v pb="$pb" \
		'BEGIN { printf "%-52s %8.1fs %12.2f %14.2f\n", l, w, w / lg, w / pb }'; }
	prow "pgwarden logical, bench_mixed + bench_pgbench" "$(awk -v a="$lm" -v b="$lp" 'BEGIN { print a + b }')"
	prow "pgwarden logical, bench_mixed alone" "$lm"
	prow "pgbackrest restore + replay + start + read" "$pb"
	prow "pgwarden physical recovery (request -> SUCCESS)" "$ph"
	echo "rounds: pgbackrest ${row[cluster,pgbackrest]}| pgwarden physical ${row[cluster,physical]}"
	echo
fi
[ "$PHASES" != restore ] || exit 0
# End to end on the mixed dataset: monitor + restorer with 1 s checks, N=3.
export PGWARDEN_DATABASE=bench_mixed PGWARDEN_BACKUP_DATABASES=bench_mixed
rm -f "$B"/backup_* "$B"/globals_*
as_pg "$BIN/pgwarden-backupper" --once 2>/dev/null
expected=$(PGDATABASE=bench_mixed pg_sql "SELECT count(*) FROM events WHERE length(note) > 0")
served() { [ "$(PGDATABASE=bench_mixed pg_sql "SELECT count(*) FROM events WHERE length(note) > 0" 2>/dev/null)" = "$expected" ]; }
PGWARDEN_MIGRATIONS_DIR=$DIR/no-migrations start monitor # the bench databases have none
PGWARDEN_RECOVERY_METHOD=logical start restorer # the logical path first
wait_until 'grep -q "health = healthy" $B/monitor.status' 30

echo "# kill -9 of the server" >&2
n=$(alerts recovery-requested)
t0=$(now_ms)
kill -9 "$(head -1 "$DIR/data/postmaster.pid")"
sleep 0.3
wait_until served 120
e2e_kill=$(secs "$t0" "$(now_ms)")
sleep 5
kill_restores=$(($(alerts recovery-requested) - n))

echo "# page corruption of a live table" >&2
rel=$(PGDATABASE=bench_mixed pg_sql "SELECT pg_relation_filepath('events')")
n=$(alerts SUCCESS-recovery)
# stopped while the page is damaged, so no dirty buffer writes over it;
# pgwarden-db is paused meanwhile so that it does not restart the server
[ -z "${BENCH_TRACE:-}" ] || set -x
kill -STOP "$(db_pid)"
as_pg "$PG_BINDIR/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
printf 'CORRUPTCORRUPTCORRUPTCORRUPT' | dd of="$DIR/data/$rel" bs=1 seek=$((8192 * 20 + 100)) conv=notrunc status=none
continue_db
set +x
t0=$(now_ms)
# the application keeps reading the table (length(note) keeps the planner on
# the heap, not an index-only scan), and so the bad page: it reads first,
# whatever the alerts say, or nobody would ever read the damaged page
wait_until "served; [ \$(alerts SUCCESS-recovery) -gt $n ] && served" 300
e2e_page=$(secs "$t0" "$(now_ms)")
drop_damaged

echo "# data directory that cannot start" >&2
n=$(alerts SUCCESS-recovery)
t0=$(now_ms)
dd if=/dev/urandom of="$DIR/data/global/pg_control" bs=512 count=1 conv=notrunc status=none
kill -9 "$(head -1 "$DIR/data/postmaster.pid")"
wait_until "[ \$(alerts SUCCESS-recovery) -gt $n ] && served" 900
e2e_cluster=$(secs "$t0" "$(now_ms)")
drop_damaged
rm -rf "$DIR"/data.damaged-*

# The physical path (docs/WAL.md): a base backup, then commits that only
# pg_wal holds, then the same two faults; a ledger counts what came back.
stop_last # the logical restorer
start restorer
start backupper
wait_until '[ -f "$B/.lock-backupper" ]' 30
nbase=$(find "$B" -maxdepth 1 -name 'base_*.manifest' | wc -l)
as_pg touch "$B/request-basebackup"
wait_until "[ \$(find $B -maxdepth 1 -name 'base_*.manifest' | wc -l) -gt $nbase ]" 600
base_s=$(sed -n 's/^duration_ms = //p' "$(ls -t "$B"/base_*.manifest | head -1)")
PGDATABASE=bench_mixed pg_sql "CREATE TABLE IF NOT EXISTS bench_ledger (id int PRIMARY KEY)"
ledger() { # commit N more rows, one transaction each
	local top
	top=$(PGDATABASE=bench_mixed pg_sql "SELECT coalesce(max(id), 0) FROM bench_ledger")
	for i in $(seq $((top + 1)) $((top + $1))); do echo "INSERT INTO bench_ledger VALUES ($i);"; done |
		PGDATABASE=bench_mixed "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 >/dev/null
}
ledger_count() { PGDATABASE=bench_mixed pg_sql "SELECT count(*) FROM bench_ledger"; }
expected=$(PGDATABASE=bench_mixed pg_sql "SELECT count(*) FROM events WHERE length(note) > 0")

echo "# physical: page corruption of a live table" >&2
ledger 1000
acked=$(ledger_count)
rel=$(PGDATABASE=bench_mixed pg_sql "SELECT pg_relation_filepath('events')")
n=$(alerts SUCCESS-recovery)
kill -STOP "$(db_pid)"
as_pg "$PG_BINDIR/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
printf 'CORRUPTCORRUPTCORRUPTCORRUPT' | dd of="$DIR/data/$rel" bs=1 seek=$((8192 * 20 + 100)) conv=notrunc status=none
continue_db
t0=$(now_ms)
wait_until "served; [ \$(alerts SUCCESS-recovery) -gt $n ] && served" 600
p_page=$(secs "$t0" "$(now_ms)")
p_page_lost=$((acked - $(ledger_count)))
p_page_how=$(grep -l "recovered physically" "$(ls -t "$B"/alert-*-SUCCESS-recovery | head -1)" >/dev/null && echo physical || echo logical)

echo "# physical: data directory that cannot start" >&2
ledger 1000
acked=$(ledger_count)
n=$(alerts SUCCESS-recovery)
t0=$(now_ms)
dd if=/dev/urandom of="$DIR/data/global/pg_control" bs=512 count=1 conv=notrunc status=none
kill -9 "$(head -1 "$DIR/data/postmaster.pid")"
wait_until "[ \$(alerts SUCCESS-recovery) -gt $n ] && served" 900
p_cluster=$(secs "$t0" "$(now_ms)")
p_cluster_lost=$((acked - $(ledger_count)))
p_cluster_how=$(grep -l "recovered physically" "$(ls -t "$B"/alert-*-SUCCESS-recovery | head -1)" >/dev/null && echo physical || echo logical)
rm -rf "$DIR"/data.damaged-*

echo
echo "end to end, bench_mixed, 1 s checks, threshold 3:"
echo "  kill -9 of the server -> served again:           ${e2e_kill} s (recoveries requested: $kill_restores)"
echo "  page corruption of a live table -> data served:  ${e2e_page} s (logical)"
echo "  unstartable data directory -> data served:       ${e2e_cluster} s (logical: re-init + globals + every database)"
echo "  page corruption, physical path:                  ${p_page} s ($p_page_how; committed rows lost: $p_page_lost)"
echo "  unstartable data directory, physical path:       ${p_cluster} s ($p_cluster_how; committed rows lost: $p_cluster_lost)"
echo "  (base backup of the whole cluster: $((base_s / 1000)) s)"
