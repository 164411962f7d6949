# Shared helpers for the project's scripts (sourced, not run).

# ensure_ffmpeg installs ffmpeg from Debian's packages when it is missing, or
# stops with a one-line instruction when it cannot.
ensure_ffmpeg() {
  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "ffmpeg is required: install it with 'apt-get install -y ffmpeg' as root" >&2; return 1
    fi
  fi
  if ! command -v apt-get >/dev/null; then
    echo "ffmpeg is required: install it with your package manager (e.g. 'brew install ffmpeg')" >&2; return 1
  fi
  echo "installing ffmpeg (Debian package)..." >&2
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq ffmpeg >/dev/null
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

# service_roles: the RPC services of the role registry (app/registry.go), in
# start order, as the binary lists them (`tiktok roles`); built when missing.
service_roles() {
  [ -x "$ROOT/bin/tiktok" ] || (cd "$ROOT" && go build -o bin/tiktok ./cmd/tiktok)
  "$ROOT/bin/tiktok" roles
}

running() { local f="$RUN_DIR/pids/$1.pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

apt_install() {
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  if [ -z "${APT_UPDATED:-}" ]; then $sudo apt-get update -qq >/dev/null; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
