# pg.sh - a throwaway PostgreSQL cluster for tests, benchmarks and `make run`.
# Source it, then:
#   pg_setup DIR      initdb --data-checksums into DIR/data (server runs as the
#                     postgres user when we are root: initdb refuses root)
#   pg_start DIR      start it on a unix socket in DIR/sock only (no TCP);
#                     exports PGHOST PGPORT PGUSER for clients
#   pg_stop DIR       fast shutdown; pg_kill DIR: SIGKILL the postmaster
#   pg_sql SQL...     psql -X -At -v ON_ERROR_STOP=1 -c SQL (database $PGDATABASE)
#   pg_teardown DIR   stop and remove everything

: "${PG_BINDIR:=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
export PG_BINDIR

pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_setup() {
	local dir=$1
	mkdir -p "$dir/sock"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir" "$dir/sock"
		chmod 755 "$dir"
	fi
	pg_as_owner "$PG_BINDIR/initdb" -D "$dir/data" --data-checksums \
		-U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; return 1; }
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/sock'
port = 5432
fsync = off
max_connections = 40
shared_buffers = 64MB
log_line_prefix = '%m [%p] '
CONF
	pg_env "$dir"
}

pg_env() {
	export PGHOST="$1/sock" PGPORT=5432 PGUSER=postgres
}

pg_start() {
	local dir=$1
	pg_as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
		-w -t 60 start >/dev/null 3>&- || { tail -20 "$dir/postgres.log" >&2; return 1; }
	pg_env "$dir"
}

pg_stop() {
	pg_as_owner "$PG_BINDIR/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

pg_kill() {
	local pid
	pid=$(head -1 "$1/data/postmaster.pid" 2>/dev/null) || return 0
	kill -9 "$pid" 2>/dev/null || true
}

pg_sql() {
	"$PG_BINDIR/psql" -X -At -q -v ON_ERROR_STOP=1 -d "${PGDATABASE:-postgres}" -c "$*"
}

pg_teardown() {
	local dir=$1
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	[ -f "$dir/data/postmaster.pid" ] && pg_stop "$dir"
	rm -rf "$dir"
}

# ext_install NAME [VERSIONS_GLOB]: copy a test extension of tests/lib/ext
# into the server's extension directory; ext_uninstall NAME removes it.
pg_extdir() { echo "$("$PG_BINDIR/pg_config" --sharedir 2>/dev/null || pg_config --sharedir)/extension"; }
ext_install() {
	local src
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/ext
	cp "$src/$1.control" "$src/$1"--*.sql "$(pg_extdir)/"
}
ext_uninstall() { rm -f "$(pg_extdir)/$1.control" "$(pg_extdir)/$1"--*.sql; }
