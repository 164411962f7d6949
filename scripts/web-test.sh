#!/usr/bin/env bash
# The web client's browser test: Debian's Chromium driven by playwright-core
# (both installed when missing) against a fresh embedded system. Screenshots
# land in test-output/web/ (test-output/web-<name> with WEB_TEST_NAME).
# With BASE_URL set it drives that running deployment instead, and with
# BASE_URL_2 too the second person's page uses that second gateway instance
# (scripts/test.sh: the distributed deployment, chat pushed across two
# gateways).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_ffmpeg
command -v chromium >/dev/null || { echo "installing chromium..." >&2; apt_install chromium; }
(cd test/web && npm ci --no-audit --no-fund --silent)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ffmpeg -nostdin -y -v error -f lavfi -i testsrc2=size=360x640:rate=25:duration=3 -c:v libx264 -pix_fmt yuv420p "$work/sample.mp4"
url=${BASE_URL:-}
if [ -z "$url" ]; then
  go build -o bin/tiktok ./cmd/tiktok
  bin/tiktok serve --http 127.0.0.1:0 --data "$work/data" >"$work/serve.out" 2>"$work/serve.err" &
  pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 1 120); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out" | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.5
  done
  [ -n "$url" ] || { echo "the server did not start:"; cat "$work/serve.err"; exit 1; }
fi
out=$ROOT/test-output/web${WEB_TEST_NAME:+-$WEB_TEST_NAME}
BASE_URL=$url SAMPLE_VIDEO=$work/sample.mp4 OUT_DIR=$out node --test test/web/
