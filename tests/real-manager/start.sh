#!/usr/bin/env bash
# Starts PostgreSQL, Redis, etcd, a JupyterLab, the real manager, its webserver and a dummy
# agent, all on 127.0.0.1, and writes the client env file ($BAI_CACHE/realmgr/client.env). Run
# setup.sh first. Already-running parts are reused. On failure it stops everything again and
# exits 1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$RM_DIR/lib/services.sh"
source "$RM_DIR/lib/sshd.sh"

started=$(date +%s)
[ -x "$RM_CLI" ] || rm_die "no venv at $RM_VENV; run $RM_DIR/setup.sh first"
RM_RUN=$(rm_run_dir)
[ -f "$RM_RUN/.db.stamp" ] && [ -f "$RM_RUN/.etcd.stamp" ] ||
  rm_die "the run directory $RM_RUN is not set up; run $RM_DIR/setup.sh first"
[ -x "$RM_JUPYTER" ] || rm_die "no JupyterLab at $RM_JUPYTER; run $RM_DIR/setup.sh first"

on_exit() {
  local rc=$?
  [ "$rc" = 0 ] && return 0
  rm_log "start failed; stopping what runs"
  "$RM_DIR/stop.sh" >/dev/null 2>&1 || true
  exit "$rc"
}
trap on_exit EXIT

manager_up() { curl -sf -m 2 "http://127.0.0.1:$RM_MANAGER_PORT/" >/dev/null; }
jupyter_up() { curl -sf -m 2 "http://127.0.0.1:$RM_JUPYTER_PORT/api" >/dev/null; }
web_up() { curl -sf -m 2 "http://127.0.0.1:$RM_WEB_PORT/" >/dev/null; }
agent_alive() {
  rm_psql -d backend -tAc "select 1 from agents where status = 'ALIVE'" | grep -q 1
}

# fail NAME LOG: shows the end of a log and ends the script.
fail() {
  tail -30 "$2" >&2 || true
  rm_die "$1 did not come up; full log: $2"
}

services_start

# JupyterLab serves the session's jupyter/jupyterlab apps. Tokenless, and it accepts any Origin
# and skips XSRF checks, because clients reach it through a tunnel on another port.
if ! jupyter_up; then
  mkdir -p "$RM_RUN/jupyter/work"
  JUPYTER_RUNTIME_DIR="$RM_RUN/jupyter/runtime" JUPYTER_CONFIG_DIR="$RM_RUN/jupyter/config" \
    setsid "$RM_JUPYTER" lab --no-browser --allow-root \
    --ServerApp.token= --ServerApp.password= \
    --ServerApp.allow_origin='*' --ServerApp.disable_check_xsrf=True \
    --ServerApp.allow_remote_access=True \
    --ServerApp.ip=127.0.0.1 --port="$RM_JUPYTER_PORT" --ServerApp.port_retries=0 \
    --ServerApp.root_dir="$RM_RUN/jupyter/work" \
    --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
    >"$RM_RUN/jupyter/jupyter.log" 2>&1 </dev/null &
  printf '%s\n' $! >"$RM_RUN/jupyter/launcher.pid"
fi

# OpenSSH's sshd serves the sessions' sshd app (lib/sshd.sh).
sshd_start

if ! manager_up; then
  (cd "$RM_RUN/mgr" &&
    exec setsid "$RM_CLI" mgr -f "$RM_RUN/mgr/manager.toml" start-server \
      >"$RM_RUN/mgr/manager.log" 2>&1 </dev/null) &
  printf '%s\n' $! >"$RM_RUN/mgr/launcher.pid"
  rm_wait 120 manager_up || fail manager "$RM_RUN/mgr/manager.log"
fi
manager_s=$(($(date +%s) - started))

# Lablup's webserver: email/password login at /server/login, the API under /func/, WebSockets
# (the app tunnel) under /func/stream/. It only talks to the manager when a request comes.
if ! web_up; then
  (cd "$RM_RUN/web" &&
    exec setsid "$RM_CLI" web start-server -f "$RM_RUN/web/webserver.toml" \
      >"$RM_RUN/web/web.log" 2>&1 </dev/null) &
  printf '%s\n' $! >"$RM_RUN/web/launcher.pid"
