# The "halfstack" a real manager needs, started by hand on 127.0.0.1 only: PostgreSQL 15,
# Redis 7 and etcd 3.4 from Debian. State lives in the run directory $RM_RUN. Sourced after
# common.sh. Each *_start returns 0 if the service is up (started now or before); the
# RM_STARTED array lists what this shell started, so setup.sh can stop just those.

RM_STARTED=()

pg_up() { rm_psql -d postgres -tAc 'select 1' >/dev/null 2>&1; }
pg_start() {
  pg_up && return 0
  if [ ! -f "$RM_RUN/pg/PG_VERSION" ]; then
    mkdir -p "$RM_RUN/pg" "$RM_RUN/pgsock"
    # initdb refuses root; the data directory must belong to the postgres user.
    chown postgres:postgres "$RM_RUN/pg" "$RM_RUN/pgsock"
    printf '%s\n' "$RM_PG_PASSWORD" >"$RM_RUN/pgsock/pw"
    chown postgres "$RM_RUN/pgsock/pw"
    runuser -u postgres -- "$RM_PG_BIN/initdb" -D "$RM_RUN/pg" -U postgres --auth=md5 \
      --pwfile="$RM_RUN/pgsock/pw" -E UTF8 --locale=C.UTF-8 >"$RM_RUN/pgsock/initdb.log" 2>&1 ||
      rm_die "initdb failed; see $RM_RUN/pgsock/initdb.log"
    rm -f "$RM_RUN/pgsock/pw"
  fi
  runuser -u postgres -- "$RM_PG_BIN/pg_ctl" -D "$RM_RUN/pg" -l "$RM_RUN/pgsock/postgres.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $RM_PG_PORT -k $RM_RUN/pgsock -c max_connections=200" \
    start >/dev/null || rm_die "PostgreSQL did not start; see $RM_RUN/pgsock/postgres.log"
  RM_STARTED+=(pg)
  rm_psql -d postgres -tAc "select 1 from pg_database where datname='backend'" | grep -q 1 ||
    rm_psql -d postgres -qc "create database backend"
}
pg_stop() {
  [ -f "$RM_RUN/pg/postmaster.pid" ] || return 0
  runuser -u postgres -- "$RM_PG_BIN/pg_ctl" -D "$RM_RUN/pg" -m fast -w stop >/dev/null 2>&1 || true
}

redis_up() { redis-cli -h 127.0.0.1 -p "$RM_REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
redis_start() {
  redis_up && return 0
  redis-server --bind 127.0.0.1 --port "$RM_REDIS_PORT" --daemonize yes --save '' \
    --appendonly no --dir "$RM_RUN" --pidfile "$RM_RUN/redis.pid" --logfile "$RM_RUN/redis.log"
  rm_wait 10 redis_up || rm_die "Redis did not start; see $RM_RUN/redis.log"
  RM_STARTED+=(redis)
}
redis_stop() {
  [ -f "$RM_RUN/redis.pid" ] || return 0
  local pid i
  pid=$(cat "$RM_RUN/redis.pid")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do rm_proc_running "$pid" || break; sleep 0.1; done
  rm -f "$RM_RUN/redis.pid"
}

etcd_up() { ETCDCTL_API=3 etcdctl --endpoints="127.0.0.1:$RM_ETCD_PORT" endpoint health >/dev/null 2>&1; }
etcd_start() {
  etcd_up && return 0
  local peer="http://127.0.0.1:$((RM_ETCD_PORT + 1))"
  setsid etcd --name realmgr --data-dir "$RM_RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$RM_ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$RM_ETCD_PORT" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "realmgr=$peer" >"$RM_RUN/etcd.log" 2>&1 </dev/null &
  printf '%s\n' $! >"$RM_RUN/etcd.pid"
  rm_wait 15 etcd_up || rm_die "etcd did not start; see $RM_RUN/etcd.log"
  RM_STARTED+=(etcd)
}
etcd_stop() { rm_stop_group "$RM_RUN/etcd.pid" etcd; }

services_start() {
  pg_start
  redis_start
  etcd_start
}
services_stop() {
  etcd_stop
  redis_stop
  pg_stop
}
