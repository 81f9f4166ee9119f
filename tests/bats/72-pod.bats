#!/usr/bin/env bats
# The pod as kubectl kustomize renders it, run here: each container's argv,
# env and files come from the rendered manifest (tests/k8s/podrun.py), so
# what is checked is what the pod does, not how its YAML looks.
#  - pod-spec/ as shipped, on an empty volume;
#  - pod-spec/inject/ merged onto a StatefulSet written the way users of
#    the official postgres image write theirs (tests/k8s/fixtures/): it
#    must serve the database that is already there, with their settings.

load helpers

setup() {
	W=$(mktemp -d "${TMPDIR:-/tmp}/pgw-inject-XXXXXX")
	chmod 755 "$W"
	R=$W/rendered.yaml
	PIDS=()
}

teardown() {
	local p
	# each pid is a runuser; its child is the container's process
	for p in "${PIDS[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null || true
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$W"
}

@test "inject: the merged StatefulSet validates strictly, keeps the user's image settings, volumes and env, and adds only pgwarden-* names" {
	kubectl kustomize "$ROOT/tests/k8s/fixtures/official" >"$R"
	run "$PYTHON" "$ROOT/tests/k8s/validate.py" "$R"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	"$PYTHON" - "$R" "$ROOT/tests/k8s/fixtures/official/statefulset.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
mine = yaml.safe_load(open(sys.argv[2]))["spec"]["template"]["spec"]
sts = next(d for d in docs if d["kind"] == "StatefulSet")
pod = sts["spec"]["template"]["spec"]
sc = pod["securityContext"]
assert sc["runAsNonRoot"] and sc["runAsUser"] == 999 and sc["fsGroup"] == 999, sc
assert sc["fsGroupChangePolicy"] == "OnRootMismatch", sc
assert pod["terminationGracePeriodSeconds"] >= 300
c = {x["name"]: x for x in pod["containers"]}
assert list(c) == ["db", "backupper", "restorer", "monitor"], list(c)
db, user_db = c["db"], mine["containers"][0]
assert db["command"] == ["pgwarden-db"], db
assert db["args"] == user_db["args"], "the user's args are kept"
env = {e["name"]: e for e in db["env"]}
assert env["PGDATA"]["value"] == "/var/lib/postgresql/data/main", "PGDATA kept"
assert "PGWARDEN_PGDATA" not in env, "pgwarden-db follows the container's PGDATA"
assert env["POSTGRES_PASSWORD"] == user_db["env"][0], "user env kept"
vols = {v["name"]: v for v in pod["volumes"]}
assert vols["config"] == mine["volumes"][0], "the user's volume named config is untouched"
ours = set(vols) - {v["name"] for v in mine["volumes"]}
assert all(n.startswith("pgwarden-") for n in ours), ours
claims = {t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]}
for x in pod["containers"]:
    paths = [m["mountPath"] for m in x["volumeMounts"]]
    assert len(paths) == len(set(paths)), (x["name"], paths)
    for m in x["volumeMounts"]:
        assert m["name"] in vols or m["name"] in claims, (x["name"], m)
    if x["name"] != "db":
        assert x["securityContext"]["readOnlyRootFilesystem"], x["name"]
        assert x["resources"]["requests"] == x["resources"]["limits"], x["name"]
# the password file the config names is mounted in every container
cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "pgwarden-config")
ini = cm["data"]["pgwarden.ini"]
pw = next(l.split("=", 1)[1].strip() for l in ini.splitlines() if l.startswith("password_file"))
for x in pod["containers"]:
    assert any(pw.startswith(m["mountPath"] + "/") and vols[m["name"]].get("secret", {}).get("secretName") == "pgwarden-db-credentials"
               for m in x["volumeMounts"]), (x["name"], "no secret mount for " + pw)
assert not any(l.startswith("pgdata") for l in ini.splitlines()), "the ConfigMap must not pin PGDATA"
PY
}

@test "inject for an alpine image: the postgres uid is 70" {
	kubectl kustomize "$ROOT/tests/k8s/fixtures/alpine" >"$W/alpine.yaml"
	"$PYTHON" - "$W/alpine.yaml" <<'PY'
import sys, yaml
sts = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "StatefulSet")
sc = sts["spec"]["template"]["spec"]["securityContext"]
assert (sc["runAsUser"], sc["runAsGroup"], sc["fsGroup"]) == (70, 70, 70), sc
PY
	"$PYTHON" "$ROOT/tests/k8s/validate.py" "$W/alpine.yaml"
}

# pod CONTAINER [PROBE]: ENVS and ARGV of the rendered container ($R)
pod() {
	eval "$("$PYTHON" "$ROOT/tests/k8s/podrun.py" "$R" "$W/pod" "$@")"
	# a running server and its sidecars create and remove files in there
	# (the archiver's status files among them): one that vanishes between
	# chown's listing and its chown is not an error, so once more
	chown -R postgres "$W/pod" 2>/dev/null || chown -R postgres "$W/pod"
}
# in_pod: run ARGV as the pod's user with only the container's env (and
# the port of this machine's test server: $PORT); start_in_pod LOG: the
# same in the background, with the pid of runuser (which passes SIGTERM
# on) recorded for teardown
pod_exec() { exec runuser -u postgres -- env -i PATH="$BIN:$PG_BINDIR:/usr/bin:/bin" HOME=/tmp PGPORT=$PORT "${ENVS[@]}" "${ARGV[@]}"; }
in_pod() { (pod_exec); }
start_in_pod() {
	(pod_exec) 2>>"$1" >/dev/null 3>&- &
	PIDS+=($!)
}
PORT=5491

