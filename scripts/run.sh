#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine and runs the launcher with a local demo endpoint:
# the testkit (a Backend.AI-compatible server on 127.0.0.1) backed by a real JupyterLab.
set -euo pipefail
cd "$(dirname "$0")/.."
export BAI_CACHE=${BAI_CACHE:-$HOME/.cache/bai-launcher}

bash scripts/setup-system.sh
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
BAI_PYTHON_ENVS=jupyter bash scripts/python-env.sh
bash scripts/build-ui.sh
echo "==> building the app and the demo endpoint (the first build takes a few minutes)"
cargo build --locked -p bai-launcher -p bai-testkit -p bai-cli

if [ -x "$BAI_CACHE/jupyter/bin/jupyter" ]; then
  export BAI_TESTKIT_JUPYTER="$BAI_CACHE/jupyter/bin/jupyter"
fi

demo_info=$(mktemp)
cleanup() {
  [ -n "${demo_pid:-}" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
  rm -f "$demo_info"
}
trap cleanup EXIT INT TERM

echo "==> starting the demo endpoint"
target/debug/bai-testkit --jupyter auto >"$demo_info" &
demo_pid=$!
for _ in $(seq 100); do [ -s "$demo_info" ] && break; sleep 0.1; done
if [ ! -s "$demo_info" ]; then
  echo "error: the demo endpoint did not start; see the messages above" >&2
  exit 1
fi
export BAI_DEMO_INFO
BAI_DEMO_INFO=$(head -n1 "$demo_info")
echo "    demo endpoint: $(sed -E 's/.*"manager_url":"([^"]+)".*/\1/' <<<"$BAI_DEMO_INFO")"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "error: no display. Run this from a desktop session (or under Xvfb: xvfb-run bash scripts/run.sh)." >&2
  exit 1
fi
echo "==> starting the launcher"
target/debug/bai-launcher
