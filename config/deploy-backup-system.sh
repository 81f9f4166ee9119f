#!/usr/bin/env bash
# deploy-backup-system.sh - build and push the pgwarden images, apply
# pod-spec/, wait for the rollout and take a first backup.
#
#   DOCKER_USERNAME=me DOCKER_TAG=1.0 config/deploy-backup-system.sh [options]
#
# options:
#   --dry-run          print every step instead of running it
#   --namespace NS     target namespace (default: kubectl's current)
#   --skip-build       use images already pushed
#   --timeout SECONDS  rollout and first-backup wait (default 600)
#   --pin              ask the registry for the base images' digests and
#                      write them to Dockerfiles/versions.env (review and
#                      commit it); builds refuse unpinned bases without it
#
# DOCKER / KUBECTL name other binaries (e.g. podman). The database password
# Secret (pgwarden-db-credentials) is created when
# missing, from DB_PASSWORD_FILE or a random password, passed to kubectl on
# stdin (never in argv). Telegram: run config/setup-telegram-alerts.sh.
# VERSIONS names another versions file (default Dockerfiles/versions.env).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DRY_RUN=0
SKIP_BUILD=0
PIN=0
NAMESPACE=
TIMEOUT=600

die() {
	echo "deploy-backup-system: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--dry-run) DRY_RUN=1 ;;
	--skip-build) SKIP_BUILD=1 ;;
	--namespace | -n) NAMESPACE=${2:?--namespace needs a name}; shift ;;
	--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift ;;
	--pin) PIN=1 ;;
	-h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done

