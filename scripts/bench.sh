#!/usr/bin/env bash
# The load benchmark (docs/PERFORMANCE.md). Loads the dataset (tiktok seed),
# signs tokens for its first 4,096 users, and drives each row with wrk
# (2 threads, 64 connections, 5 s warm-up, 20 s measured), then checks every
# like counter. It does so twice: on the 1x dataset and on the dataset
# BENCH_SCALE times larger (default 100), with a fresh deployment each, and
# prints the tables side by side with the Gin ceilings measured in the same
# run. On the 1x data it also runs the publish row and, in production, the
# fault rows (cmd/benchlike: a favorite instance killed, MariaDB restarted,
# each with the acknowledged-write check).
#   scripts/bench.sh embedded|production [--smoke]
# --smoke: tiny dataset (2x of it for the scaled pass, which runs two rows),
# 1 s warm-up, 2 s a row; fails unless every row ran with zero unexpected errors, the counter
# checks passed and no acknowledged like was lost (CI runs it).
# BENCH_ROWS="feed-logged-in publish": only those rows (the Gin ceilings
# always run). BENCH_SCALE=1: no scaled pass. BENCH_PORT (18080) and
# BENCH_PORT+19: the embedded server's and the Gin ceiling's ports.
#
# Every security limit stays at its default. The load spreads over enough
# seed users that none meant for people is met: 4,096 tokens (the like and
# follow limits allow 20 a second per user, messages 1 a second with a burst
# of 30), and the login row sends X-Forwarded-For from random 10.x addresses
# through a gateway that trusts 127.0.0.1 as its proxy (limits.login_ip is
# per address). Only the overload row may meet refusals (10008).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
mode=${1:-embedded}
smoke=${2:-}
serve_port=${BENCH_PORT:-18080} ceiling_port=$(( ${BENCH_PORT:-18080} + 19 ))
warm=5 dur=20 seedflag="" scale=${BENCH_SCALE:-100} fault_dur=40
scaled_rows=${BENCH_ROWS:-}
# The smoke proves the tooling: every row once on the 1x data, and on the
# scaled data only the seed at scale and two rows (the same wrk script again
# would prove nothing new).
if [ "$smoke" = "--smoke" ]; then warm=1 dur=2 seedflag="--small" scale=${BENCH_SCALE:-2} fault_dur=12 scaled_rows=${BENCH_ROWS:-feed-logged-in like-unlike}; fi
command -v wrk >/dev/null || { echo "installing wrk..." >&2; apt_install wrk; }
ensure_ffmpeg
build_tiktok
go build -o bin/ginceiling ./cmd/ginceiling
go build -o bin/benchpublish ./cmd/benchpublish
go build -o bin/benchlike ./cmd/benchlike

# Every limit at its default, whatever the caller exported (test.sh raises
# some for the e2e suite's storms); the login row's addresses: the gateway
# believes 127.0.0.1's X-Forwarded-For.
for v in "${!TIKTOK_LIMITS_@}"; do unset "$v"; done
unset TIKTOK_HTTP_ANONYMOUS_FEED_REUSE # (test.sh turns it off for the e2e suite)
export TIKTOK_LIMITS_TRUSTED_PROXIES=127.0.0.1
ulimit -n "$(ulimit -Hn)" # the overload row's 512 connections and their upstreams

work=$(mktemp -d)
pids=() media2="" serve_pid=""

stop_deployment() {
  media2=""
  if [ "$mode" = production ]; then bash scripts/cluster.sh stop >/dev/null 2>&1 || true
  elif [ -n "${serve_pid:-}" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; serve_pid=""
  fi
}
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_deployment
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start_deployment N: a clean deployment on the dataset N times the seed's,
# its summary in $work/seed.json and its tokens in $work/tokens.
start_deployment() {
  local n=$1 t0=$SECONDS
  stop_deployment
  case "$mode" in
  embedded)
    rm -rf "$work/data"
    bin/tiktok seed --data "$work/data" $seedflag --scale "$n" --tokens "$work/tokens" >"$work/seed.json"
    bin/tiktok serve --http 127.0.0.1:$serve_port --data "$work/data" --demo=false >"$work/serve-$n.log" 2>&1 &
    serve_pid=$!
    ;;
  production)
    # A clean slate: every service database, the cache.
    for s in $(service_roles); do mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS tiktok_$s"; done
    redis-cli -h 127.0.0.1 flushdb >/dev/null
    bin/tiktok seed --config deploy/production.yaml $seedflag --scale "$n" --tokens "$work/tokens" >"$work/seed.json"
    bash scripts/cluster.sh start >/dev/null
    ;;
  esac
  seed_took=$((SECONDS - t0))
  wait_for gateway curl -sf "$base/douyin/feed/"
}

