#!/usr/bin/env bash
# bench/backup.sh - pgwarden's backup against the obvious alternatives, in
# one run, on a throwaway cluster. Not a timed test: it prints a table.
#   SCALE=50 (pgbench scale)  ROWS=3000000 (mixed-entropy rows)
#   BENCH_DIR=... to keep the cluster between runs (default: temp, removed)
#   BASELINE_BIN=dir with an older build's binaries: its backupper gets a row
#   BLOCKSIZE=0 skips the block-size table (libdeflate blocks vs one zlib
#   stream on the mixed dump, one core; bench/blocksize.c)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tests/lib/pg.sh"
source "$ROOT/bench/lib.sh"
SCALE=${SCALE:-50}
ROWS=${ROWS:-3000000}
KEEP=${BENCH_DIR:+1}
DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/pgw-bench-XXXXXX")}
OUT=$DIR/out
cleanup() { [ -n "$KEEP" ] && pg_stop "$DIR" || pg_teardown "$DIR"; }
trap cleanup EXIT

if [ ! -f "$DIR/data/PG_VERSION" ]; then
	pg_setup "$DIR" >/dev/null
fi
pg_start "$DIR"
mkdir -p "$OUT" && chmod 700 "$OUT"

bench_datasets

# measure NAME CMD: wall s, cpu s (user+sys of all processes), bytes, peak RSS KiB
measure() {
	local name=$1 cmd=$2 t
	sync
	t=$( { /usr/bin/time -f "%e %U %S %M" bash -c "$cmd" >/dev/null; } 2>&1 | tail -1)
	set -- $t
	local size
	size=$(cat "$OUT/size" 2>/dev/null || echo 0)
	printf '%s %s %s %s %s\n' "$name" "$1" "$(echo "$2 + $3" | bc)" "$size" "$4"
}

