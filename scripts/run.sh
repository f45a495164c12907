#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine and runs the launcher. Its "Try the demo" starts the
# demo endpoint (the testkit, a Backend.AI-compatible server on 127.0.0.1, backed by a real
# JupyterLab on a private socket) with keys drawn for that run.
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

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "error: no display. Run this from a desktop session (or under Xvfb: xvfb-run bash scripts/run.sh)." >&2
  exit 1
fi
echo "==> starting the launcher (its first screen offers Try the demo: a local demo endpoint with a real JupyterLab)"
target/debug/bai-launcher