case "$mode" in
embedded)
  base=http://127.0.0.1:$serve_port
  service_pids() { echo "$serve_pid"; }
  cpu_procs() { echo "serve:$serve_pid"; }
  check() { bin/tiktok check-likes --data "$work/data" --url "$base"; }
  ledger_flags() { echo "--data $work/data"; }
  ;;
production)
  base=http://127.0.0.1:8080
  bash scripts/infra.sh start >/dev/null
  bash scripts/cluster.sh stop >/dev/null
  export TIKTOK_AUTH_SECRET=${TIKTOK_AUTH_SECRET:-$( [ -f "$RUN_DIR/secret" ] && cat "$RUN_DIR/secret" || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  (umask 077; echo -n "$TIKTOK_AUTH_SECRET" >"$RUN_DIR/secret"; chmod 600 "$RUN_DIR/secret")
  roles="gateway $(service_roles)"
  service_pids() { local r; for r in $roles; do cat "$RUN_DIR/pids/$r.pid"; done; }
  cpu_procs() {
    for r in $roles; do echo "$r:$(cat "$RUN_DIR/pids/$r.pid")"; done
    [ -z "$media2" ] || echo "media-2:$(cat "$RUN_DIR/pids/media-2.pid")"
    echo "mysqld:$(pgrep -x mariadbd || pgrep -x mysqld)"; echo "redis:$(pgrep -x redis-server | head -1)"
  }
  check() { bin/tiktok check-likes --config deploy/production.yaml --url "$base"; }
  ledger_flags() { echo "--config deploy/production.yaml"; }
  ;;
*) echo "usage: $0 embedded|production [--smoke]" >&2; exit 2 ;;
esac
bin/ginceiling --addr 127.0.0.1:$ceiling_port &
pids+=($!)
wait_for ceiling curl -sf http://127.0.0.1:$ceiling_port/empty

json() { python3 -c "import json,sys; print(json.load(open('$work/seed.json'))['$1'])"; }

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

# run PASS NAME MODE URL [CONNS]: warm up, measure, keep the RESULT fields
# plus the peak RSS of every role; for the service rows also the CPU each
# process spent per request.
results=() cpu_rows=() hot=0 first=0 last=0 uid=0
wanted() { [ -z "${BENCH_ROWS:-}" ] || [ "${1%%-*}" = gin ] || [[ " $BENCH_ROWS " == *" $1 "* ]]; }
run() {
  local pass=$1 name=$2 bmode=$3 url=$4 conns=${5:-64}
  wanted "$name" || return 0
  local env=(BENCH_MODE=$bmode BENCH_THREADS=2 BENCH_TOKENS=$work/tokens BENCH_FIRST_VIDEO=$first BENCH_LAST_VIDEO=$last BENCH_HOT_VIDEO=$hot)
  env "${env[@]}" wrk -t2 -c"$conns" -d${warm}s -s bench/wrk.lua "$url" >/dev/null
  local out before after
  before=$(cpu_ticks)
  out=$(env "${env[@]}" wrk -t2 -c"$conns" -d${dur}s -s bench/wrk.lua "$url" | grep '^RESULT')
  after=$(cpu_ticks)
  results+=("$pass $name $(echo "$out" | cut -d' ' -f2-) $( [ "${name%%-*}" = gin ] && echo 0 || rss_kb)")
  if [ "${name%%-*}" != gin ]; then
    cpu_rows+=("$pass $name $(cpu_per "$before" "$after" "$(echo "$out" | cut -d' ' -f2)" 1e6)")
  fi
}

# service_rows PASS: every wrk row of the service, in order.
service_rows() {
  local p=$1
  run "$p" feed-anonymous get "$base/douyin/feed/"
  run "$p" feed-logged-in auth "$base/douyin/feed/"
  run "$p" user-info auth "$base/douyin/user/?user_id=$uid"
  run "$p" comment-list auth "$base/douyin/comment/list/?video_id=$hot"
  run "$p" like-unlike like "$base/douyin/favorite/action/"
  run "$p" hot-video hot "$base/douyin/favorite/action/"
  run "$p" follow follow "$base/douyin/relation/action/"
  run "$p" message message "$base/douyin/message/chat/"
  # Login: its rate is the password hash's (argon2id, 19 MiB, a slot per
  # core); four at once keep both slots busy, more would only queue, and a
  # wait past a second is refused by design (10008, retry later).
  run "$p" login login "$base/douyin/user/login/" 4
  run "$p" overload-512 auth "$base/douyin/feed/" 512
}

# pass N: a deployment on the N-times dataset, its rows, its counter check.
declare -A seeded checks
pass() {
  local n=$1
  start_deployment "$n"
  hot=$(json hot_video) first=$(json first_video_id) last=$(json last_video_id) uid=$(json first_user_id)
  seeded[$n]="$(cat "$work/seed.json") (with the deployment's start: ${seed_took} s)"
  if [ "$n" = 1 ]; then
    run 1x gin-empty get "http://127.0.0.1:$ceiling_port/empty"
    run 1x gin-feed-page get "http://127.0.0.1:$ceiling_port/feed"
  fi
  if [ "$n" = 1 ]; then service_rows "${n}x"; else BENCH_ROWS=$scaled_rows service_rows "${n}x"; fi
  if checks[$n]=$(check 2>&1); then :; else checks[$n]="FAILED: ${checks[$n]}"; fi
}

pass 1

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

# The fault rows (production): the like load of cmd/benchlike, every reply
# recorded, while a fault comes and goes; then every acknowledged like must
# be in the likes table and every counter equal its rows.
faults=()
fault_row() {
  local name=$1 fault=$2 recov=$3 out
  wanted "$name" || return 0
  out=$(bin/benchlike --url "$base" --tokens "$work/tokens" --first-video "$first" --last-video "$last" -c 64 \
    -d "${fault_dur}s" --fault-at "$((fault_dur / 4))s" --fault "$fault" --recover-at "$((fault_dur * 5 / 8))s" --recover "$recov" \
    $(ledger_flags) 2>"$work/$name.err") || { echo "$name: benchlike failed:" >&2; tail -5 "$work/$name.err" >&2; }
  # A line that is missing (benchlike died) reads as a failed row.
  line() { echo "$out" | grep "^$1 " | cut -d' ' -f2- | grep . || echo "$2"; }
  faults+=("$name $(line LIKE "0 1 0 0 1 0 -") $(line FAULT "-1 0 0 -1 0 0 1 -1 -1") $(line ACKED "0 -1 -1 0")")
}
if [ "$mode" = production ]; then
  # Two favorite instances; one is killed (SIGKILL: no deregistration, its
  # etcd lease runs out) and later started again.
  bash scripts/cluster.sh second favorite >/dev/null
  sleep 6 # one resolver refresh: the gateway knows both
  fault_row favorite-kill "kill -9 \$(cat $RUN_DIR/pids/favorite-2.pid)" \
    "bash scripts/cluster.sh second favorite >/dev/null"
  # MariaDB stopped (every service's database) and started again.
  fault_row mariadb-restart "mysqladmin -uroot -h127.0.0.1 shutdown" "bash scripts/infra.sh deps >/dev/null"
fi
stop_deployment

if [ "$scale" -gt 1 ]; then pass "$scale"; stop_deployment; fi

# ceiling NAME: req/s of a Gin ceiling row.
ceiling() { local r name=$1; for r in "${results[@]}"; do set -- $r; if [ "$2" = "$name" ]; then awk -v n="$3" -v s="$4" 'BEGIN{printf "%.1f", n/s}'; fi; done; }
empty_rps=$(ceiling gin-empty) feed_rps=$(ceiling gin-feed-page)
echo
echo "deployment: $mode$( [ -n "$smoke" ] && echo ' (smoke)'); wrk -t2 -c64 (login 4, overload 512), ${warm}s warm-up, ${dur}s measured; $(nproc) cores"
for n in "${!seeded[@]}"; do echo "dataset ${n}x: ${seeded[$n]}"; done | sort -n
fail=0
declare -A rps_of
for p in 1x $( [ "$scale" -gt 1 ] && echo "${scale}x" ); do
  echo
  echo "$p data:"
  printf '%-16s %10s %9s %9s %9s %9s %12s %10s %10s  %s\n' row "req/s" "p50 ms" "p99 ms" "http err" "status err" "peak RSS MB" "x empty" "x feedpg" "errors by kind"
  for r in "${results[@]}"; do
    set -- $r
    [ "$1" = "$p" ] || continue
    rps=$(awk -v n="$3" -v s="$4" 'BEGIN{printf "%.0f", n/s}')
    rps_of[$p/$2]=$rps
    printf '%-16s %10s %9s %9s %9s %9s %12s %10s %10s  %s\n' "$2" "$rps" "$5" "$6" "$7" "$8" \
      "$( [ "${2%%-*}" = gin ] && echo - || awk -v k="${10}" 'BEGIN{printf "%.0f", k/1024}')" \
      "$(awk -v a="$rps" -v b="$empty_rps" 'BEGIN{printf "%.3f", a/b}')" "$(awk -v a="$rps" -v b="$feed_rps" 'BEGIN{printf "%.3f", a/b}')" \
      "$(echo "$9" | tr ',' '\n' | grep -v ':0$' | paste -sd, | sed 's/^$/-/')"
    # Unexpected: any error but 10008 where it is the design: the overload
    # row (load shedding) and the login row (the hash queue's bound).
    if [ "$2" = overload-512 ] || [ "$2" = login ]; then
      echo "$9" | tr ',' '\n' | grep -v -e ':0$' -e '^10008:' | grep -q . && fail=1
    elif [ "$7" != 0 ] || [ "$8" != 0 ]; then fail=1; fi
  done
  echo "counter check: ${checks[${p%x}]}"
  case "${checks[${p%x}]}" in FAILED*) fail=1 ;; esac
