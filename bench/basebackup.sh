#!/usr/bin/env bash
# bench/basebackup.sh - a pgwarden base backup (request-basebackup: the tar
# through the checked parallel writer, SHA-256, manifest) against
# pg_basebackup's own tar piped into pigz and into gzip, and against
# `pgbackrest backup --type=full` (gzip level 6, two processes), of the same
# cluster, in one run. Not a timed test.
#   SCALE=50 ROWS=3000000 as bench/backup.sh; BENCH_DIR keeps the cluster;
#   REPS=3 rounds, interleaved (medians shown).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tests/lib/pg.sh"
source "$ROOT/bench/lib.sh"
SCALE=${SCALE:-50}
ROWS=${ROWS:-3000000}
REPS=${REPS:-3}
BIN=$ROOT/build
KEEP=${BENCH_DIR:+1}
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/pgw-bench-XXXXXX")}
B=$DIR/basebackup-backups
OUT=$DIR/basebackup-out
pids=()

cleanup() {
	stop_recorded "$B"
	# by recorded pid only, never by name
	for p in "${pids[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	# the server's last status files may still land: once more after a nap
	rm -rf "$B" "$OUT" 2>/dev/null || { sleep 1; rm -rf "$B" "$OUT" || true; }
	[ -n "$KEEP" ] || rm -rf "$DIR" 2>/dev/null || { sleep 1; rm -rf "$DIR" || true; }
}
trap cleanup EXIT

[ -f "$DIR/data/PG_VERSION" ] || pg_setup "$DIR" >/dev/null
pg_env "$DIR"
pg_stop "$DIR" # pgwarden-db supervises it, as in the pod
rm -rf "$B" "$OUT" && mkdir -p "$B" "$OUT" && chmod 700 "$B"
[ "$(id -u)" = 0 ] && chown postgres "$B" "$OUT"
export PGWARDEN_BACKUP_DIR=$B PGWARDEN_PGDATA=$DIR/data PGWARDEN_SERVER_LOG=$DIR/postgres.log
export PGWARDEN_BACKUP_SCHEDULE=off PGWARDEN_BASE_BACKUP_SCHEDULE=off PGWARDEN_LOG_LEVEL=warning
as_pg "$BIN/pgwarden-db" 2>>"$DIR/db.stderr" &
pids+=($!)
wait_until 'pg_sql "SELECT 1"' 60
bench_datasets
as_pg "$BIN/pgwarden-backupper" 2>>"$DIR/backupper.stderr" &
pids+=($!)
pgbr_setup "$DIR" "$DIR/data"
size_db=$(pg_sql "SELECT pg_size_pretty(sum(pg_database_size(oid))) FROM pg_database")

PGW=() PIGZ=() GZ=() PGBR_MS=()
for r in $(seq "$REPS"); do
	echo "# round $r of $REPS ..." >&2
	n=$(find "$B" -maxdepth 1 -name 'base_*.manifest' | wc -l)
	pg_sql "CHECKPOINT"
	t0=$(now_ms)
	as_pg touch "$B/request-basebackup"
	wait_until "[ \$(find $B -maxdepth 1 -name 'base_*.manifest' | wc -l) -gt $n ]" 900
	PGW+=("$(($(now_ms) - t0))")
	pgw_size=$(stat -c %s "$(ls -t "$B"/base_*.tar.gz | head -1)")
	rm -f "$B"/base_*
	pg_sql "CHECKPOINT"
	t0=$(now_ms)
	"$PG_BINDIR/pg_basebackup" -D - -F tar -X none -c fast | pigz -6 -p 2 >"$OUT/b.tar.gz"
	PIGZ+=("$(($(now_ms) - t0))")
	pigz_size=$(stat -c %s "$OUT/b.tar.gz")
	pg_sql "CHECKPOINT"
	t0=$(now_ms)
	"$PG_BINDIR/pg_basebackup" -D - -F tar -X none -c fast | gzip -6 >"$OUT/b.tar.gz"
	GZ+=("$(($(now_ms) - t0))")
	gz_size=$(stat -c %s "$OUT/b.tar.gz")
	rm -f "$OUT/b.tar.gz"
	pg_sql "CHECKPOINT"
	t0=$(now_ms)
	pgbr backup --type=full
	PGBR_MS+=("$(($(now_ms) - t0))")
	pgbr_size=$(du -sb "$PGBR/repo/backup" | cut -f1)
	pgbr_setup "$DIR" "$DIR/data" # an empty repository for the next round
done
pgw=$(echo "${PGW[*]}" | median)
pigz_ms=$(echo "${PIGZ[*]}" | median)
gz=$(echo "${GZ[*]}" | median)
pgbr_ms=$(echo "${PGBR_MS[*]}" | median)

printf '\n# base backup of the whole cluster (%s), median of %s, 2 cores\n' "$size_db" "$REPS"
printf '%-46s %9s %10s %9s %9s\n' method wall_s size_MiB x_pigz size/pigz
row() { awk -v l="$1" -v w="$2" -v s="$3" -v pw="$pigz_ms" -v ps="$pigz_size" \
	'BEGIN { printf "%-46s %9.2f %10.1f %9.2f %9.3f\n", l, w / 1000, s / 1048576, w / pw, s / ps }'; }
row "pg_basebackup -Ft -X none | gzip -6" "$gz" "$gz_size"
row "pg_basebackup -Ft -X none | pigz -6 -p2" "$pigz_ms" "$pigz_size"
row "pgbackrest backup --type=full (gz 6, 2 proc)" "$pgbr_ms" "$pgbr_size"
row "pgwarden request-basebackup (level 6)" "$pgw" "$pgw_size"
echo "(each excludes the WAL; pgbackrest: its whole repository's backup/ tree)"