fi

# The agent registers through the manager's event bus, so it starts once the manager answers.
if ! rm_pid_alive "$RM_RUN/agent/launcher.pid"; then
  # A row left ALIVE by an earlier run would pass agent_alive before this agent registers; the
  # manager sets it ALIVE again on the new agent's first heartbeat. All rows are ours.
  rm_psql -d backend -qc "update agents set status = 'LOST' where status = 'ALIVE'"
  (cd "$RM_RUN/agent" &&
    PYTHONPATH="$RM_DIR/agentpatch" REALMGR_DUMMY_APPS="$RM_DUMMY_APPS" \
      REALMGR_DUMMY_HOME="$(rm_session_home)" \
      exec setsid "$RM_CLI" ag -f "$RM_RUN/agent/agent.toml" start-server \
      >"$RM_RUN/agent/agent.log" 2>&1 </dev/null) &
  printf '%s\n' $! >"$RM_RUN/agent/launcher.pid"
fi
rm_wait 120 agent_alive || fail agent "$RM_RUN/agent/agent.log"
agent_s=$(($(date +%s) - started))
rm_wait 60 jupyter_up || fail JupyterLab "$RM_RUN/jupyter/jupyter.log"
rm_wait 60 web_up || fail webserver "$RM_RUN/web/web.log"
rm_wait 20 sshd_up || fail sshd "$RM_RUN/sshd/sshd.log"

# The superadmin keypair from fixtures/30-keypairs.json; BAI_REALMGR_* add what tests need
# beyond the official client's BACKEND_* variables.
umask 077
cat >"$RM_CLIENT_ENV" <<EOF
export BACKEND_ENDPOINT=http://127.0.0.1:$RM_MANAGER_PORT
export BACKEND_ENDPOINT_TYPE=api
export BACKEND_ACCESS_KEY=AKIAIOSFODNN7EXAMPLE
export BACKEND_SECRET_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export BACKEND_DOMAIN=default
export BACKEND_PROJECT=default
export BAI_REALMGR_USER_ACCESS_KEY=AKIANABBDUSEREXAMPLE
export BAI_REALMGR_USER_SECRET_KEY=C8qnIo29EZvXkPK_MXcuAakYTy4NYrxwmCEyNPlf
export BAI_REALMGR_IMAGE=cr.backend.ai/stable/python:3.9-ubuntu20.04
export BAI_REALMGR_IMAGE_ALIAS=python
export BAI_REALMGR_JUPYTER_PORT=$RM_JUPYTER_PORT
export BAI_REALMGR_CLI=$RM_CLI
export BAI_REALMGR_RUN=$RM_RUN
export BAI_REALMGR_WEB_ENDPOINT=http://127.0.0.1:$RM_WEB_PORT
export BAI_REALMGR_SSHD_PORT=$RM_SSHD_PORT
export BAI_REALMGR_SESSION_HOME=$(rm_session_home)
export BAI_REALMGR_IDLE_ACCESS_KEY=AKIAIDLEUSEREXAMPLE1
export BAI_REALMGR_IDLE_SECRET_KEY=IdleUserSecretKeyEXAMPLE0000000000000001
export BAI_REALMGR_IDLE_THRESHOLD=$RM_IDLE_THRESHOLD
export BAI_REALMGR_IDLE_LIFETIME=600
EOF
rm_log "manager up after ${manager_s} s, agent ALIVE after ${agent_s} s, all up after $(($(date +%s) - started)) s"
rm_log "manager http://127.0.0.1:$RM_MANAGER_PORT (API ${RM_BAI_VERSION}), webserver http://127.0.0.1:$RM_WEB_PORT, JupyterLab http://127.0.0.1:$RM_JUPYTER_PORT"
rm_log "client env: . $RM_CLIENT_ENV   CLI: $RM_CLI"
rm_log "logs: $RM_RUN/{mgr/manager.log,web/web.log,agent/agent.log,jupyter/jupyter.log,sshd/sshd.log,pgsock/postgres.log,redis.log,etcd.log}"