done
if [ "$scale" -gt 1 ]; then
  echo
  echo "${scale}x against 1x (target: each row >= 0.80; peak RSS of all roles <= 1.5x):"
  printf '%-16s %10s %10s %8s\n' row "1x req/s" "${scale}x req/s" ratio
  for r in "${results[@]}"; do
    set -- $r
    [ "$1" = "${scale}x" ] || continue
    printf '%-16s %10s %10s %8s\n' "$2" "${rps_of[1x/$2]:-}" "${rps_of[${scale}x/$2]}" \
      "$(awk -v a="${rps_of[${scale}x/$2]}" -v b="${rps_of[1x/$2]:-0}" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "-" }')"
  done
  rss1=$(for r in "${results[@]}"; do set -- $r; if [ "$1" = 1x ]; then echo "${10}"; fi; done | sort -n | tail -1)
  rssn=$(for r in "${results[@]}"; do set -- $r; if [ "$1" = "${scale}x" ]; then echo "${10}"; fi; done | sort -n | tail -1)
  echo "peak RSS of all roles: 1x $((rss1 / 1024)) MB, ${scale}x $((rssn / 1024)) MB, ratio $(awk -v a="$rssn" -v b="$rss1" 'BEGIN{printf "%.2f", a/b}')"
fi
echo
echo "CPU per request, microseconds of each process (wrk's own not included):"
printf '%-20s' row; for h in $header total; do printf ' %8s' "$h"; done; echo
for r in "${cpu_rows[@]}"; do
  set -- $r
  printf '%-20s' "$2 $1"; shift 2; for v in "$@"; do printf ' %8s' "$v"; done; echo
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
if [ "${#faults[@]}" -gt 0 ]; then
  echo
  echo "fault rows (like load, 64 connections, ${fault_dur}s; times in seconds from the load's start):"
  printf '%-16s %8s %8s %8s %9s %8s %16s %11s %10s %7s %5s %11s %9s\n' row "req/s" "p50 ms" "p99 ms" "fault at" "back at" failed "first fail" "last fail" acked lost resurrected uncertain
  for r in "${faults[@]}"; do
    set -f; set -- $r; set +f
    # name | LIKE: requests secs p50 p99 httperr staterr kinds | FAULT: at took ok,
    # recover_at took ok, failed first last | ACKED: acked lost resurrected uncertain
    printf '%-16s %8s %8s %8s %9s %8s %16s %11s %10s %7s %5s %11s %9s\n' "$1" "$(awk -v n="$2" -v s="$3" 'BEGIN{printf "%.0f", n/s}')" "$4" "$5" \
      "$9" "$(awk -v a="${12}" -v b="${13}" 'BEGIN{printf "%.1f", a+b}')" "${15} ($(awk -v f="${15}" -v n="$2" 'BEGIN{printf "%.2f%%", n ? 100*f/n : 0}'))" \
      "${16}" "${17}" "${18}" "${19}" "${20}" "${21}"
    echo "  errors by kind: $(echo "$8" | tr ',' '\n' | grep -v ':0$' | paste -sd, | sed 's/^$/-/')"
    [ "${11}" = 1 ] && [ "${14}" = 1 ] || { echo "  the fault or its end did not run as meant (see above)"; fail=1; }
    [ "${19}" = 0 ] && [ "${20}" = 0 ] || fail=1
  done
fi
[ -z "$smoke" ] || [ "$fail" = 0 ] || { echo "smoke run failed: unexpected errors in a row, a counter mismatch or an acknowledged write lost" >&2; exit 1; }
exit 0
