#!/usr/bin/env bash
# The load benchmark. Loads the dataset (tiktok seed), gets tokens over HTTP,
# and drives each row with wrk (2 threads, 64 connections, 5 s warm-up, 20 s
# measured), then checks every like counter and prints one table, with the
# Gin ceiling measured in the same run.
#   scripts/bench.sh embedded|production [--smoke]
# --smoke: tiny dataset, 1 s warm-up, 3 s a row; fails unless every row ran
# with zero errors and the counter check passed (CI runs it).
# BENCH_ROWS="feed-logged-in publish": only those rows (the Gin ceilings
# always run). E.g. the metrics' cost: the feed rows with
# TIKTOK_ADMIN_METRICS=false, then with the default.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
mode=${1:-embedded}
smoke=${2:-}
warm=5 dur=20 seedflag=""
if [ "$smoke" = "--smoke" ]; then warm=1 dur=3 seedflag="--small"; fi
command -v wrk >/dev/null || { echo "installing wrk..." >&2; apt_install wrk; }
ensure_ffmpeg
go build -o bin/tiktok ./cmd/tiktok
go build -o bin/ginceiling ./cmd/ginceiling
go build -o bin/benchpublish ./cmd/benchpublish

# The like row sends thousands of likes a second from 64 users, far past the
# per-user limit set for people (limits.like): raise it for the benchmark.
export TIKTOK_LIMITS_LIKE_RATE=${TIKTOK_LIMITS_LIKE_RATE:-1000000} TIKTOK_LIMITS_LIKE_BURST=${TIKTOK_LIMITS_LIKE_BURST:-1000000}

work=$(mktemp -d)
pids=() media2=""

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$mode" = production ]; then bash scripts/cluster.sh stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

case "$mode" in
embedded)
  base=http://127.0.0.1:18080
  bin/tiktok seed --data "$work/data" $seedflag >"$work/seed.json"
  bin/tiktok serve --http 127.0.0.1:18080 --data "$work/data" --demo=false >"$work/serve.log" 2>&1 &
  pids+=($!)
  service_pids() { echo "${pids[0]}"; }
  cpu_procs() { echo "serve:${pids[0]}"; }
  check() { bin/tiktok check-likes --data "$work/data" --url "$base"; }
  ;;