PGDUMP=$PG_BINDIR/pg_dump
run_dataset() {
	local db=$1 rows=()
	rows+=("$(measure floor "$PGDUMP $db > /dev/null; echo 0 > $OUT/size")")
	rows+=("$(measure gzip "$PGDUMP $db | gzip -6 > $OUT/g.sql.gz; stat -c %s $OUT/g.sql.gz > $OUT/size")")
	rows+=("$(measure pigz "$PGDUMP $db | pigz -6 -p 2 > $OUT/p.sql.gz; stat -c %s $OUT/p.sql.gz > $OUT/size")")
	if command -v libdeflate-gzip >/dev/null; then
		rows+=("$(measure ldgzip "$PGDUMP $db > $OUT/plain.sql; libdeflate-gzip -6 -c $OUT/plain.sql > $OUT/l.sql.gz; stat -c %s $OUT/l.sql.gz > $OUT/size; rm -f $OUT/plain.sql")")
	fi
	rows+=("$(measure custom "$PGDUMP -Fc $db > $OUT/c.dump; stat -c %s $OUT/c.dump > $OUT/size")")
	if [ -n "${BASELINE_BIN:-}" ]; then
		rm -f "$OUT"/backup_* "$OUT"/globals_*
		rows+=("$(measure baseline "PGWARDEN_BACKUP_DIR=$OUT PGWARDEN_BACKUP_DATABASES=$db PGWARDEN_LOG_LEVEL=warning $BASELINE_BIN/pgwarden-backupper --once 2>/dev/null; stat -c %s $OUT/backup_*_$db.sql.gz > $OUT/size")")
	fi
	rm -f "$OUT"/backup_* "$OUT"/globals_*
	rows+=("$(measure pgwarden "PGWARDEN_BACKUP_DIR=$OUT PGWARDEN_BACKUP_DATABASES=$db PGWARDEN_LOG_LEVEL=warning $ROOT/build/pgwarden-backupper --once 2>/dev/null; stat -c %s $OUT/backup_*_$db.sql.gz > $OUT/size")")
	read_rows "$db"
	rm -f "$OUT"/*.gz "$OUT"/*.dump "$OUT"/*.manifest
	local gz_wall floor_wall
	gz_wall=$(printf '%s\n' "${rows[@]}" | awk '$1=="gzip"{print $2}')
	floor_wall=$(printf '%s\n' "${rows[@]}" | awk '$1=="floor"{print $2}')
	gz_size=$(printf '%s\n' "${rows[@]}" | awk '$1=="gzip"{print $4}')
	echo
	echo "dataset $db ($(pg_sql "SELECT pg_size_pretty(pg_database_size('$db'))"))"
	printf '%-22s %8s %8s %10s %9s %9s %9s %9s\n' method wall_s cpu_s size_MiB rss_MiB "x_gzip" "x_floor" "size/gz"
	printf '%s\n' "${rows[@]}" | while read -r name wall cpu size rss; do
		local label=$name
		case $name in
		floor) label="pg_dump > /dev/null" ;;
		gzip) label="pg_dump | gzip -6" ;;
		pigz) label="pg_dump | pigz -6 -p2" ;;
		ldgzip) label="libdeflate-gzip -6 *" ;;
		custom) label="pg_dump -Fc" ;;
		baseline) label="pgwarden, baseline" ;;
		pgwarden) label="pgwarden backup" ;;
		esac
		awk -v l="$label" -v w="$wall" -v c="$cpu" -v s="$size" -v r="$rss" -v g="$gz_wall" -v f="$floor_wall" -v gs="$gz_size" 'BEGIN {
			printf "%-22s %8.2f %8.2f %10.1f %9.1f %9.2f %9.2f %9s\n", l, w, c, s/1048576, r/1024, w/g, w/f, (s>0? sprintf("%.3f", s/gs) : "-") }'
	done
}

# read_rows DB: decompressing the backup just taken (what a restore and a
# drill read), by this build and by the baseline's
read_rows() {
	local f bins=("$ROOT/build")
	f=$(basename "$(ls "$OUT"/backup_*_"$1".sql.gz)")
	[ -n "${BASELINE_BIN:-}" ] && bins+=("$BASELINE_BIN")
	for b in "${bins[@]}"; do
		READS+=("$1 $(basename "$(dirname "$b")")/$(basename "$b") $( { /usr/bin/time -f "%e" env PGWARDEN_BACKUP_DIR="$OUT" "$b/pgwarden" cat-backup "$f" >/dev/null; } 2>&1 | tail -1) $( { /usr/bin/time -f "%e" gzip -dc "$OUT/$f" >/dev/null; } 2>&1 | tail -1)")
	done
}

blocksize_table() {
	local tool=$DIR/blocksize
	gcc -O2 -o "$tool" "$ROOT/bench/blocksize.c" -ldeflate -lz
	"$PGDUMP" bench_mixed >"$OUT/mixed.sql"
	echo
	echo "block size, bench_mixed dump ($(($(stat -c %s "$OUT/mixed.sql") / 1048576)) MiB), level 6, one core"
	"$tool" "$OUT/mixed.sql" 6
	rm -f "$OUT/mixed.sql"
}

READS=()
echo "# pgwarden backup benchmark, $(nproc) cores, $(date -u +%FT%TZ)"
echo "# rss: peak of the largest single process (pgwarden: the backupper itself)"
echo "# *: dump to a file first (libdeflate-gzip reads no pipe), then compress on one core"
run_dataset bench_mixed
run_dataset bench_pgbench
echo
echo "decompressing the backup just taken (pgwarden cat-backup > /dev/null; gzip -dc for reference)"
printf '%-14s %-28s %9s %9s\n' dataset reader wall_s gzip_dc_s
for r in "${READS[@]}"; do printf '%-14s %-28s %9s %9s\n' $r; done
[ "${BLOCKSIZE:-1}" = 0 ] || blocksize_table
