# Shared settings and helpers for the real-manager harness; sourced by the scripts next to it.
# Every knob can be overridden from the environment (see README.md).

RM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RM_ROOT=$(cd "$RM_DIR/../.." && pwd)

# Pinned so that conformance results are reproducible; bump deliberately (and re-run setup).
RM_BAI_VERSION=26.9.6
RM_REQUIREMENTS=(
  "backend.ai-manager==$RM_BAI_VERSION"
  "backend.ai-agent==$RM_BAI_VERSION"
  "backend.ai-client==$RM_BAI_VERSION"
  "backend.ai-webserver==$RM_BAI_VERSION"
)

BAI_CACHE=${BAI_CACHE:-$HOME/.cache/bai-launcher}
RM_HOME=${REALMGR_HOME:-$BAI_CACHE/realmgr}
RM_VENV=$RM_HOME/venv
RM_CLI=$RM_VENV/bin/backend.ai
RM_CLIENT_ENV=$RM_HOME/client.env
RM_JUPYTER=${REALMGR_JUPYTER:-$BAI_CACHE/jupyter/bin/jupyter}

# Fixed defaults, clear of the testkit's ephemeral ports (32768+).
RM_MANAGER_PORT=${REALMGR_MANAGER_PORT:-8081}
RM_MANAGER_INTERNAL_PORT=${REALMGR_MANAGER_INTERNAL_PORT:-8082}
RM_PG_PORT=${REALMGR_PG_PORT:-8100}
RM_REDIS_PORT=${REALMGR_REDIS_PORT:-8110}
RM_ETCD_PORT=${REALMGR_ETCD_PORT:-8120} # the etcd peer port is this + 1
RM_JUPYTER_PORT=${REALMGR_JUPYTER_PORT:-8130}
RM_WEB_PORT=${REALMGR_WEB_PORT:-8150} # Lablup's webserver (8140 is smoke.sh's app tunnel)
RM_AGENT_RPC_PORT=${REALMGR_AGENT_RPC_PORT:-6001}
RM_AGENT_HTTP_PORT=${REALMGR_AGENT_HTTP_PORT:-6003}
RM_AGENT_SOCK_PORT=${REALMGR_AGENT_SOCK_PORT:-6007}
# The aiomonitor debug ports (this and the next), outside the ephemeral range like the rest.
RM_MANAGER_MONITOR_PORT=${REALMGR_MANAGER_MONITOR_PORT:-8083}
RM_AGENT_MONITOR_PORT=${REALMGR_AGENT_MONITOR_PORT:-6008}
# OpenSSH's sshd behind the sessions' sshd app (lib/sshd.sh).
RM_SSHD_PORT=${REALMGR_SSHD_PORT:-8160}

# The idle checkers (setup.sh puts them in etcd; the manager reads them when it starts):
# network_timeout is enabled with this threshold, which applies to the keypairs whose resource
# policy has idle_timeout < 0 (only idle@lablup.com's `idle-short`, fixtures/80-idle-user.json;
# the `default` policy's 3600 s overrides it for everyone else). session_lifetime is always on
# and takes max_session_lifetime from the policy (600 s for `idle-short`, 0 = none elsewhere).
# The packet timeout is how long a silent app-stream connection should still count as active;
# the stream GC reads it from etcd on every pass (every 10 s), but in 26.9.6 that GC fails on
# every pass, so an open connection counts until it closes (README.md, "Idle checkers").
RM_IDLE_THRESHOLD=${REALMGR_IDLE_THRESHOLD:-45s}
RM_APP_PACKET_TIMEOUT=${REALMGR_APP_STREAMING_PACKET_TIMEOUT:-5m}

RM_PG_BIN=${REALMGR_PG_BIN:-/usr/lib/postgresql/15/bin}
RM_PG_PASSWORD=develove # loopback-only throwaway database

# The app ports the dummy agent reports (agentpatch/sitecustomize.py): both Jupyter apps go to
# our JupyterLab, sshd to our OpenSSH server; "*" gives every other app its container port
# (nothing listens there).
RM_DUMMY_APPS=${REALMGR_DUMMY_APPS-jupyter=$RM_JUPYTER_PORT,jupyterlab=$RM_JUPYTER_PORT,sshd=$RM_SSHD_PORT,*}

# aiodocker asserts at AgentRegistry init that some Docker host is configured; nothing ever
# connects to it, so a socket that does not exist is enough.
export DOCKER_HOST="unix://$RM_HOME/no-docker.sock"

rm_log() { printf 'real-manager: %s\n' "$*"; }
rm_die() {
  printf 'real-manager: %s\n' "$*" >&2
  exit 1
}

# The run directory holds configs, database, logs. PostgreSQL runs as the postgres user, which
# cannot enter /root, so it lives under /tmp; its path is remembered in $RM_HOME/run.path.
rm_run_dir() {
  if [ -n "${REALMGR_RUN:-}" ]; then
    mkdir -p "$REALMGR_RUN" && chmod 755 "$REALMGR_RUN"
    printf '%s\n' "$REALMGR_RUN"
    return
  fi
  local d
  d=$(cat "$RM_HOME/run.path" 2>/dev/null || true)
  if [ -z "$d" ] || [ ! -d "$d" ]; then
    mkdir -p "$RM_HOME"
    d=$(mktemp -d -t bai-realmgr.XXXXXX)
    chmod 755 "$d"
    printf '%s\n' "$d" >"$RM_HOME/run.path"
  fi
  printf '%s\n' "$d"
}

rm_psql() {
  PGPASSWORD=$RM_PG_PASSWORD psql -h 127.0.0.1 -p "$RM_PG_PORT" -U postgres -v ON_ERROR_STOP=1 "$@"
}

# rm_wait SECONDS CMD...: polls CMD every 0.25 s until it succeeds or time runs out.
rm_wait() {
  local limit=$(($1 * 4)) i
  shift
  for ((i = 0; i < limit; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  return 1
}

rm_pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Here init reaps orphans only every few seconds, and `kill -0` succeeds on a zombie, so
# "still running" means some member that is not a zombie (state Z).
rm_group_running() { ps -o stat= -g "$1" 2>/dev/null | grep -qv '^Z'; }
rm_proc_running() { ps -o stat= -p "$1" 2>/dev/null | grep -qv '^Z'; }

# rm_stop_group PIDFILE NAME: ends a process group a script started with setsid. The leader
# gets TERM first so it can shut its workers down in order; whatever of the group is left after
# 15 s gets TERM, then KILL.
rm_stop_group() {
  local pidfile=$1 name=$2 pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    rm_group_running "$pid" || break
    sleep 0.1
  done
  if rm_group_running "$pid"; then
    rm_log "$name did not stop within 15 s; ending its process group $pid"
    kill -TERM -- "-$pid" 2>/dev/null || true
    sleep 2
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