# ---- prerequisites, all checked before anything happens ----
[ -n "${DOCKER_USERNAME:-}" ] || die "DOCKER_USERNAME is not set (the registry user or organisation the images are pushed to)"
DOCKER_TAG=${DOCKER_TAG:-$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo dev)}
[[ "$DOCKER_TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "DOCKER_TAG '$DOCKER_TAG' is not a valid image tag"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"
DOCKER=${DOCKER:-docker}
KUBECTL_BIN=${KUBECTL:-kubectl}
missing=()
needed=("$KUBECTL_BIN")
[ "$SKIP_BUILD" = 1 ] || needed+=("$DOCKER")
for tool in "${needed[@]}"; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$DRY_RUN" = 1 ] || die "missing: ${missing[*]} (install it, or use --dry-run to see the plan)"
	echo "# note: missing ${missing[*]}: a real run would stop here" >&2
fi
if [ "$DRY_RUN" = 0 ]; then
	"$KUBECTL_BIN" version --request-timeout=10s >/dev/null 2>&1 || die "kubectl cannot reach a cluster (check your kubeconfig/context)"
fi

KUBECTL=("$KUBECTL_BIN")
[ -z "$NAMESPACE" ] || KUBECTL+=(--namespace "$NAMESPACE")
DB_IMAGE=$DOCKER_USERNAME/pgwarden-db
SIDECAR_IMAGE=$DOCKER_USERNAME/pgwarden-sidecars

# run CMD...: print it; execute unless --dry-run
run() {
	printf '+'
	printf ' %q' "$@"
	printf '\n'
	[ "$DRY_RUN" = 1 ] || "$@"
}

# ---- 1. images, from the versions file ----
VERSIONS=${VERSIONS:-$ROOT/Dockerfiles/versions.env}
version() { sed -n "s/^$1=//p" "$VERSIONS" | tail -1; }

# pin_digest KEY: the registry's digest of image $KEY, written as KEY_DIGEST
pin_digest() {
	local image digest tmp
	image=$(version "$1")
	"$DOCKER" pull -q "$image" >/dev/null || die "unable to pull $image"
	digest=$("$DOCKER" image inspect --format '{{index .RepoDigests 0}}' "$image") || die "no digest for $image"
	digest=${digest#*@}
	[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || die "unexpected digest '$digest' for $image"
	tmp=$VERSIONS.tmp.$$
	sed "s|^$1_DIGEST=.*|$1_DIGEST=$digest|" "$VERSIONS" >"$tmp" && mv "$tmp" "$VERSIONS"
	echo "# pinned $image to $digest in $VERSIONS: review and commit it"
}

# image_ref KEY: the image by tag and digest, as the build uses it
image_ref() {
	local image digest
	image=$(version "$1")
	digest=$(version "$1_DIGEST")
	echo "$image${digest:+@$digest}"
}

if [ "$SKIP_BUILD" = 0 ]; then
	[ -r "$VERSIONS" ] || die "unable to read $VERSIONS"
	if [ "$PIN" = 1 ] && [ "$DRY_RUN" = 0 ]; then
		pin_digest PG_IMAGE
		pin_digest DEBIAN_IMAGE
	fi
	for key in PG_IMAGE DEBIAN_IMAGE; do
		[ -z "$(version ${key}_DIGEST)" ] || continue
		[ "$DRY_RUN" = 1 ] || die "$(version $key) is not pinned by digest in $VERSIONS: run once with --pin"
		echo "# note: $(version $key) is not pinned by digest; a real build would refuse (--pin)" >&2
	done
	build_args=(--build-arg "PG_MAJOR=$(version PG_MAJOR)"
		--build-arg "TIMESCALEDB_VERSION=$(version TIMESCALEDB_VERSION)"
		--build-arg "PG_IMAGE=$(image_ref PG_IMAGE)"
		--build-arg "DEBIAN_IMAGE=$(image_ref DEBIAN_IMAGE)")
	run "$DOCKER" build "${build_args[@]}" -f "$ROOT/Dockerfiles/db.Dockerfile" -t "$DB_IMAGE:$DOCKER_TAG" "$ROOT"
	run "$DOCKER" build "${build_args[@]}" -f "$ROOT/Dockerfiles/sidecars.Dockerfile" -t "$SIDECAR_IMAGE:$DOCKER_TAG" "$ROOT"
	run "$DOCKER" push "$DB_IMAGE:$DOCKER_TAG"
	run "$DOCKER" push "$SIDECAR_IMAGE:$DOCKER_TAG"
fi

# ---- 2. the password Secret, once ----
if [ "$DRY_RUN" = 1 ] || ! "${KUBECTL[@]}" get secret pgwarden-db-credentials >/dev/null 2>&1; then
	echo "# pgwarden-db-credentials: created from ${DB_PASSWORD_FILE:-a random password} when missing"
	if [ "$DRY_RUN" = 0 ]; then
		if [ -n "${DB_PASSWORD_FILE:-}" ]; then
			[ -r "$DB_PASSWORD_FILE" ] || die "unable to read '$DB_PASSWORD_FILE'"
			cat "$DB_PASSWORD_FILE"
		else
			head -c 24 /dev/urandom | base64 | tr -d '/+=\n'
		fi | "${KUBECTL[@]}" create secret generic pgwarden-db-credentials --from-file=password=/dev/stdin
	fi
fi

# ---- 3. manifests, with this build's images ----
overlay=$ROOT/build/deploy
mkdir -p "$overlay"
cat >"$overlay/kustomization.yaml" <<EOF
# generated by config/deploy-backup-system.sh
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../pod-spec
images:
  - name: pgwarden/pgwarden-db
    newName: $DB_IMAGE
    newTag: "$DOCKER_TAG"
  - name: pgwarden/pgwarden-sidecars
    newName: $SIDECAR_IMAGE
    newTag: "$DOCKER_TAG"
EOF

# the volumes, once: never part of what apply -k / delete -k pod-spec/ touch
if [ "$DRY_RUN" = 1 ] || ! "${KUBECTL[@]}" get pvc db-pvc db-backups-pvc >/dev/null 2>&1; then
	echo "# storage: the claims, created when missing (pod-spec/storage/)"
	run "${KUBECTL[@]}" apply -k "$ROOT/pod-spec/storage"
fi

# never take over what is somebody else's: every object this would apply
# either does not exist yet or carries our label
if [ "$DRY_RUN" = 0 ]; then
	objects=$("${KUBECTL[@]}" apply -k "$overlay" --dry-run=client -o name) ||
		die "unable to render $overlay"
	for obj in $objects; do
		if owner=$("${KUBECTL[@]}" get "$obj" -o 'jsonpath={.metadata.labels.app\.kubernetes\.io/part-of}' 2>/dev/null) &&
			[ "$owner" != pgwarden ]; then
			die "refusing to take over $obj: it exists and is not labelled app.kubernetes.io/part-of=pgwarden (rename ours, or label it if it really is pgwarden's)"
		fi
	done
fi

# what will change, before it changes (kubectl diff: 0 none, 1 some, >1 error)
echo "# changes to the cluster:"
if [ "$DRY_RUN" = 0 ]; then
	rc=0
	"${KUBECTL[@]}" diff -k "$overlay" || rc=$?
	[ "$rc" -le 1 ] || die "kubectl diff failed (exit $rc)"
else
	run "${KUBECTL[@]}" diff -k "$overlay"
fi
run "${KUBECTL[@]}" apply -k "$overlay"
run "${KUBECTL[@]}" rollout status statefulset/db --timeout="${TIMEOUT}s"

# ---- 4. a first backup, and wait for it to be valid ----
run "${KUBECTL[@]}" exec statefulset/db -c backupper -- touch /backups/request-backup
if [ "$DRY_RUN" = 0 ]; then
	for ((i = 0; i < TIMEOUT / 5; i++)); do
		if "${KUBECTL[@]}" exec statefulset/db -c monitor -- pgwarden status --json 2>/dev/null |
			grep -q '"last_valid":{'; then
			"${KUBECTL[@]}" exec statefulset/db -c monitor -- pgwarden status
			echo "deployed: first backup valid"
			exit 0
		fi
		sleep 5
	done
	die "no valid backup after ${TIMEOUT}s: kubectl exec statefulset/db -c backupper -- tail -50 /backups/backup.log"
fi
echo "# dry run: nothing was changed"
