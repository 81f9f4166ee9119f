# bench/lib.sh - the two datasets every benchmark uses, built once per
# cluster: pgbench at scale $SCALE, and a mixed-entropy events table of $ROWS
# rows (timestamp, integer, label, amount, jsonb with random hex and floats,
# random note; two indexes). Also the helpers every script shares, and
# pgBackRest set up against the same cluster.

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres --preserve-environment -- "$@"; else "$@"; fi; }
now_ms() { date +%s%3N; }
wait_until() { # CMD LIMIT_S
	local end=$(($(date +%s) + $2))
	until eval "$1" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || { echo "timed out: $1" >&2; return 1; }
		sleep 0.1
	done
}
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# stop_recorded BACKUPS: SIGTERM (and SIGCONT, for one a test stopped) to
# each sidecar whose pid its .lock-<name> records, then wait for them to
# go. These are the processes this run started: the runuser between us and
# them may be gone or stopped, so signalling it alone can miss them.
stop_recorded() {
	local f pid live=() end=$(($(date +%s) + 60))
	for f in "$1"/.lock-*; do
		[ -f "$f" ] || continue
		pid=$(head -1 "$f" 2>/dev/null) || continue
		[[ $pid =~ ^[0-9]+$ ]] || continue
		! flock -n "$f" true 2>/dev/null || continue # nobody holds it: gone
		kill -TERM "$pid" 2>/dev/null && kill -CONT "$pid" 2>/dev/null && live+=("$pid")
	done
	for pid in "${live[@]}"; do
		while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
	done
}

# pgbr_setup DIR PGDATA: a pgBackRest repository in DIR/pgbr for the cluster
# in PGDATA, set up as an operator would for a fair race: gzip level 6 (what
# pgwarden writes), two processes (the machine's cores). archive-check=n
# because the cluster's archive_command is pgwarden's (docs/WAL.md), so the
# WAL a restore replays comes from pgwarden's archive. Then pgbr CMD... runs
# pgbackrest against it.
pgbr_setup() {
	PGBR=$1/pgbr
	rm -rf "$PGBR" && mkdir -p "$PGBR/repo" "$PGBR/log" "$PGBR/lock"
	cat >"$PGBR/pgbackrest.conf" <<CONF
[global]
repo1-path=$PGBR/repo
log-path=$PGBR/log
lock-path=$PGBR/lock
compress-type=gz
compress-level=6
process-max=2
archive-check=n
start-fast=y
log-level-console=warn
log-level-file=off
repo1-retention-full=99

[bench]
pg1-path=$2
pg1-socket-path=$PGHOST
pg1-port=$PGPORT
CONF
	[ "$(id -u)" = 0 ] && chown -R postgres "$PGBR"
	pgbr stanza-create
}
pgbr() { as_pg pgbackrest --config="$PGBR/pgbackrest.conf" --stanza=bench "$@"; }

bench_datasets() {
	if ! pg_sql "SELECT 1 FROM pg_database WHERE datname='bench_pgbench'" | grep -q 1; then
		echo "# building pgbench scale $SCALE ..." >&2
		pg_sql "CREATE DATABASE bench_pgbench"
		"$PG_BINDIR/pgbench" -q -i -s "$SCALE" bench_pgbench >/dev/null 2>&1
	fi
	if ! PGDATABASE=bench_mixed pg_sql "SELECT 1 FROM pg_stat_user_tables WHERE relname='events' AND n_live_tup > 0" 2>/dev/null | grep -q 1; then
		echo "# building mixed-entropy dataset, $ROWS rows ..." >&2
		pg_sql "DROP DATABASE IF EXISTS bench_mixed"
		pg_sql "CREATE DATABASE bench_mixed"
		PGDATABASE=bench_mixed pg_sql "
		CREATE TABLE events (
		  id bigserial PRIMARY KEY,
		  at timestamptz NOT NULL,
		  n integer NOT NULL,
		  label text NOT NULL,
		  amount numeric(12,2) NOT NULL,
		  payload jsonb NOT NULL,
		  note text NOT NULL);
		INSERT INTO events (at, n, label, amount, payload, note)
		SELECT now() - (g || ' seconds')::interval, (random()*1000000)::int,
		       (ARRAY['click','view','buy','login','logout'])[1 + g % 5],
		       round((random()*10000)::numeric, 2),
		       jsonb_build_object('h', md5(random()::text), 'x', random(), 'y', random(),
		                          'tag', substr(md5(g::text), 1, 8)),
		       substr(md5(random()::text) || md5(random()::text), 1, (10 + g % 40))
		FROM generate_series(1, $ROWS) g;
		CREATE INDEX events_at ON events (at);
		CREATE INDEX events_label ON events (label, n);"
		PGDATABASE=bench_mixed pg_sql "VACUUM ANALYZE events"
	fi
}
