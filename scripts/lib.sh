# Shared helpers for the project's scripts (sourced, not run).

# ensure_ffmpeg installs ffmpeg from Debian's packages when it is missing, or
# stops with a one-line instruction when it cannot.
ensure_ffmpeg() {
  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null && return 0
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    echo "ffmpeg is required: install it with 'apt-get install -y ffmpeg' as root" >&2; return 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "ffmpeg is required: install it with your package manager (e.g. 'brew install ffmpeg')" >&2; return 1
  fi
  echo "installing ffmpeg (Debian package)..." >&2
  apt_install ffmpeg
}

# Where scripts keep state: pids, logs, data of the local servers.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=${TIKTOK_RUN_DIR:-$ROOT/.run}
# Built third-party binaries (MinIO, Jaeger) are cached across clones and runs.
CACHE_DIR=${TIKTOK_CACHE_DIR:-$HOME/.cache/tiktok}
mkdir -p "$RUN_DIR/pids" "$RUN_DIR/logs" "$CACHE_DIR/bin"

# wait_for NAME CMD...: retry CMD for up to 60 s.
wait_for() {
  local name=$1; shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "$name did not come up; see $RUN_DIR/logs/" >&2
  return 1
}

# start_bg NAME CMD...: run CMD in the background, log and pid under RUN_DIR.
start_bg() {
  local name=$1; shift
  nohup "$@" >"$RUN_DIR/logs/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/pids/$name.pid"
}

# stop_pid NAME: stop the process recorded for NAME (TERM, then KILL after 15 s).
stop_pid() {
  local f="$RUN_DIR/pids/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# build_tiktok builds bin/tiktok stamped with the checkout's commit and
# version (`tiktok version`), which the Go toolchain records only when VCS
# stamping is on: GOFLAGS=-buildvcs=false turns it off.
build_tiktok() {
  local commit version flags=""
  commit=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)
  version=$(git -C "$ROOT" describe --tags --always --dirty 2>/dev/null || true)
  [ -z "$commit" ] || flags="-X tiktok/internal/buildinfo.Commit=$commit"
  [ -z "$version" ] || flags="$flags -X tiktok/internal/buildinfo.Version=$version"
  echo "building bin/tiktok (the first build takes several minutes)..." >&2
  (cd "$ROOT" && go build -ldflags "$flags" -o bin/tiktok ./cmd/tiktok)
}

# service_roles: every role of the registry (app/registry.go) but the
# gateway, in start order, as the binary lists them (`tiktok roles`): the RPC
# services, then the workers (media); built when missing.
service_roles() {
  [ -x "$ROOT/bin/tiktok" ] || build_tiktok
  "$ROOT/bin/tiktok" roles
}

# rpc_roles: the RPC services only (`tiktok roles --rpc`), which register in etcd.
rpc_roles() {
  [ -x "$ROOT/bin/tiktok" ] || build_tiktok
  "$ROOT/bin/tiktok" roles --rpc
}

# nats_up: a NATS server answers on 127.0.0.1:4222 (its greeting is INFO).
nats_up() {
  timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/4222 && head -c 4 <&3' 2>/dev/null | grep -q INFO
}

# ensure_nats starts the machine's NATS server with JetStream when it is
# stopped (installing Debian's nats-server when missing). Like MariaDB and
# Redis it belongs to the machine: nothing here stops it.
ensure_nats() {
  nats_up && return 0
  [ -x /usr/sbin/nats-server ] || { echo "installing nats-server..." >&2; apt_install nats-server; }
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_for nats nats_up
}

