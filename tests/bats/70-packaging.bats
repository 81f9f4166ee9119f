#!/usr/bin/env bats
# Kubernetes packaging, checked offline: manifests against the Kubernetes
# API types (tests/k8s/validate.py), Dockerfiles linted
# (tests/k8s/lint-dockerfiles.py), the deploy script's plan and its real
# flow against stand-in docker/kubectl binaries.

load helpers

setup() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgw-pkg-XXXXXX")
}
teardown() { rm -rf "$WORK"; }

validate() { "$PYTHON" "$ROOT/tests/k8s/validate.py" "$@"; }

@test "what kubectl kustomize renders of pod-spec/ and pod-spec/storage/ validates strictly, and so does every source file" {
	kubectl kustomize "$ROOT/pod-spec" >"$WORK/pod.yaml"
	kubectl kustomize "$ROOT/pod-spec/storage" >"$WORK/storage.yaml"
	run validate "$WORK/pod.yaml" "$WORK/storage.yaml" "$ROOT/pod-spec/secret.example.yaml"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run validate --partial "$ROOT/pod-spec/inject/statefulset-patch.yaml"
	[ "$status" -eq 0 ]
	# the kinds the pod spec uses are all in the vendored schema
	for kind in StatefulSet Service ServiceAccount ConfigMap PodDisruptionBudget NetworkPolicy; do
		grep -q "^kind: $kind$" "$WORK/pod.yaml"
	done
}

@test "the validator rejects an unknown field, a wrong type, a bad enum and a missing required field" {
	cp "$ROOT/pod-spec/statefulset.yaml" "$WORK/s.yaml"
	sed -i 's/^  replicas: 1$/  replicas: "1"\n  replica: 1/; s/imagePullPolicy: IfNotPresent/imagePullPolicy: Sometimes/' "$WORK/s.yaml"
	sed -i '0,/serviceName: db/{/serviceName: db/d}' "$WORK/s.yaml"
	sed -i 's/^  selector:$/  selectr:/' "$WORK/s.yaml"
	run validate "$WORK/s.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"StatefulSet/db.spec: unknown field 'replica'"* ]]
	[[ "$output" == *"spec.replicas: expected a number, got '1'"* ]]
	[[ "$output" == *"imagePullPolicy: 'Sometimes' is not one of"* ]]
	[[ "$output" == *"missing required field 'selector'"* ]]
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: 1}\n' >"$WORK/c.yaml"
	run validate "$WORK/c.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ConfigMap/x.data.a: expected a string, got 1"* ]]
}