@test "the shipped pod, on empty volumes: the db container bootstraps with scram over TCP, its three probes pass, the monitor runs without the optional Telegram Secret, the backupper backs up" {
	kubectl kustomize "$ROOT/pod-spec" >"$R"
	PORT=5492
	mkdir -p "$W/pod/secrets/pgwarden-db-credentials"
	echo 'S3cret-pw' >"$W/pod/secrets/pgwarden-db-credentials/password"
	pod db
	run_dir=$(printf '%s\n' "${ENVS[@]}" | sed -n 's/^PGHOST=//p')
	chmod 700 "$W/pod/backups"
	# one setting more than the pod: this machine's tests listen on
	# 127.0.0.1 only
	ARGV+=(-c listen_addresses=127.0.0.1 -c "unix_socket_directories=$run_dir")
	start_in_pod "$W/db.stderr"
	pod db readinessProbe
	wait_for "in_pod >/dev/null 2>&1" 90 || { cat "$W/db.stderr" "$W"/pod/backups/*.log; false; }
	ls "$W"/pod/backups/alert-*-INFO-cluster-bootstrap
	tcp() { PGPASSWORD=$1 "$PG_BINDIR/psql" -X -At -w -h 127.0.0.1 -p $PORT -U postgres -d postgres -c 'SELECT 1' 2>&1; }
	[ "$(tcp S3cret-pw)" = 1 ]
	[[ "$(tcp wrong)" == *"password authentication failed"* ]]
	pod db livenessProbe
	in_pod
	pod db startupProbe
	in_pod
	pod monitor
	start_in_pod "$W/monitor.stderr"
	wait_for "grep -q 'telegram token file .* does not exist: no telegram alerts' $W/pod/backups/health-monitor.log 2>/dev/null" 20 || { cat "$W/monitor.stderr"; false; }
	pod monitor livenessProbe
	wait_for "in_pod >/dev/null 2>&1" 20
	pod backupper
	start_in_pod "$W/backupper.stderr"
	wait_for "grep -q started $W/pod/backups/backup.log 2>/dev/null" 20 || { cat "$W/backupper.stderr"; false; }
	runuser -u postgres -- touch "$W/pod/backups/request-backup"
	wait_for "ls $W/pod/backups/backup_*_postgres.sql.gz.manifest" 60 || { cat "$W/pod/backups/backup.log"; false; }
	grep -q '^status = valid' "$W"/pod/backups/backup_*_postgres.sql.gz.manifest
}

@test "the merged db container, run as rendered, serves the database already in PGDATA: the user's settings applied, no initdb; its probes pass; the rendered backupper takes a valid backup" {
	kubectl kustomize "$ROOT/tests/k8s/fixtures/official" >"$R"
	mkdir -p "$W/pod/secrets/pgwarden-db-credentials"
	echo 'app-S3cret' >"$W/pod/secrets/pgwarden-db-credentials/password"
	pod db
	pgdata=$(printf '%s\n' "${ENVS[@]}" | sed -n 's/^PGDATA=//p')
	run_dir=$(printf '%s\n' "${ENVS[@]}" | sed -n 's/^PGHOST=//p')
	[[ "$pgdata" == "$W/pod/data/main" ]]
	chmod 700 "$W/pod/pgwarden-backups"
	# the user's database, as the official image made it
	runuser -u postgres -- "$PG_BINDIR/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
	printf "port = 5491\nlisten_addresses = ''\nunix_socket_directories = '%s'\n" "$run_dir" >>"$pgdata/postgresql.conf"
	q() { "$PG_BINDIR/psql" -X -At -h "$run_dir" -p 5491 -U postgres -d postgres -c "$1"; }
	runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$pgdata" -w -l "$pgdata/first.log" start >/dev/null
	q "CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 777) g"
	runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$pgdata" -w -m fast stop >/dev/null
	start_in_pod "$W/db.stderr"
	pod db readinessProbe
	wait_for "in_pod >/dev/null 2>&1" 60 || { cat "$W/db.stderr"; false; }
	[ "$(q 'SELECT count(*) FROM orders')" = 777 ]
	[ "$(q 'SHOW shared_buffers')" = 48MB ]
	[ "$(q 'SHOW max_connections')" = 42 ]
	[ "$(q 'SHOW data_directory')" = "$pgdata" ]
	! ls "$W"/pod/pgwarden-backups/alert-*cluster-bootstrap* 2>/dev/null
	pod db livenessProbe
	in_pod
	pod db startupProbe
	in_pod
	# the sidecars of the same pod, from their rendered containers
	pod backupper
	start_in_pod "$W/backupper.stderr"
	wait_for "grep -q started $W/pod/pgwarden-backups/backup.log 2>/dev/null" 20 || { cat "$W/backupper.stderr"; false; }
	runuser -u postgres -- touch "$W/pod/pgwarden-backups/request-backup"
	wait_for "ls $W/pod/pgwarden-backups/backup_*_postgres.sql.gz.manifest" 60 || { cat "$W/pod/pgwarden-backups/backup.log"; false; }
	grep -q '^status = valid' "$W"/pod/pgwarden-backups/backup_*_postgres.sql.gz.manifest
}
