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

@test "every manifest of pod-spec/ validates strictly (kustomization, resources, templates, injection patch)" {
	run validate "$ROOT/pod-spec/kustomization.yaml" "$ROOT/pod-spec/secret.example.yaml"
	[ "$status" -eq 0 ]
	run validate --partial "$ROOT/pod-spec/inject/statefulset-patch.yaml"
	[ "$status" -eq 0 ]
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

@test "the pod spec says what the issue asks: PVC sizes, probes, non-root, read-only root, dropped capabilities, limits" {
	"$PYTHON" - "$ROOT/pod-spec" <<'EOF'
import sys, yaml
d = sys.argv[1]
pvcs = {p["metadata"]["name"]: p["spec"]["resources"]["requests"]["storage"]
        for p in yaml.safe_load_all(open(d + "/pvc.yaml"))}
assert pvcs == {"db-pvc": "250Gi", "db-backups-pvc": "100Gi"}, pvcs
s = yaml.safe_load(open(d + "/statefulset.yaml"))
pod = s["spec"]["template"]["spec"]
assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["fsGroup"] == 999
names = [c["name"] for c in pod["containers"]]
assert names == ["db", "backupper", "restorer", "monitor"], names
for c in pod["containers"]:
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"], c["name"]
    assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
    assert "limits" in c["resources"] and "requests" in c["resources"], c["name"]
    assert "livenessProbe" in c, c["name"]
    assert any(m["mountPath"] == "/backups" for m in c["volumeMounts"]), c["name"]
    for e in c.get("env", []):
        assert "value" not in e or "TOKEN" not in e["name"] and "PASSWORD" not in e["name"], e
claims = {v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
assert claims == {"db-pvc", "db-backups-pvc"}, claims
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
	# the images carry no demo schema: the application brings its own
	! grep -E 'COPY +(config/init|migrations)' "$ROOT"/Dockerfiles/*.Dockerfile
	# every binary and file the images copy exists in the tree
	grep -ho 'COPY [^-][^ ]* ' "$ROOT"/Dockerfiles/*.Dockerfile | awk '{print $2}' | sort -u |
		while read -r f; do [ -e "$ROOT/$f" ] || { echo "missing $f" >&2; exit 1; }; done
}

@test "deploy --dry-run prints the whole plan; missing prerequisites fail early" {
	run env DOCKER_USERNAME=acme DOCKER_TAG=1.2 "$ROOT/config/deploy-backup-system.sh" --dry-run -n prod
	[ "$status" -eq 0 ]
	[[ "$output" == *"docker build -f $ROOT/Dockerfiles/db.Dockerfile -t acme/pgwarden-db:1.2"* ]]
	[[ "$output" == *"push acme/pgwarden-sidecars:1.2"* ]]
	[[ "$output" == *"--namespace prod apply -k"* ]]
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

@test "deploy, real flow against stand-in docker and kubectl: secret from stdin, apply, rollout, first backup" {
	mkdir "$WORK/bin"
	cat >"$WORK/bin/docker" <<EOF
#!/bin/sh
echo "docker \$*" >>"$WORK/calls"
EOF
	cat >"$WORK/bin/kubectl" <<EOF
#!/bin/sh
echo "kubectl \$*" >>"$WORK/calls"
case "\$*" in
*"get secret"*) exit 1 ;;
*"create secret"*) cat >"$WORK/secret-stdin" ;;
*"status --json"*) echo '{"backups":{"last_valid":{"file":"backup_x_app.sql.gz"}}}' ;;
esac
exit 0
EOF
	chmod +x "$WORK/bin/docker" "$WORK/bin/kubectl"
	echo 'pa55-w0rd' >"$WORK/pw"
	run env DOCKER_USERNAME=acme DOCKER_TAG=7 DOCKER="$WORK/bin/docker" KUBECTL="$WORK/bin/kubectl" \
		DB_PASSWORD_FILE="$WORK/pw" "$ROOT/config/deploy-backup-system.sh" --timeout 10
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployed: first backup valid"* ]]
	grep -q '^docker push acme/pgwarden-db:7$' "$WORK/calls"
	grep -q '^kubectl create secret generic pgwarden-db-credentials --from-file=password=/dev/stdin$' "$WORK/calls"
	[ "$(cat "$WORK/secret-stdin")" = pa55-w0rd ]
	! grep -q pa55 "$WORK/calls"
	grep -q "^kubectl apply -k $ROOT/build/deploy$" "$WORK/calls"
	grep -q 'newName: acme/pgwarden-sidecars' "$ROOT/build/deploy/kustomization.yaml"
}
