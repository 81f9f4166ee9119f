#!/usr/bin/env bash
# bench/archlag.sh - how far the WAL archive is behind the server under
# pgbench at full speed (2 clients, 2 threads: this machine's 2 cores), as
# the monitor measures it (docs/WAL.md "Lag"), side by side with
# pg_receivewal --synchronous streaming the same WAL. Not a timed test.
#   DURATION=60 (s of pgbench) SCALE=10 TIMEOUT=60 (wal_archive_timeout)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tests/lib/pg.sh"
source "$ROOT/bench/lib.sh"
DURATION=${DURATION:-60}
SCALE=${SCALE:-10}
TIMEOUT=${TIMEOUT:-60}
BIN=$ROOT/build
DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgw-archlag-XXXXXX")
B=$DIR/backups
pids=()

cleanup() {
	stop_recorded "$B"
	# by recorded pid only, never by name
	for p in "${pids[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$DIR" 2>/dev/null || { sleep 1; rm -rf "$DIR" || true; }
}
trap cleanup EXIT
start() { as_pg "$@" & pids+=($!); }
key() { sed -n "s/^$1 = //p" "$B/monitor.status" 2>/dev/null; }
stats() { # name -> "p50 p95 max" of the numbers on stdin
	sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "- - -"; exit }
		printf "%s %s %s\n", v[int((NR + 1) / 2)], v[int(NR * 0.95 + 0.5)], v[NR] }'
}

pg_setup "$DIR" >/dev/null
pg_env "$DIR"
pg_stop "$DIR"
mkdir -p "$B" "$DIR/recv" "$DIR/no-migrations"
[ "$(id -u)" = 0 ] && chown postgres "$B" "$DIR/recv"
export PGWARDEN_BACKUP_DIR=$B PGWARDEN_PGDATA=$DIR/data PGWARDEN_SERVER_LOG=$DIR/postgres.log
export PGWARDEN_WAL_ARCHIVE_TIMEOUT=$TIMEOUT HEALTH_CHECK_INTERVAL=1 PGWARDEN_LOG_LEVEL=warning
export PGWARDEN_MIGRATIONS_DIR=$DIR/no-migrations PGWARDEN_DATABASE=postgres
start "$BIN/pgwarden-db" 2>>"$DIR/db.stderr"
wait_until 'pg_sql "SELECT 1"' 60
echo "# pgbench -i -s $SCALE ..." >&2
"$PG_BINDIR/pgbench" -q -i -s "$SCALE" postgres >/dev/null 2>&1
start "$BIN/pgwarden-monitor" 2>>"$DIR/monitor.stderr"
start "$PG_BINDIR/pg_receivewal" -D "$DIR/recv" -n --synchronous 2>>"$DIR/recv.stderr"
wait_until '[ "$(key lag_s)" = 0 ]' 60
wait_until '[ -n "$(pg_sql "SELECT 1 FROM pg_stat_replication WHERE application_name = '"'pg_receivewal'"'")" ]' 30

echo "# pgbench -c 2 -j 2 -T $DURATION, sampling every 0.5 s ..." >&2
"$PG_BINDIR/pgbench" -n -c 2 -j 2 -T "$DURATION" postgres >"$DIR/pgbench.out" 2>&1 &
bench=$!
: >"$DIR/samples"
while kill -0 "$bench" 2>/dev/null; do
	r=$(pg_sql "SELECT pg_current_wal_lsn() - flush_lsn, coalesce(extract(epoch FROM flush_lag), 0) FROM pg_stat_replication WHERE application_name = 'pg_receivewal'")
	echo "$(key lag_s) $(key lag_bytes) ${r/|/ }" >>"$DIR/samples"
	sleep 0.5
done
wait "$bench"
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$DIR/pgbench.out" | head -1)
wal=$(pg_sql "SELECT pg_size_pretty(pg_current_wal_lsn() - '0/0'::pg_lsn)")

printf '\n# WAL archive lag under pgbench at full speed: %s s, %s tps, %s of WAL\n' "$DURATION" "$tps" "$wal"
printf '# wal_archive_timeout = %s s; monitor checks every 1 s\n\n' "$TIMEOUT"
printf '%-40s %12s %12s %12s\n' "" "p50" "p95" "max"
read -r a b c < <(awk '$1 >= 0 { print $1 }' "$DIR/samples" | stats)
printf '%-40s %12s %12s %12s\n' "pgwarden archive lag (s)" "$a" "$b" "$c"
read -r a b c < <(awk '$2 >= 0 { print $2 }' "$DIR/samples" | stats)
printf '%-40s %12s %12s %12s\n' "pgwarden archive lag (bytes)" "$a" "$b" "$c"
read -r a b c < <(awk 'NF >= 4 { print $4 }' "$DIR/samples" | stats)
printf '%-40s %12s %12s %12s\n' "pg_receivewal --synchronous lag (s)" "$a" "$b" "$c"
read -r a b c < <(awk 'NF >= 3 { print $3 }' "$DIR/samples" | stats)
printf '%-40s %12s %12s %12s\n' "pg_receivewal --synchronous lag (bytes)" "$a" "$b" "$c"
