#!/usr/bin/env bash
# Quick check of a running harness (start.sh) with the official CLI from the venv:
# server version, image list, enqueue-only → PENDING → rm → CANCELLED, a session → RUNNING,
# `backend.ai app` tunnels (manager tcpproxy) to the real JupyterLab for jupyter and
# jupyterlab, a notebook created through the tunnel, rm → TERMINATED, and the SSE events.
# Prints PASS/FAIL lines and exits 1 if anything failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[ -f "$RM_CLIENT_ENV" ] || rm_die "no $RM_CLIENT_ENV; run $RM_DIR/start.sh first"
source "$RM_CLIENT_ENV"
APP_PORT=${REALMGR_SMOKE_APP_PORT:-8140}
tag=$(date +%s | tail -c 6)
work=$(mktemp -d -t bai-realmgr-smoke.XXXXXX)
pass=0 fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
cli() { "$RM_CLI" "$@" 2>&1 | grep -vE 'UserWarning|parser = self|self.parse_args'; }
# status_of NAME: the session's status as `backend.ai ps --all` shows it.
status_of() {
  "$RM_CLI" ps --all 2>/dev/null | awk -v n="$1" '$1 == n {
    for (i = 1; i <= NF; i++) if ($i ~ /^(PENDING|SCHEDULED|PREPARING|PULLING|PREPARED|CREATING|RUNNING|TERMINATING|TERMINATED|CANCELLED|ERROR)$/) { print $i; exit } }'
}
# wait_status NAME STATUS SECONDS
wait_status() {
  local i s
  for ((i = 0; i < $3; i++)); do
    s=$(status_of "$1")
    [ "$s" = "$2" ] && return 0
    sleep 1
  done
  echo "  (last status of $1: ${s:-none})"
  return 1
}
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait "${pids[@]}" 2>/dev/null
  "$RM_CLI" rm "pend-$tag" "life-$tag" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

out=$(cli config)
grep -q "Server version: $RM_BAI_VERSION" <<<"$out" && ok "config: server $RM_BAI_VERSION" || bad "config: $out"
out=$(cli admin image list)
grep -q 'stable/python' <<<"$out" && ok "admin image list" || bad "admin image list: $out"

# More CPU than the dummy agent has (9 schedulable): the session stays PENDING.
cli session create --enqueue-only -t "pend-$tag" -r cpu=50 -r mem=512m python >/dev/null
wait_status "pend-$tag" PENDING 10 && ok "enqueue-only → PENDING" || bad "enqueue-only → PENDING"
cli rm "pend-$tag" >/dev/null
wait_status "pend-$tag" CANCELLED 10 && ok "rm pending → CANCELLED" || bad "rm pending → CANCELLED"

cli session create --enqueue-only -t "life-$tag" -r cpu=1 -r mem=512m python >/dev/null
# The events API takes the session name (a UUID gives 404).
timeout 120 "$RM_CLI" session events --scope '*' "life-$tag" >"$work/events.log" 2>&1 &
pids+=($!)
wait_status "life-$tag" RUNNING 40 && ok "session → RUNNING" || bad "session → RUNNING"

for app in jupyter jupyterlab; do
  "$RM_CLI" app "life-$tag" "$app" -b "127.0.0.1:$APP_PORT" >"$work/app-$app.log" 2>&1 &
  apid=$!
  rm_wait 15 curl -sf -m 3 "http://127.0.0.1:$APP_PORT/api"
  out=$(curl -s -m 5 "http://127.0.0.1:$APP_PORT/api")
  grep -q '"version"' <<<"$out" && ok "app $app → tunnel → JupyterLab /api: $out" ||
    bad "app $app tunnel: '$out' ($(tail -3 "$work/app-$app.log" | tr '\n' ' '))"
  if [ "$app" = jupyterlab ]; then
    # A write with a foreign Origin, as a browser behind the tunnel sends it.
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST -H "Origin: http://127.0.0.1:$APP_PORT" \
      -H 'Content-Type: application/json' -d '{"type": "notebook"}' "http://127.0.0.1:$APP_PORT/api/contents")
    [ "$code" = 201 ] && ok "notebook created through the tunnel (201)" || bad "create notebook: HTTP $code"
  fi
  kill "$apid" 2>/dev/null
  wait "$apid" 2>/dev/null
done

cli rm "life-$tag" >/dev/null
wait_status "life-$tag" TERMINATED 20 && ok "rm running → TERMINATED" || bad "rm running → TERMINATED"
sleep 1
if grep -q session_started "$work/events.log" && grep -q session_terminated "$work/events.log"; then
  ok "session events (started … terminated)"
else
  bad "session events: $(tr '\n' ' ' <"$work/events.log" | cut -c1-300)"
fi

echo "smoke: $pass passed, $fail failed"
[ "$fail" = 0 ]
