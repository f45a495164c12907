#!/usr/bin/env bash
# Stops what start.sh (and setup.sh) started: the dummy agent, the webserver, the manager,
# JupyterLab, then etcd, Redis and PostgreSQL (--keep-services leaves those three running).
# Only processes whose ids the scripts recorded are signalled. Then it lists anything still
# running from the run directory, so strays are seen, and removes the client env file.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$RM_DIR/lib/services.sh"

RM_RUN=${REALMGR_RUN:-$(cat "$RM_HOME/run.path" 2>/dev/null || true)}
if [ -z "$RM_RUN" ] || [ ! -d "$RM_RUN" ]; then
  rm_log "nothing to stop (no run directory)"
  exit 0
fi
rm -f "$RM_CLIENT_ENV"
rm_stop_group "$RM_RUN/agent/launcher.pid" agent
rm_stop_group "$RM_RUN/web/launcher.pid" webserver
rm_stop_group "$RM_RUN/mgr/launcher.pid" manager
rm_stop_group "$RM_RUN/jupyter/launcher.pid" JupyterLab
rm_stop_group "$RM_RUN/sshd/launcher.pid" sshd
[ "${1:-}" = --keep-services ] || services_stop

left=$(pgrep -af -- "$RM_RUN" || true)
if [ -f "$RM_RUN/redis.pid" ] && kill -0 "$(cat "$RM_RUN/redis.pid")" 2>/dev/null; then
  left+=$'\n'"$(cat "$RM_RUN/redis.pid") redis-server"
fi
if [ "${1:-}" != --keep-services ] && [ -n "${left//[[:space:]]/}" ]; then
  rm_log "still running after stop (look into these):"
  printf '%s\n' "$left" >&2
  exit 1
fi
rm_log "stopped"
