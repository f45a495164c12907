# Writes the manager, alembic and agent configs into $RM_RUN from the current ports. Cheap, so
# every setup.sh run rewrites them (a port change then needs no manual step). Sourced after
# common.sh. The manager and agent authenticate their RPC with CURVE keys that setup.sh makes
# with `mgr generate-rpc-keypair` (manager: its keypair; agent: manager public key + its own).

write_configs() {
  mkdir -p "$RM_RUN/mgr" "$RM_RUN/agent"/{var,vfroot,scratches,commit} "$RM_RUN/ipc" "$RM_RUN/rpc"
  cat >"$RM_RUN/mgr/manager.toml" <<EOF
[etcd]
namespace = "local"
addr = { host = "127.0.0.1", port = $RM_ETCD_PORT }
user = ""
password = ""

[db]
type = "postgresql"
addr = { host = "127.0.0.1", port = $RM_PG_PORT }
name = "backend"
user = "postgres"
password = "$RM_PG_PASSWORD"
pool-recycle = 50
pool-pre-ping = false

[manager]
num-proc = 1
service-addr = { host = "127.0.0.1", port = $RM_MANAGER_PORT }
internal-addr = { host = "127.0.0.1", port = $RM_MANAGER_INTERNAL_PORT }
# Its debug monitors default to 38100/39100, inside the kernel's ephemeral range: a client
# socket of another test holding that port once kept the manager from starting.
aiomonitor-termui-port = $RM_MANAGER_MONITOR_PORT
aiomonitor-webui-port = $((RM_MANAGER_MONITOR_PORT + 1))
ssl-enabled = false
ipc-base-path = "$RM_RUN/ipc"
heartbeat-timeout = 40.0
pid-file = "$RM_RUN/mgr/manager.pid"
rpc-auth-manager-keypair = "$RM_RUN/rpc/manager.key_secret"
disabled-plugins = []
# An allowlist turns on plugins that need explicit allowing (TOTP; the fixtures give
# totp@lablup.com an activated key). It then applies to every plugin group, so it also names
# the two that load without one: the keypair auth hook/webapp and the overlay network. Items
# are prefixes of the entry points' module paths, not entry point names.
allowed-plugins = ["ai.backend.manager.plugin.keypair", "ai.backend.manager.network.overlay", "ai.backend.manager.plugin.totp"]
hide-agents = true
agent-selection-resource-priority = ["cuda", "rocm", "tpu", "cpu", "mem"]

[docker-registry]
ssl-verify = false

[pyroscope]
enabled = false

[logging]
level = "INFO"
drivers = ["console"]

[logging.pkg-ns]
"" = "WARNING"
"aiotools" = "INFO"
"aiohttp" = "INFO"
"ai.backend" = "INFO"
"alembic" = "INFO"
"sqlalchemy" = "WARNING"

[logging.console]
colored = false
format = "verbose"

[debug]
enabled = false

[otel]
enabled = false
EOF

  # Lablup's webserver in front of the manager (the minimal config of
  # configs/webserver/halfstack.conf; `generate-sample` output does not validate as is). It
  # needs only Redis, for its sessions.
  mkdir -p "$RM_RUN/web"
  cat >"$RM_RUN/web/webserver.toml" <<EOF
[service]
ip = "127.0.0.1"
port = $RM_WEB_PORT
mode = "webui"

[security]
cookie-secure = false

[api]
domain = "default"
endpoint = "http://127.0.0.1:$RM_MANAGER_PORT"

# Not flushed at startup: the webserver keeps its sessions in Redis DB 0, which the manager
# shares (statistics, login sessions). Tests that count logins clean up their own.
[session]
flush-on-startup = false

[session.redis]
addr = { host = "127.0.0.1", port = $RM_REDIS_PORT }

[apollo-router]
enabled = false

[etcd]
namespace = "local"
addr = { host = "127.0.0.1", port = $RM_ETCD_PORT }
EOF

  cat >"$RM_RUN/mgr/alembic.ini" <<EOF
[alembic]
script_location = ai.backend.manager.models:alembic
sqlalchemy.url = postgresql+asyncpg://postgres:$RM_PG_PASSWORD@127.0.0.1:$RM_PG_PORT/backend
[loggers]
keys = root,sqlalchemy,alembic
[handlers]
keys = console
[formatters]
keys = generic
[logger_root]
level = WARN
handlers = console
qualname =
[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine
[logger_alembic]
level = INFO
handlers =
qualname = alembic
[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic
[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
EOF

  cat >"$RM_RUN/agent/agent.toml" <<EOF
[etcd]
namespace = "local"
addr = { host = "127.0.0.1", port = $RM_ETCD_PORT }
user = ""
password = ""

[agent]
backend = "dummy"
rpc-listen-addr = { host = "127.0.0.1", port = $RM_AGENT_RPC_PORT }
service-addr = { host = "127.0.0.1", port = $RM_AGENT_HTTP_PORT }
ssl-enabled = false
agent-sock-port = $RM_AGENT_SOCK_PORT
aiomonitor-termui-port = $RM_AGENT_MONITOR_PORT
aiomonitor-webui-port = $((RM_AGENT_MONITOR_PORT + 1))
initial-resource-group-name = "default"
pid-file = "$RM_RUN/agent/agent.pid"
event-loop = "asyncio"
ipc-base-path = "$RM_RUN/ipc"
var-base-path = "$RM_RUN/agent/var"
image-commit-path = "$RM_RUN/agent/commit/"
mount-path = "$RM_RUN/agent/vfroot"
cohabiting-storage-proxy = true
rpc-auth-manager-public-key = "$RM_RUN/rpc/manager.key"
rpc-auth-agent-keypair = "$RM_RUN/rpc/agent.key_secret"
allow-compute-plugins = []

[container]
port-range = [30000, 31000]
kernel-uid = -1
kernel-gid = -1
bind-host = "127.0.0.1"
sandbox-type = "docker"
scratch-type = "hostdir"
scratch-root = "$RM_RUN/agent/scratches"
scratch-size = "1G"

[pyroscope]
enabled = false

[logging]
level = "INFO"
drivers = ["console"]

[logging.pkg-ns]
"" = "WARNING"
"aiotools" = "INFO"
"aiohttp" = "INFO"
"ai.backend" = "INFO"

[logging.console]
colored = false
format = "verbose"

[resource]
reserved-cpu = 1
reserved-mem = "1G"
reserved-disk = "8G"
allocation-order = ["cuda", "rocm", "tpu", "cpu", "mem"]

[debug]
enabled = false
EOF

  # The dummy backend reads ./agent.dummy.toml from its working directory: delays and the
  # fake capacity (10 cores, so 9 schedulable with reserved-cpu = 1; see the README).
  cat >"$RM_RUN/agent/agent.dummy.toml" <<'EOF'
[agent.delay]
scan-image = 0.1
pull-image = 0.1
push-image = 0.1
purge-images = 0.1
destroy-kernel = 0.1
clean-kernel = 0.1
create-network = 0.1
destroy-network = 0.1

[agent.image]
already-have = []
need-to-pull = []
missing = []

[agent.resource.cpu]
num-core = 10

[agent.resource.memory]
size = 50000000000

[kernel-creation-ctx.delay]
prepare-scratch = 0.1
prepare-ssh = 0.1
spawn = 0.1
start-container = 0.5
mount-krunner = 0.1

[kernel]
use-fake-code-runner = true

[kernel.delay]
check-status = 0.1
get-completions = 0.1
get-logs = 0.1
interrupt-kernel = 0.1
start-service = 0.1
start-model-service = 0.1
shutdown-service = 0.1
commit = 10.0
get-service-apps = 0.1
accept-file = 0.1
download-file = 0.1
download-single = 0.1
list-files = 0.1
EOF

}