@test "the rendered pod: storage apart (delete -k keeps the data), Guaranteed QoS, /dev/shm, config as a directory, secrets as files, PDB and NetworkPolicy select it" {
	kubectl kustomize "$ROOT/pod-spec" >"$WORK/pod.yaml"
	kubectl kustomize "$ROOT/pod-spec/storage" >"$WORK/storage.yaml"
	"$PYTHON" - "$WORK/pod.yaml" "$WORK/storage.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
# kubectl delete -k pod-spec/ deletes what it renders: never a claim
assert "PersistentVolumeClaim" not in kinds, "a claim in pod-spec/ is deleted with it"
pvcs = {p["metadata"]["name"]: p["spec"]["resources"]["requests"]["storage"]
        for p in yaml.safe_load_all(open(sys.argv[2])) if p}
assert pvcs == {"db-pvc": "250Gi", "db-backups-pvc": "100Gi"}, pvcs
sts = kinds["StatefulSet"]
pod = sts["spec"]["template"]["spec"]
labels = sts["spec"]["template"]["metadata"]["labels"]
sc = pod["securityContext"]
assert sc["runAsNonRoot"] and sc["fsGroup"] == 999 and sc["fsGroupChangePolicy"] == "OnRootMismatch"
vols = {v["name"]: v for v in pod["volumes"]}
claims = {v["persistentVolumeClaim"]["claimName"] for v in vols.values() if "persistentVolumeClaim" in v}
assert claims == set(pvcs), claims
c = {x["name"]: x for x in pod["containers"]}
assert list(c) == ["db", "backupper", "restorer", "monitor"], list(c)
cm = kinds["ConfigMap"]["metadata"]["name"]
assert cm == "pgwarden-config", "no hash suffix: the mounted file updates in place"
for x in c.values():
    r = x["resources"]
    assert r["requests"] == r["limits"] and set(r["limits"]) == {"cpu", "memory"}, (x["name"], r)
    s = x["securityContext"]
    assert s["readOnlyRootFilesystem"] and not s["allowPrivilegeEscalation"], x["name"]
    assert s["capabilities"]["drop"] == ["ALL"], x["name"]
    assert "livenessProbe" in x, x["name"]
    mounts = {m["mountPath"]: m for m in x["volumeMounts"]}
    assert "/backups" in mounts, x["name"]
    assert not any("subPath" in m for m in x["volumeMounts"]), (x["name"], "a subPath never updates")
    for m in x["volumeMounts"]:
        assert m["name"] in vols, (x["name"], m)
    env = {e["name"]: e for e in x.get("env", [])}
    cfgdir = env["PGWARDEN_CONFIG"]["value"].rsplit("/", 1)[0]
    assert vols[mounts[cfgdir]["name"]]["configMap"]["name"] == cm, x["name"]
    for name in env:
        assert "TOKEN" not in name or name.endswith("_FILE"), (x["name"], name, "secrets as files")
        assert "PASSWORD" not in name, (x["name"], name)
shm = {m["mountPath"]: m["name"] for m in c["db"]["volumeMounts"]}["/dev/shm"]
assert vols[shm]["emptyDir"]["medium"] == "Memory" and vols[shm]["emptyDir"]["sizeLimit"], vols[shm]
tok = {e["name"]: e["value"] for e in c["monitor"]["env"] if "value" in e}["TELEGRAM_BOT_TOKEN_FILE"]
tm = [m for m in c["monitor"]["volumeMounts"] if tok.startswith(m["mountPath"] + "/")]
assert tm and vols[tm[0]["name"]]["secret"]["secretName"] == "pgwarden-telegram", tm
assert vols[tm[0]["name"]]["secret"]["optional"] is True
pdb = kinds["PodDisruptionBudget"]["spec"]
assert pdb["maxUnavailable"] == 0 and pdb["unhealthyPodEvictionPolicy"] == "AlwaysAllow", pdb
assert pdb["selector"]["matchLabels"].items() <= labels.items()
np = kinds["NetworkPolicy"]["spec"]
assert np["podSelector"]["matchLabels"].items() <= labels.items()
assert set(np["policyTypes"]) == {"Ingress", "Egress"}
assert [p["port"] for r in np["ingress"] for p in r["ports"]] == [5432]
assert all("podSelector" in f for r in np["ingress"] for f in r["from"]), "5432 only from labelled pods"
assert sorted({p["port"] for r in np["egress"] for p in r["ports"]}) == [53, 443], np["egress"]
EOF
	# the templates carry no values
	! grep -E '(password|TOKEN|CHAT_ID): "[^"]+' "$ROOT/pod-spec/secret.example.yaml"
}

@test "the ConfigMap's pgwarden.ini is accepted by the sidecars" {
	"$BIN/pgwarden-monitor" --check-config --config "$ROOT/pod-spec/config/pgwarden.ini" >/dev/null
}

