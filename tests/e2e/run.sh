#!/usr/bin/env bash
# End-to-end tests of the desktop app as a person uses it: the real bai-launcher binary under
# Xvfb, driven through tauri-driver + WebKitWebDriver (Python selenium), with a real OS keyring
# (gnome-keyring in a private D-Bus session), a throwaway config dir, and a testkit server
# started by the tests. Screenshots of each step go to target/e2e/.
#
#   tests/e2e/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export BAI_CACHE=${BAI_CACHE:-$HOME/.cache/bai-launcher}
TOOLS="$BAI_CACHE/tools"
VENV="$BAI_CACHE/e2e"
REQUIREMENTS=("selenium==4.51.0" "pytest==9.2.0" "python-xlib==0.33")
started=$(date +%s)
say() { printf '==> [%3ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

for tool in Xvfb WebKitWebDriver dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || {
    echo "e2e: $tool is missing; run scripts/setup-system.sh (Debian: xvfb webkit2gtk-driver dbus gnome-keyring)" >&2
    exit 1
  }
done

if [ ! -x "$TOOLS/bin/tauri-driver" ]; then
  say "installing tauri-driver 2.1.0 into $TOOLS (once)"
  cargo install tauri-driver@2.1.0 --locked --root "$TOOLS" --quiet
fi

stamp="$(printf '%s\n' "${REQUIREMENTS[@]}" | sha256sum | cut -c1-16)"
if [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "creating the selenium venv in $VENV (once)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${REQUIREMENTS[@]}"
  echo "$stamp" >"$VENV/.stamp"
fi

say "building the UI, the app and the testkit"
[ -d ui/node_modules ] || (cd ui && npm ci --silent)
(cd ui && npm run build --silent >/dev/null)
# Workspace-wide, so the features match `cargo test --workspace` and nothing is rebuilt.
cargo build --quiet --locked --workspace --bins

OUT="$ROOT/target/e2e"
rm -rf "$OUT" && mkdir -p "$OUT"
export E2E_APP="$ROOT/target/debug/bai-launcher"
export E2E_TESTKIT="$ROOT/target/debug/bai-testkit"
# The JupyterLab behind the phase-2 testkit (scripts/python-env.sh jupyter installs it).
export E2E_JUPYTER="${BAI_TESTKIT_JUPYTER:-$BAI_CACHE/jupyter/bin/jupyter}"
# The app's "Try the demo" finds JupyterLab the way the installed app does: this is the one
# it is given (without it, the demo explains what to install; tests/e2e/installed_demo.py).
export BAI_TESTKIT_JUPYTER="$E2E_JUPYTER"
export E2E_OUT="$OUT"
export E2E_TAURI_DRIVER="$TOOLS/bin/tauri-driver"
export E2E_PYTHON="$VENV/bin/python"

say "running the tests (Xvfb, private D-Bus + unlocked keyring, tauri-driver)"
status=0
bash scripts/with-keyring.sh bash tests/e2e/session.sh "$@" || status=$?

say "screenshots:"
ls -1 "$OUT"/*.png 2>/dev/null | sed "s|^$ROOT/|    |" || echo "    (none)"
say "done (exit $status)"
exit "$status"
