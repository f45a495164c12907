#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environments the tests and the testkit need:
#
#   sdk      Python >= 3.12 with the official Backend.AI client (backend.ai-client needs 3.12+;
#            on 3.11 pip only finds the 2023 release, which crashes with current yarl) and pytest.
#   jupyter  Python >= 3.11 with JupyterLab, which the testkit runs as a fake kernel's notebook.
#
# Usage: scripts/python-env.sh [sdk|jupyter|all]   (default: $BAI_PYTHON_ENVS, else all)
# Venvs live in ${BAI_CACHE:-$HOME/.cache/bai-launcher}/<name> (so JupyterLab is at
# $BAI_CACHE/jupyter/bin/jupyter and the SDK's Python at $BAI_CACHE/sdk/bin/python). Re-runs are fast: a
# stamp file holds the hash of the requirements and the interpreter, and a venv whose stamp
# matches is left alone. If no Python >= 3.12 exists, the sdk venv is skipped (exit 0, one
# line saying so) so that callers can skip the official-SDK conformance instead of failing.
set -euo pipefail

# Pinned so that conformance results are reproducible; bump deliberately.
SDK_REQUIREMENTS=("backend.ai-client==26.9.6" "pytest==9.2.0")
JUPYTER_REQUIREMENTS=("jupyterlab==4.6.6")

CACHE="${BAI_CACHE:-$HOME/.cache/bai-launcher}"
VENVS="$CACHE"
WHAT="${1:-${BAI_PYTHON_ENVS:-all}}"

case "$WHAT" in
  sdk | jupyter | all) ;;
  *)
    echo "python-env.sh: unknown target '$WHAT'; use sdk, jupyter or all" >&2
    exit 2
    ;;
esac

# Prints the first candidate that really runs (pyenv shims exist on PATH even for versions
# that are not activated, and then fail), is at least 3.<min_minor>, and can create venvs.
find_python() {
  local min_minor="$1"
  shift
  local c
  for c in "$@"; do
    [ -n "$c" ] || continue
    if "$c" -c "import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, $min_minor) else 1)" \
      >/dev/null 2>&1; then
      printf '%s\n' "$c"
      return 0
    fi
  done
  return 1
}

pyenv_root() {
  if command -v pyenv >/dev/null 2>&1; then pyenv root 2>/dev/null || true; fi
}

# Candidates for Python 3.<minor>, in the order the project prefers them.
candidates_for() {
  local minor="$1" root
  root="$(pyenv_root)"
  printf '%s\n' "python3.$minor"
  # Globs that match nothing stay literal and simply fail the probe.
  printf '%s\n' /root/.pyenv/versions/3."$minor"*/bin/python3
  if [ -n "$root" ]; then printf '%s\n' "$root"/versions/3."$minor"*/bin/python3; fi
}

# ensure_venv NAME PYTHON REQUIREMENTS...
ensure_venv() {
  local name="$1" python="$2"
  shift 2
  local dir="$VENVS/$name"
  local py_version stamp
  py_version="$("$python" -c 'import sys; print(sys.version.split()[0])')"
  stamp="$(printf '%s\n' "$py_version" "$@" | sha256sum | cut -d' ' -f1)"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.bai-stamp" 2>/dev/null || true)" = "$stamp" ] \
    && "$dir/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "$name venv: $dir (Python $py_version, up to date: $*)"
    return 0
  fi
  echo "$name venv: creating $dir with Python $py_version ($python) and $* ..."
  rm -rf "$dir"
  "$python" -m venv "$dir"
  if ! "$dir/bin/python" -m pip install --quiet --no-input "$@"; then
    rm -rf "$dir"
    echo "$name venv: pip could not install $*; see the pip output above (network? PyPI reachable?)" >&2
    return 1
  fi
  # Written last, so an interrupted install is redone on the next run.
  printf '%s\n' "$stamp" >"$dir/.bai-stamp"
  echo "$name venv: $dir (Python $py_version, installed: $*)"
}

mkdir -p "$VENVS"
# Several test runners may call this at once; one installs, the others wait and then reuse.
exec 9>"$VENVS/.python-env.lock"
flock 9

if [ "$WHAT" = sdk ] || [ "$WHAT" = all ]; then
  mapfile -t cands < <(candidates_for 13; candidates_for 12)
  if sdk_python="$(find_python 12 "${cands[@]}")"; then
    ensure_venv sdk "$sdk_python" "${SDK_REQUIREMENTS[@]}"
  else
    rm -rf "$VENVS/sdk"
    echo "sdk venv: skipped: no Python >= 3.12 found (tried python3.13, python3.12 and pyenv versions); backend.ai-client 26.x needs 3.12+, so the official-SDK conformance cannot run"
  fi
fi

if [ "$WHAT" = jupyter ] || [ "$WHAT" = all ]; then
  mapfile -t cands < <(candidates_for 13; candidates_for 12; candidates_for 11; echo /usr/bin/python3; echo python3)
  if jupyter_python="$(find_python 11 "${cands[@]}")"; then
    ensure_venv jupyter "$jupyter_python" "${JUPYTER_REQUIREMENTS[@]}"
  else
    echo "jupyter venv: no Python >= 3.11 found (tried python3.13 .. python3.11, /usr/bin/python3); install python3 (Debian 12 ships 3.11)" >&2
    exit 1
  fi
fi