@test "Dockerfiles: pinned bases, non-root USER, no build tools at runtime, no secrets" {
	run "$PYTHON" "$ROOT/tests/k8s/lint-dockerfiles.py" "$ROOT"/Dockerfiles/*.Dockerfile
	[ "$status" -eq 0 ]
	printf 'FROM debian:latest\nRUN apt-get update && apt-get install -y gcc\nENV API_TOKEN=abc\n' >"$WORK/bad.Dockerfile"
	run "$PYTHON" "$ROOT/tests/k8s/lint-dockerfiles.py" "$WORK/bad.Dockerfile"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not pinned"* ]]
	[[ "$output" == *"build tools in the runtime stage: gcc"* ]]
	[[ "$output" == *"ENV API_TOKEN looks like a secret"* ]]
	[[ "$output" == *"no USER"* ]]
	# one source for versions: ARG defaults as versions.env says, the
	# major only through PG_MAJOR, TimescaleDB at a pinned version
	mkdir "$WORK/v"
	cp "$ROOT/Dockerfiles/versions.env" "$WORK/v/"
	printf 'ARG PG_MAJOR=16\nFROM debian:bookworm-20241111-slim\nARG PG_MAJOR\nRUN apt-get install -y --no-install-recommends postgresql-client-17 timescaledb-2-postgresql-${PG_MAJOR} && rm -rf /var/lib/apt/lists/*\nUSER 999\n' >"$WORK/v/x.Dockerfile"
	run "$PYTHON" "$ROOT/tests/k8s/lint-dockerfiles.py" "$WORK/v/x.Dockerfile"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ARG PG_MAJOR=16 but versions.env says 17"* ]]
	[[ "$output" == *"PostgreSQL major written out (postgresql-client-17)"* ]]
	[[ "$output" == *'timescaledb-2-postgresql-${PG_MAJOR} installed at no pinned version'* ]]
	# both images build from the same PG_MAJOR, and check it at build time
	for f in "$ROOT"/Dockerfiles/*.Dockerfile; do
		grep -q '^ARG PG_MAJOR$' "$f"
	done
	grep -q 'postgres --version' "$ROOT/Dockerfiles/db.Dockerfile"
	grep -q 'pg_dump" --version' "$ROOT/Dockerfiles/sidecars.Dockerfile"
	# the images carry no demo schema: the application brings its own
	! grep -E 'COPY +(config/init|migrations)' "$ROOT"/Dockerfiles/*.Dockerfile
	# every binary and file the images copy exists in the tree
	grep -ho 'COPY [^-][^ ]* ' "$ROOT"/Dockerfiles/*.Dockerfile | awk '{print $2}' | sort -u |
		while read -r f; do [ -e "$ROOT/$f" ] || { echo "missing $f" >&2; exit 1; }; done
}

# stand_ins: docker and kubectl that record their calls in $WORK/calls.
# kubectl answers as a cluster would where pgwarden is not deployed yet:
# no claims, no Secret; objects listed in $WORK/existing ("OBJ LABEL")
# exist with that part-of label; a call matching a line of $WORK/fail
# fails.
stand_ins() {
	mkdir -p "$WORK/bin"
	cat >"$WORK/bin/docker" <<EOF
#!/bin/sh
echo "docker \$*" >>"$WORK/calls"
if [ -f "$WORK/fail" ] && echo "docker \$*" | grep -qf "$WORK/fail"; then exit 2; fi
case "\$*" in
"image inspect"*) echo "\${4%%:*}@sha256:$(printf '%064d' 7)" ;;
esac
exit 0
EOF
	cat >"$WORK/bin/kubectl" <<EOF
#!/bin/sh
echo "kubectl \$*" >>"$WORK/calls"
if [ -f "$WORK/fail" ] && echo "kubectl \$*" | grep -qf "$WORK/fail"; then exit 2; fi
case "\$*" in
*"get secret"* | *"get pvc"*) exit 1 ;;
*"--dry-run=client -o name"*)
	printf '%s\n' serviceaccount/pgwarden configmap/pgwarden-config service/db statefulset.apps/db \
		poddisruptionbudget.policy/db networkpolicy.networking.k8s.io/db ;;
"get "* | *" get "*)
	obj=\$(echo " \$*" | sed 's/.* get \([^ ]*\).*/\1/')
	line=\$(grep "^\$obj\( \|\$\)" "$WORK/existing" 2>/dev/null) || exit 1
	echo "\$line" | cut -s -d' ' -f2 ;;
*"diff -k"*) echo "+ a change"; exit 1 ;;
*"create secret"*) cat >"$WORK/secret-stdin" ;;
*"status --json"*) echo '{"backups":{"last_valid":{"file":"backup_x_app.sql.gz"}}}' ;;
esac
exit 0
EOF
	chmod +x "$WORK/bin/docker" "$WORK/bin/kubectl"
	echo 'pa55-w0rd' >"$WORK/pw"
	sed "s/^\(PG_IMAGE\|DEBIAN_IMAGE\)_DIGEST=.*/\1_DIGEST=sha256:$(printf '%064d' 5)/" \
		"$ROOT/Dockerfiles/versions.env" >"$WORK/versions.env"
}

deploy() {
	env DOCKER_USERNAME=acme DOCKER_TAG=7 DOCKER="$WORK/bin/docker" KUBECTL="$WORK/bin/kubectl" \
		DB_PASSWORD_FILE="$WORK/pw" VERSIONS="$WORK/versions.env" \
		"$ROOT/config/deploy-backup-system.sh" --timeout 10 "$@"
}

@test "deploy --dry-run prints the whole plan, versions from versions.env; missing prerequisites fail early" {
	run env DOCKER_USERNAME=acme DOCKER_TAG=1.2 "$ROOT/config/deploy-backup-system.sh" --dry-run -n prod
	[ "$status" -eq 0 ]
	[[ "$output" == *"docker build --build-arg PG_MAJOR=17 --build-arg TIMESCALEDB_VERSION=2.17.2 --build-arg PG_IMAGE=postgres:17.2-bookworm"*"-f $ROOT/Dockerfiles/db.Dockerfile -t acme/pgwarden-db:1.2"* ]]
	[[ "$output" == *"push acme/pgwarden-sidecars:1.2"* ]]
	[[ "$output" == *"not pinned by digest; a real build would refuse (--pin)"* ]]
	[[ "$output" == *"--namespace prod apply -k $ROOT/pod-spec/storage"*"--namespace prod diff -k"*"--namespace prod apply -k $ROOT/build/deploy"* ]]
	[[ "$output" == *"rollout status statefulset/db"* ]]
	[[ "$output" == *"-c backupper -- touch /backups/request-backup"* ]]
	run validate "$ROOT/build/deploy/kustomization.yaml"
	[ "$status" -eq 0 ]
	run env -u DOCKER_USERNAME "$ROOT/config/deploy-backup-system.sh" --dry-run
	[ "$status" -eq 1 ]
	[[ "$output" == *"DOCKER_USERNAME is not set"* ]]
	run env DOCKER_USERNAME=acme DOCKER=/nonexistent/docker "$ROOT/config/deploy-backup-system.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing: /nonexistent/docker"* ]]
}

