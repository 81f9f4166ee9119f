#!/usr/bin/env bash
# setup-telegram-alerts.sh - connect pgwarden's alerts to a Telegram chat.
#
# Walks through creating a bot, finds the chat id with getUpdates, sends a
# test message, writes the Kubernetes Secret the pod spec reads
# (TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID) and applies it when kubectl reaches
# a cluster.
#
# Interactive by default. For automation:
#   TELEGRAM_BOT_TOKEN=... config/setup-telegram-alerts.sh --non-interactive \
#       [--chat-id ID] [--namespace NS] [--output FILE] [--no-apply]
# The token is read from the prompt, $TELEGRAM_BOT_TOKEN or --token-file,
# never from the command line (it would show in `ps`), and it is passed to
# curl on stdin for the same reason.
set -euo pipefail

API_URL=${TELEGRAM_API_URL:-https://api.telegram.org}
NAMESPACE=
KUBECTL=${KUBECTL:-kubectl}
SECRET_NAME=pgwarden-telegram
OUTPUT=pgwarden-telegram-secret.yaml
CHAT_ID=${TELEGRAM_CHAT_ID:-}
TOKEN=${TELEGRAM_BOT_TOKEN:-}
TOKEN_FILE=
INTERACTIVE=1
APPLY=auto
ENVIRONMENT=${PGWARDEN_ENVIRONMENT:-Development}

usage() {
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	cat <<EOF

options:
  --token-file FILE    read the bot token from FILE
  --chat-id ID         skip getUpdates and use this chat id
  --api-url URL        Bot API base URL (default $API_URL)
  --namespace NS       namespace of the Secret (default: kubectl's current)
  --secret-name NAME   name of the Secret (default $SECRET_NAME)
  --output FILE        where to write the Secret manifest (default $OUTPUT)
  --environment NAME   shown in the test message (default $ENVIRONMENT)
  --no-apply           only write the manifest
  --apply              apply it (fail if kubectl cannot reach a cluster)
  --non-interactive    never prompt; fail when something is missing
EOF
}

die() {
	echo "setup-telegram-alerts: $*" >&2
	exit 1
}
say() { [ "$INTERACTIVE" = 1 ] && echo "$@" || true; }

while [ $# -gt 0 ]; do
	case $1 in
	--token-file) TOKEN_FILE=${2:?--token-file needs a file}; shift ;;
	--chat-id) CHAT_ID=${2:?--chat-id needs an id}; shift ;;
	--api-url) API_URL=${2:?--api-url needs a URL}; shift ;;
	--namespace) NAMESPACE=${2:?}; shift ;;
	--secret-name) SECRET_NAME=${2:?}; shift ;;
	--output) OUTPUT=${2:?}; shift ;;
	--environment) ENVIRONMENT=${2:?}; shift ;;
	--no-apply) APPLY=no ;;
	--apply) APPLY=yes ;;
	--non-interactive | -y) INTERACTIVE=0 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

command -v curl >/dev/null || die "curl is required (apt-get install curl)"
if command -v jq >/dev/null; then
	json() { jq -r "$1 // empty"; }
elif command -v python3 >/dev/null; then
	json() {
		python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in [k for k in sys.argv[1].lstrip(".").replace("[-1]",".-1").split(".") if k]:
    v = v[int(k)] if isinstance(v, list) else (v or {}).get(k)
    if v is None: break
print("" if v is None else v)' "$1"
	}
else
	die "jq or python3 is required to read the Bot API's answers"
fi

# Bot API call: method, then optional form fields. The URL (with the token)
# goes to curl through stdin, not argv.
api() {
	local method=$1
	shift
	local args=()
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	printf 'url = "%s/bot%s/%s"\n' "$API_URL" "$TOKEN" "$method" |
		curl -sS --max-time 15 --config - ${args[@]+"${args[@]}"} ||
		die "unable to reach $API_URL ($method)"
}

# 1. the bot and its token
if [ -n "$TOKEN_FILE" ]; then
	[ -r "$TOKEN_FILE" ] || die "unable to read '$TOKEN_FILE'"
	TOKEN=$(head -n1 "$TOKEN_FILE" | tr -d '[:space:]')