production)
  base=http://127.0.0.1:8080
  bash scripts/infra.sh start >/dev/null
  bash scripts/cluster.sh stop >/dev/null
  export TIKTOK_AUTH_SECRET=${TIKTOK_AUTH_SECRET:-$( [ -f "$RUN_DIR/secret" ] && cat "$RUN_DIR/secret" || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  (umask 077; echo -n "$TIKTOK_AUTH_SECRET" >"$RUN_DIR/secret"; chmod 600 "$RUN_DIR/secret")
  # A clean slate: every service database, the cache, the bucket.
  for s in $(service_roles); do
    mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS tiktok_$s"
  done
  redis-cli -h 127.0.0.1 flushdb >/dev/null
  bin/tiktok seed --config deploy/production.yaml $seedflag >"$work/seed.json"
  bash scripts/cluster.sh start >/dev/null
  roles="gateway $(service_roles)"
  service_pids() { local r; for r in $roles; do cat "$RUN_DIR/pids/$r.pid"; done; }
  cpu_procs() {
    for r in $roles; do echo "$r:$(cat "$RUN_DIR/pids/$r.pid")"; done
    [ -z "$media2" ] || echo "media-2:$(cat "$RUN_DIR/pids/media-2.pid")"
    echo "mysqld:$(pgrep -x mariadbd || pgrep -x mysqld)"; echo "redis:$(pgrep -x redis-server | head -1)"
  }
  check() { bin/tiktok check-likes --config deploy/production.yaml --url "$base"; }
  ;;
*) echo "usage: $0 embedded|production [--smoke]" >&2; exit 2 ;;
esac
bin/ginceiling --addr 127.0.0.1:18099 &
pids+=($!)
wait_for gateway curl -sf "$base/douyin/feed/"
wait_for ceiling curl -sf http://127.0.0.1:18099/empty

json() { python3 -c "import json,sys; print(json.load(open('$work/seed.json'))['$1'])"; }
hot=$(json hot_video) first=$(json first_video_id) last=$(json last_video_id) users=$(json users)
echo "dataset: $(cat "$work/seed.json")"
for i in $(seq 1 $(( users < 64 ? users : 64 ))); do
  curl -sf -X POST "$base/douyin/user/login/?username=$(printf 'seed_user_%04d' "$i")&password=pass123456" |
    python3 -c "import json,sys; print(json.load(sys.stdin)['token'])"
done >"$work/tokens"
uid=$(curl -sf -X POST "$base/douyin/user/login/?username=seed_user_0001&password=pass123456" | python3 -c "import json,sys; print(json.load(sys.stdin)['user_id'])")

rss_kb() { local t=0 p; for p in $(service_pids); do t=$((t + $(awk '/VmHWM/{print $2}' /proc/$p/status 2>/dev/null || echo 0))); done; echo $t; }

# cpu_ticks: "name:ticks" of user+system CPU for each process of cpu_procs,
# with that of its children once reaped (ffprobe and ffmpeg, which the
# publish and media roles run and wait for).
cpu_ticks() { local np; for np in $(cpu_procs); do echo "${np%%:*}:$(awk '{print $14+$15+$16+$17}' "/proc/${np#*:}/stat" 2>/dev/null || echo 0)"; done; }

# cpu_per BEFORE AFTER N UNIT: each process's CPU between two cpu_ticks
# samples per one of N operations, in seconds times UNIT (1e6: microseconds),
# then their total.
cpu_per() {
  paste -d' ' <(echo "$1") <(echo "$2") |
    awk -v n="$3" -v unit="$4" -v hz="$(getconf CLK_TCK)" '
      { split($1, a, ":"); split($2, b, ":"); v = (b[2] - a[2]) / hz * unit / (n > 0 ? n : 1); t += v
        printf "%s ", int(v + 0.5) } END { printf "%d", int(t + 0.5) }'
}

# run NAME MODE URL: warm up, measure, print the RESULT fields plus RSS; for
# the service rows also the CPU each process spent per request.
results=() cpu_rows=()
wanted() { [ -z "${BENCH_ROWS:-}" ] || [ "${1%%-*}" = gin ] || [[ " $BENCH_ROWS " == *" $1 "* ]]; }
run() {
  local name=$1 bmode=$2 url=$3
  wanted "$name" || return 0
  BENCH_MODE=$bmode BENCH_TOKENS=$work/tokens BENCH_FIRST_VIDEO=$first BENCH_LAST_VIDEO=$last \
    wrk -t2 -c64 -d${warm}s -s bench/wrk.lua "$url" >/dev/null
  local out before after
  before=$(cpu_ticks)
  out=$(BENCH_MODE=$bmode BENCH_TOKENS=$work/tokens BENCH_FIRST_VIDEO=$first BENCH_LAST_VIDEO=$last \
    wrk -t2 -c64 -d${dur}s -s bench/wrk.lua "$url" | grep '^RESULT')
  after=$(cpu_ticks)
  results+=("$name $(echo "$out" | cut -d' ' -f2-) $(rss_kb)")
  if [ "${name%%-*}" != gin ]; then
    cpu_rows+=("$name $(cpu_per "$before" "$after" "$(echo "$out" | cut -d' ' -f2)" 1e6)")
  fi
}

run "gin-empty" get "http://127.0.0.1:18099/empty"
run "gin-feed-page" get "http://127.0.0.1:18099/feed"
run "feed-anonymous" get "$base/douyin/feed/"
run "feed-logged-in" auth "$base/douyin/feed/"
run "user-info" auth "$base/douyin/user/?user_id=$uid"
run "comment-list" auth "$base/douyin/comment/list/?video_id=$hot"
run "like-unlike" like "$base/douyin/favorite/action/"
check_out=$(check 2>&1) && check_ok=1 || check_ok=0

# The publish row: a 10 s 1080p30 clip (H.264 ~4 Mbit/s, AAC), published by
# four clients at once for up to 60 s, each upload as a different seed user
# (every per-user limit and the duplicate check stay at their defaults), and
# each timed to its reply and to its video being ready (transcoded, cover
# cut). Production runs two media workers (media, media-2). Smoke: a 2 s
# 640x360 clip, twice, one at a time.
# The CPU table's columns, before the publish row may add media-2.
header=$(for np in $(cpu_procs); do printf '%s ' "${np%%:*}"; done)
pub=""
if wanted publish; then
if [ -n "$smoke" ]; then clip_args="-t 2 -s 640x360" pub_args="-c 1 -n 2"; else clip_args="-t 10 -s 1920x1080" pub_args="-c 4 -d 60s"; fi
ffmpeg -loglevel error -f lavfi -i "testsrc2=rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" $clip_args \
  -c:v libx264 -preset veryfast -b:v 4M -maxrate 4M -bufsize 8M -pix_fmt yuv420p -c:a aac -b:a 128k -shortest "$work/clip.mp4"
if [ "$mode" = production ]; then bash scripts/cluster.sh media2 >/dev/null; media2=1; fi
before=$(cpu_ticks)
pub=$(bin/benchpublish --url "$base" --tokens "$work/tokens" --clip "$work/clip.mp4" $pub_args | grep '^PUBLISH') || pub="PUBLISH 0 1 0 0 0 0 1 run=1"
after=$(cpu_ticks)
set -- $pub
pub_n=$2
pub_header=$(for np in $(cpu_procs); do printf '%s ' "${np%%:*}"; done)
pub_cpu=$(cpu_per "$before" "$after" "$pub_n" 1e3)
fi

empty_rps=$(echo "${results[0]}" | awk '{printf "%.1f", $2/$3}')
feed_rps=$(echo "${results[1]}" | awk '{printf "%.1f", $2/$3}')
echo
echo "deployment: $mode$( [ -n "$smoke" ] && echo ' (smoke)'); wrk -t2 -c64, ${warm}s warm-up, ${dur}s measured; $(nproc) cores"
printf '%-16s %10s %9s %9s %9s %9s %12s %10s %10s\n' row "req/s" "p50 ms" "p99 ms" "http err" "status err" "peak RSS MB" "x empty" "x feedpg"
fail=0
for r in "${results[@]}"; do
  set -- $r
  rps=$(awk -v n="$2" -v s="$3" 'BEGIN{printf "%.0f", n/s}')
  printf '%-16s %10s %9s %9s %9s %9s %12s %10s %10s\n' "$1" "$rps" "$4" "$5" "$6" "$7" \
    "$( [ "${1%%-*}" = gin ] && echo - || awk -v k="$8" 'BEGIN{printf "%.0f", k/1024}')" \
    "$(awk -v a="$rps" -v b="$empty_rps" 'BEGIN{printf "%.3f", a/b}')" "$(awk -v a="$rps" -v b="$feed_rps" 'BEGIN{printf "%.3f", a/b}')"
  if [ "$6" != 0 ] || [ "$7" != 0 ]; then fail=1; fi
done
echo
echo "CPU per request, microseconds of each process (wrk's own not included):"
printf '%-16s' row; for h in $header total; do printf ' %8s' "$h"; done; echo
for r in "${cpu_rows[@]}"; do
  set -- $r
  printf '%-16s' "$1"; shift; for v in "$@"; do printf ' %8s' "$v"; done; echo
done
if [ -n "$pub" ]; then
echo
set -- $pub
echo "publish ($(ffprobe -v error -select_streams v:0 -show_entries stream=width,height:format=duration,size -of csv=p=0 "$work/clip.mp4" |
  paste -sd, | awk -F, '{printf "%sx%s, %.1f s, %.1f MB", $1, $2, $3, $4 / 1e6}') clip; $pub_args; $( [ "$mode" = production ] && echo 'two media workers' || echo 'the in-process media pool')):"
printf '%-16s %8s %10s %12s %12s %12s %12s %s\n' row uploads "per min" "reply p50 ms" "reply p99 ms" "ready p50 ms" "ready p99 ms" errors
printf '%-16s %8s %10s %12s %12s %12s %12s %s\n' publish "$2" "$(awk -v n="$2" -v s="$3" 'BEGIN{printf "%.1f", n*60/s}')" "$4" "$5" "$6" "$7" "$8${9:+ (${*:9})}"
[ "$8" = 0 ] && [ "$2" -gt 0 ] || fail=1
echo "CPU per upload, milliseconds of each process:"
printf '%-16s' row; for h in $pub_header total; do printf ' %8s' "$h"; done; echo
printf '%-16s' publish; for v in $pub_cpu; do printf ' %8s' "$v"; done; echo
fi
echo
echo "$check_out"
[ "$check_ok" = 1 ] || fail=1
if [ -n "$smoke" ] && [ "$fail" = 1 ]; then echo "smoke run failed: errors in a row or a counter mismatch" >&2; exit 1; fi
exit 0
