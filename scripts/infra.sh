#!/usr/bin/env bash
# Installs (when missing) and starts the servers the distributed deployment
# needs, all on 127.0.0.1: etcd (Debian package), MinIO and Jaeger v2 (built
# from the Go module proxy once, then cached), Prometheus (Debian package,
# scripts/prometheus.sh: it scrapes the instances scripts/cluster.sh starts),
# and checks the MariaDB, Redis and NATS (JetStream) the machine runs
# (starting them when stopped).
#   scripts/infra.sh start | stop | status
set -euo pipefail
. "$(dirname "$0")/lib.sh"
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

install_etcd() {
  # etcdctl (etcd-client) is what the scripts use to check registrations.
  command -v etcd >/dev/null && command -v etcdctl >/dev/null && return 0
  echo "installing etcd-server and etcd-client..." >&2
  apt_install etcd-server etcd-client
}

install_minio() {
  [ -x "$CACHE_DIR/bin/minio" ] && return 0
  echo "building MinIO (a few minutes, once)..." >&2
  GOBIN="$CACHE_DIR/bin" GOCACHE="$CACHE_DIR/gocache" GOFLAGS=-buildvcs=false \
    go install "github.com/minio/minio@$MINIO_VERSION"
}

install_jaeger() {
  [ -x "$CACHE_DIR/bin/jaeger" ] && return 0
  echo "building Jaeger v2 (a few minutes, once)..." >&2
  (cd "$ROOT/tools/jaeger" && GOCACHE="$CACHE_DIR/gocache" GOFLAGS=-buildvcs=false \
    go build -o "$CACHE_DIR/bin/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger)
}

ensure_mariadb() {
  if ! mysqladmin -uroot -h127.0.0.1 ping >/dev/null 2>&1; then
    command -v mariadbd >/dev/null || command -v mysqld >/dev/null || { echo "installing mariadb-server..." >&2; apt_install mariadb-server; }
    start-stop-daemon --start --oknodo --background --exec "$(command -v mariadbd || command -v mysqld)"
    wait_for mariadb mysqladmin -uroot -h127.0.0.1 ping
  fi
  # Room for every service's pool, a second instance and the tests (default 151),
  # and a buffer pool that holds the 100x benchmark's data (~0.8 GB): at the
  # default 128 MiB every like read its pages back from the OS (docs/PERFORMANCE.md).
  mysql -uroot -h127.0.0.1 -e "SET GLOBAL max_connections = GREATEST(@@max_connections, 600);
    SET GLOBAL innodb_buffer_pool_size = GREATEST(@@innodb_buffer_pool_size, ${TIKTOK_MARIADB_BUFFER_POOL:-2147483648})"
}

ensure_redis() {
  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && return 0
  command -v redis-server >/dev/null || { echo "installing redis-server..." >&2; apt_install redis-server; }
  mkdir -p "$RUN_DIR/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$RUN_DIR/redis" --logfile "$RUN_DIR/logs/redis.log"
  wait_for redis redis-cli -h 127.0.0.1 ping
}

start() {
  install_etcd; install_minio; install_jaeger; ensure_mariadb; ensure_redis; ensure_nats
  if ! running etcd; then
    rm -rf "$RUN_DIR/etcd"
    start_bg etcd etcd --name tiktok --data-dir "$RUN_DIR/etcd" \
      --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
      --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
      --initial-cluster tiktok=http://127.0.0.1:2380
  fi
  if ! running minio; then
    mkdir -p "$RUN_DIR/minio"
    MINIO_ROOT_USER=minioadmin MINIO_ROOT_PASSWORD=${TIKTOK_STORAGE_MINIO_SECRET_KEY:-minioadmin} \
      start_bg minio "$CACHE_DIR/bin/minio" server "$RUN_DIR/minio" --address 127.0.0.1:9000 --console-address 127.0.0.1:9001 --quiet
  fi
  if ! running jaeger; then
    start_bg jaeger "$CACHE_DIR/bin/jaeger" --config "$ROOT/deploy/jaeger.yaml"
  fi
  wait_for etcd curl -sf http://127.0.0.1:2379/health
  wait_for minio curl -sf http://127.0.0.1:9000/minio/health/ready
  wait_for jaeger curl -sf http://127.0.0.1:16686/api/services
  # Prometheus has its own script (PROM_INTERVAL, PROM_ALERT_FOR; targets).
  bash "$ROOT/scripts/prometheus.sh" start >/dev/null
  echo "infra up: etcd 127.0.0.1:2379, MinIO 127.0.0.1:9000, Jaeger UI http://127.0.0.1:16686, Prometheus http://127.0.0.1:9090, MariaDB 3306, Redis 6379, NATS 4222"
}

stop() {
  bash "$ROOT/scripts/prometheus.sh" stop
  for s in jaeger minio etcd; do stop_pid "$s"; done
}

# deps: only the machine's MariaDB, Redis and NATS, which the unit tests need.
deps() { ensure_mariadb; ensure_redis; ensure_nats; }

status() {
  for s in etcd minio jaeger; do
    if running "$s"; then echo "$s: running (pid $(cat "$RUN_DIR/pids/$s.pid"))"; else echo "$s: stopped"; fi
  done
  bash "$ROOT/scripts/prometheus.sh" status
  if nats_up; then echo "nats: running (the machine's, 127.0.0.1:4222)"; else echo "nats: stopped"; fi
}

"${1:-start}"
