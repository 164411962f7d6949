#!/usr/bin/env bash
# Runs the whole system in one process on embedded defaults: SQLite and media
# under ./data, the gateway on http://127.0.0.1:8080. Extra arguments go to
# `tiktok serve` (e.g. --http 0.0.0.0:8080 --data /tmp/d --demo=false).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_ffmpeg
build_tiktok
exec bin/tiktok serve "$@"
