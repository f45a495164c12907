#!/usr/bin/env bash
# The security suite of issue 10: replays each attack against the built `bai` and
# `bai-testkit`, a real WebKitGTK (Python gi, WebKit2 4.1, under Xvfb) and `bai demo`, with a
# real JupyterLab behind the tunnels. Prints `PASS name: detail` / `FAIL name: detail` per
# check and ends with `N passed, M failed`; exits non-zero on any failure.
#
#   bash tests/security/run.sh
#
# Needs (scripts/setup-system.sh, scripts/python-env.sh jupyter): xvfb, python3-gi,
# gir1.2-webkit2-4.1, JupyterLab at $BAI_TESTKIT_JUPYTER or $BAI_CACHE/jupyter/bin/jupyter.
# With CI=true a missing prerequisite fails the suite; otherwise the browser checks are
# skipped (and say so). Logs of every process go to target/security/.
set -euo pipefail
cd "$(dirname "$0")/../.."
export BAI_CACHE=${BAI_CACHE:-$HOME/.cache/bai-launcher}
if [ -z "${BAI_TESTKIT_JUPYTER:-}" ] && [ -x "$BAI_CACHE/jupyter/bin/jupyter" ]; then
  export BAI_TESTKIT_JUPYTER="$BAI_CACHE/jupyter/bin/jupyter"
fi

echo "==> building the binaries (the same build as the E2E suite, so nothing is built twice)"
cargo build --quiet --locked --workspace --bins

# Debian's python3 carries the gi bindings; a pyenv or venv python3 earlier on PATH does not.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

rm -rf target/security && mkdir -p target/security
args=(--bai target/debug/bai --testkit target/debug/bai-testkit --out target/security)

if [ -n "${DISPLAY:-}" ] && [ -z "${BAI_SEC_FORCE_XVFB:-}" ]; then
  exec "$PY" tests/security/suite.py "${args[@]}"
fi
if command -v xvfb-run >/dev/null 2>&1 && command -v Xvfb >/dev/null 2>&1; then
  # A display of our own; xvfb-run stops the server when the suite ends.
  exec xvfb-run -a -s "-screen 0 1280x1024x24 -nolisten tcp" "$PY" tests/security/suite.py "${args[@]}"
fi
export BAI_SEC_NO_DISPLAY="Xvfb/xvfb-run not found (Debian: apt-get install xvfb xauth)"
exec "$PY" tests/security/suite.py "${args[@]}"
