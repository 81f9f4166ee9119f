# bench/lib.sh - the two datasets every benchmark uses, built once per
# cluster: pgbench at scale $SCALE, and a mixed-entropy events table of $ROWS
# rows (timestamp, integer, label, amount, jsonb with random hex and floats,
# random note; two indexes).

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
