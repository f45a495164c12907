#!/usr/bin/env bash
# Prepares the real Backend.AI manager + dummy agent harness (see README.md):
#   1. Debian packages (PostgreSQL 15, Redis, etcd, OpenSSH) if missing,
#   2. a Python 3.13 venv with the pinned manager, agent and client in $BAI_CACHE/realmgr/venv,
#   3. the JupyterLab venv (scripts/python-env.sh jupyter) that start.sh serves the apps from,
#   4. configs, RPC keys, database schema + fixtures and etcd keys in the run directory.
# Idempotent and quiet; stamp files make a re-run take about a second. Services it has to
# start for step 4 are stopped again on exit. Without Python 3.13 it prints one line and exits 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$RM_DIR/lib/services.sh"
source "$RM_DIR/lib/configs.sh"

started=$(date +%s)

# Prints the first candidate that really runs Python 3.13 and can make venvs (the pyenv shim
# `python3.13` exists on PATH even when that version is not selected, and then fails).
find_python313() {
  local c
  for c in "${REALMGR_PYTHON:-}" /root/.pyenv/versions/3.13*/bin/python3 \
    "$HOME"/.pyenv/versions/3.13*/bin/python3 python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do
    [ -n "$c" ] || continue
    if "$c" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

ensure_debian_packages() {
  local missing=()
  [ -x "$RM_PG_BIN/postgres" ] || missing+=(postgresql-15)
  command -v psql >/dev/null || missing+=(postgresql-client-15)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v etcdctl >/dev/null || missing+=(etcd-client)
  [ -x /usr/sbin/sshd ] || [ -n "${REALMGR_SSHD:-}" ] || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || rm_die "missing Debian packages: ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  rm_log "installing ${missing[*]} (apt)"
  local log="$RM_HOME/apt.log"
  # The package lists may be stale or absent in a fresh container: update only when needed.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >"$log" 2>&1; then
    apt-get update -qq >>"$log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1 ||
      rm_die "apt-get install ${missing[*]} failed; see $log"
  fi
}

ensure_venv() {
  local python=$1 pyver stamp
  pyver=$("$python" -c 'import sys; print(sys.version.split()[0])')
  stamp=$(printf '%s\n' "$pyver" "${RM_REQUIREMENTS[@]}" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$RM_VENV/.bai-stamp" 2>/dev/null || true)" = "$stamp" ] &&
    "$RM_VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    return 0
  fi
  # Same interpreter, other requirements (e.g. one package added): pip installs only what is
  # missing or differs, which takes seconds instead of a fresh venv's minute.
  if [ "$("$RM_VENV/bin/python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || true)" = "$pyver" ]; then
    rm_log "updating $RM_VENV to ${RM_REQUIREMENTS[*]}"
    rm -f "$RM_VENV/.bai-stamp"
  else
    rm_log "installing ${RM_REQUIREMENTS[*]} into $RM_VENV (about a minute)"
    rm -rf "$RM_VENV"
    "$python" -m venv "$RM_VENV"
  fi
  if ! "$RM_VENV/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
    "${RM_REQUIREMENTS[@]}" >"$RM_HOME/pip.log" 2>&1; then
    rm -rf "$RM_VENV"
    rm_die "pip could not install ${RM_REQUIREMENTS[*]}; see $RM_HOME/pip.log (is PyPI reachable?)"
  fi
  # Written last, so an interrupted install is redone on the next run.
  printf '%s\n' "$stamp" >"$RM_VENV/.bai-stamp"
}

ensure_jupyter() {
  [ -x "$RM_JUPYTER" ] && return 0
  bash "$RM_ROOT/scripts/python-env.sh" jupyter >"$RM_HOME/jupyter-env.log" 2>&1 ||
    rm_die "could not create the JupyterLab venv; see $RM_HOME/jupyter-env.log"
  [ -x "$RM_JUPYTER" ] || rm_die "no JupyterLab at $RM_JUPYTER after scripts/python-env.sh jupyter"
}

# mgr ARGS...: the manager's CLI with our config; output goes to the setup log, shown on error.
mgr() {
  if ! (cd "$RM_RUN/mgr" && "$RM_CLI" mgr -f "$RM_RUN/mgr/manager.toml" "$@") >>"$RM_RUN/setup.log" 2>&1; then
    tail -25 "$RM_RUN/setup.log" >&2
    rm_die "'backend.ai mgr $*' failed; full log: $RM_RUN/setup.log"
  fi
}

# A stamp records what a step was done for; the step is redone when that changes.
stamp_ok() { [ "$(cat "$RM_RUN/.$1.stamp" 2>/dev/null || true)" = "$2" ]; }
stamp_set() { printf '%s\n' "$2" >"$RM_RUN/.$1.stamp"; }

bootstrap_database() {
  local want
  want=$(cat "$RM_DIR"/fixtures/*.json | sha256sum | cut -d' ' -f1)-$RM_BAI_VERSION
  stamp_ok db "$want" && return 0
  rm_log "creating the schema and loading fixtures (about 40 s)"
  services_start
  # A half-done bootstrap leaves rows that make fixture loading fail: start from empty.
  rm_psql -d postgres -qc "drop database if exists backend" -c "create database backend"
  mgr schema oneshot -f "$RM_RUN/mgr/alembic.ini"
  local f
  for f in "$RM_DIR"/fixtures/*.json; do
    mgr fixture populate "$f"
  done
  # Roles the 26.9 way: emit the role presets, load them, then provision users into them.
  rm -rf "$RM_RUN/emit" && mkdir -p "$RM_RUN/emit/fixtures/manager"
  mgr permissions emit --repository "$RM_RUN/emit"
  mgr fixture populate "$RM_RUN/emit/fixtures/manager/example-role-presets.json"
  mgr permissions provision
  stamp_set db "$want"
}

configure_etcd() {
  local want="redis=127.0.0.1:$RM_REDIS_PORT idle=network_timeout:$RM_IDLE_THRESHOLD packet=$RM_APP_PACKET_TIMEOUT"
  stamp_ok etcd "$want" && return 0
  services_start
  mgr etcd put config/redis/addr "127.0.0.1:$RM_REDIS_PORT"
  printf '%s\n' '{"socket_timeout": 5.0, "socket_connect_timeout": 2.0, "reconnect_poll_timeout": 0.3}' \
    >"$RM_RUN/mgr/redis-helper.json"
  mgr etcd put-json config/redis/redis_helper_config "$RM_RUN/mgr/redis-helper.json"
  # No storage proxy runs; the manager still wants a volumes section to start.
  cat >"$RM_RUN/mgr/volumes.json" <<'EOF'
{"_types": {"group": "", "user": ""}, "default_host": "local:volume1",
 "proxies": {"local": {"client_api": "http://127.0.0.1:6021", "manager_api": "https://127.0.0.1:6022",
                       "secret": "no-storage-proxy-here", "ssl_verify": "false"}},
 "exposed_volume_info": "percentage"}
EOF
  mgr etcd put-json volumes "$RM_RUN/mgr/volumes.json"
  # Idle checkers (see lib/common.sh). The manager reads `enabled` and the thresholds at start,
  # so a running manager needs a restart (stop.sh, start.sh) to pick up a change.
  mgr etcd put config/idle/enabled network_timeout
  mgr etcd put config/idle/checkers/network_timeout/threshold "$RM_IDLE_THRESHOLD"
  mgr etcd put config/idle/app-streaming-packet-timeout "$RM_APP_PACKET_TIMEOUT"
  stamp_set etcd "$want"
}

stop_what_we_started() {
  local s
  for s in "${RM_STARTED[@]}"; do "${s}_stop"; done
}

mkdir -p "$RM_HOME"
if ! PYTHON=$(find_python313); then
  echo "real-manager: skipped: Python 3.13 not found (tried \$REALMGR_PYTHON, ~/.pyenv/versions/3.13*, python3.13); backend.ai-manager $RM_BAI_VERSION needs it"
  exit 0
fi
# Two runners at once would race on pip and the database; the second waits.
exec 9>"$RM_HOME/.setup.lock"
flock 9

ensure_debian_packages
ensure_venv "$PYTHON"
ensure_jupyter
RM_RUN=$(rm_run_dir)
trap stop_what_we_started EXIT
write_configs
if [ ! -f "$RM_RUN/rpc/manager.key_secret" ] || [ ! -f "$RM_RUN/rpc/agent.key_secret" ]; then
  mgr generate-rpc-keypair "$RM_RUN/rpc" manager
  mgr generate-rpc-keypair "$RM_RUN/rpc" agent
fi
bootstrap_database
configure_etcd
rm_log "setup ready in $(($(date +%s) - started)) s (venv $RM_VENV, run dir $RM_RUN); next: $RM_DIR/start.sh"
