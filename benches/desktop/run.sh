#!/usr/bin/env bash
# Desktop benchmark: start-up time and idle memory of the launcher against a minimal Tauri app
# built the same way (release, custom protocol, same tauri features), under Xvfb with a real
# keyring; then the launcher in the tray: the whole app's RSS and process count after a
# `--minimized` start and after its window is closed, and how long reopening it from the tray
# takes (see measure.py). Prints figures; never fails on a number.
#
#   benches/desktop/run.sh [--prebuilt] [--runs N] [--idle SECONDS] [--reopens N]
#
# --prebuilt: take target/release/bai-launcher as scripts/package-deb.sh just built it (CI does
# this right after the package step; rebuilding would re-run the UI build and relink the app).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
for tool in Xvfb dbus-run-session gnome-keyring-daemon gdbus; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing; run scripts/setup-system.sh" >&2; exit 1; }
done

# Both apps are built by the Tauri CLI exactly as scripts/package-deb.sh builds the release app
# (`tauri build`: release profile, custom protocol, UI embedded), without bundling. After a
# package build the launcher is already up to date and only the minimal app is compiled.
if [ ! -x ui/node_modules/.bin/tauri ]; then
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
TAURI=$ROOT/ui/node_modules/.bin/tauri
prebuilt=0
if [ "${1:-}" = --prebuilt ]; then prebuilt=1; shift; fi
if ((prebuilt)); then
  [ -x target/release/bai-launcher ] || { echo "bench: --prebuilt, but there is no target/release/bai-launcher; run scripts/package-deb.sh" >&2; exit 1; }
else
  echo "==> building the launcher (tauri build --no-bundle)"
  (cd src-tauri && "$TAURI" build --no-bundle --ci -- --locked)
fi
echo "==> building the minimal app (tauri build --no-bundle)"
(cd benches/desktop/minimal-app && "$TAURI" build --no-bundle --ci -- --locked)

display=:$(( 90 + RANDOM % 100 ))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
DISPLAY=$display bash scripts/with-keyring.sh python3 benches/desktop/measure.py \
  --launcher "$ROOT/target/release/bai-launcher" \
  --minimal "$ROOT/target/release/bai-bench-minimal-app" "$@"