@test "deploy, real flow against stand-in docker and kubectl: pinned bases, secret from stdin, storage once, diff before apply, rollout, first backup" {
	stand_ins
	run deploy
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"deployed: first backup valid"* ]]
	grep -q "^docker build .*--build-arg PG_IMAGE=postgres:17.2-bookworm@sha256:0*5 .*-f $ROOT/Dockerfiles/db.Dockerfile" "$WORK/calls"
	grep -q '^docker push acme/pgwarden-db:7$' "$WORK/calls"
	grep -q '^kubectl create secret generic pgwarden-db-credentials --from-file=password=/dev/stdin$' "$WORK/calls"
	[ "$(cat "$WORK/secret-stdin")" = pa55-w0rd ]
	! grep -q pa55 "$WORK/calls"
	# in this order: the claims, the ownership check, the diff, the apply
	order=$(grep -n -e "apply -k $ROOT/pod-spec/storage$" -e 'get statefulset.apps/db' -e "diff -k $ROOT/build/deploy$" \
		-e "apply -k $ROOT/build/deploy$" "$WORK/calls" | cut -d: -f1 | tr '\n' ' ')
	[ "$(echo $order | wc -w)" -eq 4 ]
	[ "$order" = "$(echo $order | tr ' ' '\n' | sort -n | tr '\n' ' ')" ]
	grep -q 'newName: acme/pgwarden-sidecars' "$ROOT/build/deploy/kustomization.yaml"
}

@test "deploy refuses to take over an object that is not pgwarden's, and applies nothing" {
	stand_ins
	printf 'serviceaccount/pgwarden pgwarden\nstatefulset.apps/db\n' >"$WORK/existing"
	run deploy --skip-build
	[ "$status" -eq 1 ]
	[[ "$output" == *"refusing to take over statefulset.apps/db: it exists and is not labelled app.kubernetes.io/part-of=pgwarden"* ]]
	! grep -q "apply -k $ROOT/build/deploy$" "$WORK/calls"
	# ours (labelled) are taken over
	printf 'serviceaccount/pgwarden pgwarden\nstatefulset.apps/db pgwarden\n' >"$WORK/existing"
	run deploy --skip-build
	[ "$status" -eq 0 ]
}

@test "deploy fails, and says so, when any step fails: build, apply, rollout, the first backup; unpinned bases without --pin; --pin writes the digests" {
	stand_ins
	for step in "docker build" "kubectl .*apply -k $ROOT/build/deploy$" "rollout status" "diff -k"; do
		rm -f "$WORK/calls"
		echo "$step" >"$WORK/fail"
		run deploy
		[ "$status" -ne 0 ] || { echo "step '$step' failed and deploy went on: $output"; false; }
		[[ "$output" != *"deployed: first backup valid"* ]]
	done
	rm "$WORK/fail"
	# the first backup never becomes valid
	sed -i 's/\*"status --json"\*) .*/*"status --json"*) echo "{}" ;;/' "$WORK/bin/kubectl"
	run deploy --timeout 5
	[ "$status" -eq 1 ]
	[[ "$output" == *"no valid backup after 5s"* ]]
	# bases not pinned: refused, then --pin asks the registry
	cp "$ROOT/Dockerfiles/versions.env" "$WORK/versions.env"
	rm -f "$WORK/calls"
	run deploy
	[ "$status" -eq 1 ]
	[[ "$output" == *"postgres:17.2-bookworm is not pinned by digest in $WORK/versions.env: run once with --pin"* ]]
	! grep -q "docker build" "$WORK/calls"
	run deploy --pin --timeout 5
	grep -q "^PG_IMAGE_DIGEST=sha256:0*7$" "$WORK/versions.env"
	grep -q "^DEBIAN_IMAGE_DIGEST=sha256:0*7$" "$WORK/versions.env"
	[[ "$output" == *"pinned postgres:17.2-bookworm to sha256:"*"review and commit it"* ]]
}
