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
