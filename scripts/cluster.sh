#!/usr/bin/env bash
# Starts the whole distributed system on this machine: every role of the
# registry (the RPC services, found through etcd, and the media workers, fed
# by NATS) and the gateway, each its own process of bin/tiktok with
# deploy/production.yaml. Run scripts/infra.sh start first.
#   scripts/cluster.sh start | stop | status | gateway2 | stop-gateway2 | media2 | second ROLE
# gateway2 adds a second gateway instance (gateway-2, http://127.0.0.1:8082)
# behind the same public URL as the first: what one instance does, the other
# must see (chat pushed across instances, logouts). media2 adds a second
# media worker. A second instance's admin listener takes its role's admin
# port + 10 (gateway-2 127.0.0.1:9210, media-2 9218). second ROLE adds a
# second instance of an RPC service (ROLE-2) on its port + 10, registered in
# etcd beside the first (the benchmark's fault row kills and restarts one).
# Prometheus (scripts/prometheus.sh) scrapes what this script starts: each
# start writes the instance's target file (lib.sh, prom_target), each stop
# removes it; an instance that crashed keeps it, so its alert fires.
# Environment: TIKTOK_AUTH_SECRET (generated into .run/secret when unset),
# TIKTOK_RPC_SECRET (the services' shared key, generated into .run/rpc-secret).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

secret() {
  if [ -z "${TIKTOK_AUTH_SECRET:-}" ]; then
    # Readable by its owner only, like rpc-secret: it signs every token.
    [ -f "$RUN_DIR/secret" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN_DIR/secret")
    chmod 600 "$RUN_DIR/secret"
    TIKTOK_AUTH_SECRET=$(cat "$RUN_DIR/secret")
  fi
  export TIKTOK_AUTH_SECRET
  if [ -z "${TIKTOK_RPC_SECRET:-}" ]; then
    [ -f "$RUN_DIR/rpc-secret" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN_DIR/rpc-secret")
    TIKTOK_RPC_SECRET=$(cat "$RUN_DIR/rpc-secret")
  fi
  export TIKTOK_RPC_SECRET
}

start() {
  ensure_ffmpeg
  secret
  build_tiktok
  SERVICES=$(service_roles)
  for s in $SERVICES; do
    running "$s" || start_bg "$s" "$ROOT/bin/tiktok" "$s" --config "$ROOT/deploy/production.yaml"
  done
  running gateway || start_bg gateway "$ROOT/bin/tiktok" gateway --config "$ROOT/deploy/production.yaml"
  # Every role's admin address, the gateway's included, as the binary says;
  # none when admin.addr is "off".
  admin_addrs | while read -r name addr; do
    [ -z "$addr" ] || prom_target "$name" "$name" "$addr"
  done
  wait_for gateway curl -sf http://127.0.0.1:8080/douyin/feed/
  # The feed answers once feed, publish and user are registered; wait for all
  # the RPC services (the media workers register nowhere: they pull jobs).
  for s in $(rpc_roles); do
    wait_for "$s registration" sh -c "etcdctl --endpoints=127.0.0.1:2379 get --prefix kitex/registry-etcd/$s | grep -q ."
  done
  echo "cluster up: http://127.0.0.1:8080 (logs in $RUN_DIR/logs)"
}

# second_admin ROLE: the admin address of ROLE's second instance, its
# first's port + 10 ("off" when admin listeners are off: the first's port
# would be taken).
second_admin() {
  local a; a=$(admin_addr "$1")
  if [ -n "$a" ]; then second_admin_addr "$a"; else echo off; fi
}

gateway2() {
  secret
  local admin; admin=$(second_admin gateway)
  running gateway-2 || TIKTOK_HTTP_ADDR=127.0.0.1:8082 TIKTOK_HTTP_PUBLIC_URL=http://127.0.0.1:8080 \
    TIKTOK_ADMIN_ADDR=$admin start_bg gateway-2 "$ROOT/bin/tiktok" gateway --config "$ROOT/deploy/production.yaml"
  [ "$admin" = off ] || prom_target gateway-2 gateway "$admin"
  wait_for gateway-2 curl -sf http://127.0.0.1:8082/douyin/feed/
  echo "second gateway up: http://127.0.0.1:8082"
}

stop-gateway2() { stop_pid gateway-2; prom_untarget gateway-2; }

# media2 adds a second media worker (media-2): the two share the job queue.
media2() {
  secret
  local admin; admin=$(second_admin media)
  running media-2 || TIKTOK_ADMIN_ADDR=$admin start_bg media-2 "$ROOT/bin/tiktok" media --config "$ROOT/deploy/production.yaml"
  [ "$admin" = off ] || prom_target media-2 media "$admin"
  echo "second media worker up (pid $(cat "$RUN_DIR/pids/media-2.pid"))"
}

second() {
  secret
  local role=${1:?second ROLE} admin addr env
  admin=$(second_admin "$role")
  addr=$("$ROOT/bin/tiktok" roles --addr | awk -v r="$role" '$1 == r { print $2 }')
  [ -n "$addr" ] || { echo "second: $role is no RPC service" >&2; return 2; }
  addr=$(second_admin_addr "$addr")
  env=TIKTOK_SERVICES_$(echo "$role" | tr a-z A-Z)
  running "$role-2" || (export "$env=$addr" TIKTOK_ADMIN_ADDR="$admin"; start_bg "$role-2" "$ROOT/bin/tiktok" "$role" --config "$ROOT/deploy/production.yaml")
  # Ready: registered in etcd by this process (a killed one's key may
  # linger until its lease runs out, so the key alone proves nothing).
  if [ "$admin" = off ]; then
    wait_for "$role-2 registration" sh -c "etcdctl --endpoints=127.0.0.1:2379 get --prefix --keys-only kitex/registry-etcd/$role/ | grep -q '$addr'"
  else
    prom_target "$role-2" "$role" "$admin"
    wait_for "$role-2 ready" curl -sf "http://$admin/readyz"
  fi
  echo "second $role up: $addr (pid $(cat "$RUN_DIR/pids/$role-2.pid"))"
}

stop() {
  stop_pid gateway; prom_untarget gateway
  for s in $(service_roles); do stop_pid "$s"; prom_untarget "$s"; done
  # Second instances: this script's and the tests' (user-2, gateway-2, ...).
  for f in "$RUN_DIR"/pids/*-2.pid; do
    [ -e "$f" ] || continue
    stop_pid "$(basename "$f" .pid)"; prom_untarget "$(basename "$f" .pid)"
  done
  return 0
}

status() {
  for s in gateway $(service_roles); do
    if running "$s"; then echo "$s: running (pid $(cat "$RUN_DIR/pids/$s.pid"))"; else echo "$s: stopped"; fi
  done
}

"${1:-start}" "${@:2}"