running() { local f="$RUN_DIR/pids/$1.pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

# apt_get ARGS...: apt-get that waits for the package lock (another apt or
# dpkg run: the test command installs in the background, the machine may run
# its own) for up to 10 minutes instead of failing at once. Quiet unless it
# fails for another reason.
apt_get() {
  local sudo="" log i
  [ "$(id -u)" = 0 ] || sudo=sudo
  log=$(mktemp)
  for i in $(seq 1 120); do
    if $sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=5 "$@" >"$log" 2>&1; then
      rm -f "$log"; return 0
    fi
    if ! grep -qE 'Could not get lock|Unable to lock|Unable to acquire|is another process using it' "$log"; then
      cat "$log" >&2; rm -f "$log"; return 1
    fi
    [ "$i" = 1 ] && echo "waiting for another package run to release the dpkg lock (up to 10 minutes)..." >&2
    sleep 5
  done
  echo "apt-get $*: the dpkg lock stayed held for 10 minutes" >&2
  cat "$log" >&2; rm -f "$log"; return 1
}

# apt_install PACKAGES...: Debian packages, after one `apt-get update` an hour
# (the lists' age is the stamp, so parallel scripts do not each update).
apt_install() {
  if ! find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q .; then
    apt_get update -qq || return 1
  fi
  apt_get install -y -qq "$@"
}

# ensure_prometheus installs Debian's prometheus (the server and promtool)
# when missing, without its recommendation prometheus-node-exporter (a daemon
# of its own on :9100 nothing here reads). The package enables a service of
# its own on 127.0.0.1:9090 with /etc/prometheus's configuration; the scripts
# run theirs there (scripts/prometheus.sh), so the package's is stopped and
# disabled.
ensure_prometheus() {
  [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] && return 0
  echo "installing prometheus (Debian package)..." >&2
  apt_install --no-install-recommends prometheus
  stop_package_prometheus
}

# stop_package_prometheus stops and disables the Debian package's own
# service, wherever the package could have started it: systemd, its init
# script (unless policy-rc.d denied the start, as in containers), and last by
# the pid in its pid file.
stop_package_prometheus() {
  local sudo="" pid=""; [ "$(id -u)" = 0 ] || sudo=sudo
  if [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/prometheus ]; then
    $sudo /etc/init.d/prometheus stop >/dev/null 2>&1 || true
    $sudo update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
  pid=$(cat /run/prometheus/prometheus.pid 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then $sudo kill "$pid" 2>/dev/null || true; fi
}

# admin_addrs: "name address" a line for every role, the gateway last:
# where each role's admin listener (/healthz, /readyz, /metrics) listens under
# deploy/production.yaml, as the binary says (`tiktok roles --admin`); the
# address is empty when admin.addr is "off".
admin_addrs() {
  [ -x "$ROOT/bin/tiktok" ] || build_tiktok
  "$ROOT/bin/tiktok" roles --admin --config "$ROOT/deploy/production.yaml"
}

# admin_addr ROLE: the admin address of ROLE's first instance.
admin_addr() {
  admin_addrs | awk -v r="$1" '$1 == r { print $2; found = 1 } END { exit !found }' ||
    { echo "no admin address for role $1 in 'tiktok roles --admin'" >&2; return 1; }
}

# second_admin_addr ADDR: the admin address of a role's second instance
# (gateway-2, media-2, user-2): its first instance's port + 10.
second_admin_addr() { echo "${1%:*}:$(( ${1##*:} + 10 ))"; }

# prom_target NAME ROLE ADDR: Prometheus scrapes the admin listener ADDR of
# the instance NAME (user, user-2, gateway-2) of ROLE from now on (file-based
# discovery, scripts/prometheus.sh). prom_untarget NAME: no longer; for an
# instance stopped on purpose only: one that crashed keeps its file, so its
# `up` reads 0 and TiktokInstanceDown fires.
prom_target() {
  local dir="$RUN_DIR/prometheus/targets"
  mkdir -p "$dir"
  # Written aside then renamed: Prometheus never reads half a file.
  printf '[{"targets": ["%s"], "labels": {"role": "%s", "name": "%s"}}]\n' "$3" "$2" "$1" >"$dir/.$1.json.tmp"
  mv "$dir/.$1.json.tmp" "$dir/$1.json"
}
prom_untarget() { rm -f "$RUN_DIR/prometheus/targets/$1.json"; }

# ensure_helm builds Helm 3 into the cache when missing (about 4 minutes on
# a cold Go cache) and prints its path.
ensure_helm() {
  if [ ! -x "$CACHE_DIR/bin/helm" ]; then
    echo "building helm v3.22.0 (a few minutes the first time)..." >&2
    GOBIN=$CACHE_DIR/bin GOCACHE=$CACHE_DIR/gocache GOFLAGS=-buildvcs=false \
      go install helm.sh/helm/v3/cmd/helm@v3.22.0 || return 1
  fi
  echo "$CACHE_DIR/bin/helm"
}
