#!/usr/bin/env bash
# Installs and builds everything the test command needs beyond Go and the
# machine's MariaDB, Redis and NATS, so that scripts/test.sh can run it in the
# background while the linters and the unit tests use the cores:
#   1. the Debian packages, in one apt run (ffmpeg, Chromium, etcd, wrk,
#      podman and its helpers, then Prometheus without its recommendations);
#   2. the web test's npm packages (playwright-core);
#   3. podman's set-up and the local Debian base (debootstrap);
#   4. Helm, MinIO and Jaeger from the Go module proxy (cached);
#   5. the dependency images the chart's pods run.
# Every step is skipped when its result is there, so a second run takes
# seconds. Each step prints its time; test.sh shows this log on a failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

step() {
  local name=$1 t0=$SECONDS; shift
  echo "prepare: $name..."
  "$@"
  echo "prepare: $name done ($((SECONDS - t0)) s)"
}

packages() {
  local need=() p
  command -v ffmpeg >/dev/null || need+=(ffmpeg)
  command -v chromium >/dev/null || need+=(chromium)
  command -v etcd >/dev/null || need+=(etcd-server)
  command -v etcdctl >/dev/null || need+=(etcd-client)
  command -v wrk >/dev/null || need+=(wrk)
  # podman and what scripts/image.sh setup checks for.
  for p in podman runc debootstrap uidmap slirp4netns netavark aardvark-dns iptables; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
  ensure_prometheus
}

# Two lanes side by side: downloads and unpacking (little CPU, but it must
# come when asked: nice 5), and the Go builds (CPU only: nice 15, they take
# what the tests leave). The images of MinIO and Jaeger wait for both.
net_lane() {
  step "Debian packages" packages
  step "npm packages of the web test" bash -c 'cd test/web && npm ci --no-audit --no-fund --silent'
  step "podman set-up" bash scripts/image.sh setup
  step "Debian base image" bash scripts/image.sh bases
  step "dependency images (mariadb, redis, etcd, nats)" bash scripts/image.sh deps mariadb redis etcd nats
}
build_lane() {
  step "helm" ensure_helm
  step "MinIO" bash scripts/infra.sh install_minio
  step "Jaeger" bash scripts/infra.sh install_jaeger
}
nice -n 5 bash -c "$(declare -f step packages net_lane); . scripts/lib.sh; net_lane" &
net=$!
nice -n 15 bash -c "$(declare -f step build_lane); . scripts/lib.sh; build_lane" &
build=$!
rc=0
wait "$net" || rc=1
wait "$build" || rc=1
[ "$rc" = 0 ] || { echo "prepare: a lane failed (above)" >&2; exit 1; }
step "dependency images (minio, jaeger)" bash scripts/image.sh deps minio jaeger
