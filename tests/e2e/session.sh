#!/usr/bin/env bash
# The inside of tests/e2e/run.sh, run within scripts/with-keyring.sh (throwaway HOME, private
# D-Bus session, unlocked keyring): starts Xvfb and tauri-driver, runs pytest, stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."

pids=()
cleanup() {
  # A demo server left behind by a failed test: stop it by its recorded pid.
  if [ -f "$E2E_OUT/demo.pids" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$E2E_OUT/demo.pids"
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Keep the app's log (secrets never reach it) beside the screenshots for diagnosis.
  cat "${E2E_LOG_DIR:-/nonexistent-e2e}"/*.log >"$E2E_OUT/app.log" 2>/dev/null || true
  rm -rf "${BAI_CONFIG_DIR:-/nonexistent-e2e}"
}
trap cleanup EXIT INT TERM

# A free display number: the first without an X lock file.
display=90
while [ -e "/tmp/.X${display}-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >"$E2E_OUT/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=":$display"
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done

export BAI_CONFIG_DIR
BAI_CONFIG_DIR=$(mktemp -d)
# Where Tauri puts the app's log dir on Linux: $XDG_DATA_HOME/<identifier>/logs.
export XDG_DATA_HOME="$HOME/.local/share"
export E2E_LOG_DIR="$XDG_DATA_HOME/ai.backend.launcher/logs"
export BAI_TESTKIT_BIN="$PWD/tests/e2e/testkit-wrapper.sh"
# The app must not pick up a real cluster from the caller's environment.
unset BACKEND_ENDPOINT BACKEND_ACCESS_KEY BACKEND_SECRET_KEY BAI_SECRET_STORE || true

# Links the app hands to the system browser are recorded, not opened (the open crate tries
# xdg-open first): tests read them from $E2E_OUT/opened.txt.
mkdir -p "$E2E_OUT/bin"
printf '%s\n' '#!/bin/sh' 'printf "%s\n" "$*" >>"$E2E_OUT/opened.txt"' >"$E2E_OUT/bin/xdg-open"
chmod +x "$E2E_OUT/bin/xdg-open"
export PATH="$E2E_OUT/bin:$PATH"

port=4444
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 2)); done
"$E2E_TAURI_DRIVER" --port "$port" --native-port "$((port + 1))" >"$E2E_OUT/tauri-driver.log" 2>&1 &
pids+=($!)
export E2E_WEBDRIVER="http://127.0.0.1:$port"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

"$E2E_PYTHON" -m pytest -q -p no:cacheprovider tests/e2e "$@"