fi
if [ -z "$TOKEN" ]; then
	[ "$INTERACTIVE" = 1 ] || die "no token: set TELEGRAM_BOT_TOKEN or --token-file"
	cat <<'EOF'
Step 1: create a bot
  1. In Telegram, open a chat with @BotFather and send /newbot.
  2. Choose a display name and a username ending in "bot".
  3. BotFather answers with a token like 123456789:AAH...; keep it secret.
EOF
	printf 'Paste the bot token (not echoed): ' >&2
	read -rs TOKEN
	echo >&2
fi
[[ "$TOKEN" =~ ^[0-9]+:[A-Za-z0-9_-]+$ ]] || die "that does not look like a bot token (digits:letters)"
me=$(api getMe)
[ "$(json .ok <<<"$me")" = true ] || die "Telegram refused the token: $(json .description <<<"$me")"
BOT=$(json .result.username <<<"$me")
say "Bot @$BOT is valid."

# 2. the chat id
if [ -z "$CHAT_ID" ]; then
	if [ "$INTERACTIVE" = 1 ]; then
		cat <<EOF

Step 2: find the chat
  Send any message to @$BOT (or add it to a group and send a message
  there), then press Enter.
EOF
		read -r _
	fi
	updates=$(api getUpdates)
	CHAT_ID=$(json '.result[-1].message.chat.id' <<<"$updates")
	[ -n "$CHAT_ID" ] || die "no message found for @$BOT: send it a message first, or pass --chat-id"
	if [ "$INTERACTIVE" = 1 ]; then
		printf 'Use chat %s? [Y/n] ' "$CHAT_ID" >&2
		read -r ok || ok=y
		[[ "${ok:-y}" =~ ^[Yy] ]] || die "stopped: pass --chat-id to choose another chat"
	fi
fi
[[ "$CHAT_ID" =~ ^-?[0-9]+$|^@[A-Za-z0-9_]+$ ]] || die "chat id '$CHAT_ID' is not a number or @channel"

# 3. a test message
sent=$(api sendMessage "chat_id=$CHAT_ID" "parse_mode=HTML" \
	"text=<b>ℹ️ pgwarden - INFO</b>

Telegram alerts are set up for environment <b>$ENVIRONMENT</b>.")
[ "$(json .ok <<<"$sent")" = true ] || die "the test message failed: $(json .description <<<"$sent")"
say "Test message sent to chat $CHAT_ID."

# 4. the Secret manifest (0600: it holds the token), in the namespace the
# pod is deployed to: kubectl's current one unless told
if [ -z "$NAMESPACE" ]; then
	NAMESPACE=$("$KUBECTL" config view --minify -o 'jsonpath={..namespace}' 2>/dev/null || true)
	[ -n "$NAMESPACE" ] || NAMESPACE=default
fi
umask 077
tmp="$OUTPUT.tmp.$$"
cat >"$tmp" <<EOF
# Written by config/setup-telegram-alerts.sh. Holds a secret: do not commit.
apiVersion: v1
kind: Secret
metadata:
  name: $SECRET_NAME
  namespace: $NAMESPACE
  labels:
    app.kubernetes.io/part-of: pgwarden
type: Opaque
stringData:
  TELEGRAM_BOT_TOKEN: "$TOKEN"
  TELEGRAM_CHAT_ID: "$CHAT_ID"
EOF
mv "$tmp" "$OUTPUT"
echo "Secret manifest written to $OUTPUT"

# 5. apply it when a cluster is reachable
if [ "$APPLY" != no ]; then
	if command -v "$KUBECTL" >/dev/null && "$KUBECTL" version --request-timeout=5s >/dev/null 2>&1; then
		"$KUBECTL" apply -f "$OUTPUT"
		echo "Applied. Restart the monitor container to pick it up (the database keeps running):"
		echo "  kubectl -n $NAMESPACE exec statefulset/db -c monitor -- kill 1"
	elif [ "$APPLY" = yes ]; then
		die "kubectl cannot reach a cluster; the manifest is in $OUTPUT"
	else
		echo "kubectl has no cluster: apply later with: kubectl apply -f $OUTPUT"
	fi
fi
