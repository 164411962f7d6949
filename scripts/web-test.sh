#!/usr/bin/env bash
# The web client's browser test: Debian's Chromium driven by playwright-core
# (both installed when missing) against a fresh embedded system, whose publish
# replies do not wait for the video (upload.wait_ready 0), so that the client's
# processing state is seen. Screenshots land in test-output/web/
# (test-output/web-<name> with WEB_TEST_NAME).
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
# A video that takes the media role a few seconds to transcode (its processing
# state is seen), and one that passes the publish's header-only probe but has
# no decodable frame (its mdat zeroed): the media role fails it with a reason.
# About 1.3 MB at 1 Mbit/s: under the 8 MiB upload limit of the distributed test run.
ffmpeg -nostdin -y -v error -f lavfi -i testsrc2=size=720x1280:rate=30:duration=10 -c:v libx264 -preset ultrafast -b:v 1M -maxrate 1M -bufsize 2M -pix_fmt yuv420p "$work/long.mp4"
ffmpeg -nostdin -y -v error -f lavfi -i testsrc2=size=320x240:rate=25:duration=2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -movflags +faststart "$work/undecodable.mp4"
node -e 'const fs = require("fs"), f = process.argv[1], b = fs.readFileSync(f), i = b.indexOf("mdat");
  if (i < 4) throw new Error("no mdat in " + f); b.fill(0, i + 4); fs.writeFileSync(f, b);' "$work/undecodable.mp4"
url=${BASE_URL:-}
if [ -z "$url" ]; then
  build_tiktok
  # The publish reply does not wait for the video (upload.wait_ready 0), so
  # the client's processing state is seen and followed to ready or failed.
  export UPLOAD_WAIT_READY=0s
  TIKTOK_UPLOAD_WAIT_READY=$UPLOAD_WAIT_READY bin/tiktok serve --http 127.0.0.1:0 --data "$work/data" >"$work/serve.out" 2>"$work/serve.err" &
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
BASE_URL=$url SAMPLE_VIDEO=$work/sample.mp4 LONG_VIDEO=$work/long.mp4 UNDECODABLE_VIDEO=$work/undecodable.mp4 OUT_DIR=$out \
  node --test test/web/
