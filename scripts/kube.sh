#!/usr/bin/env bash
# The Helm chart run on this machine, as pods: renders deploy/helm/tiktok with
# deploy/helm/values-podman.yaml (helm template), turns the manifests into what
# podman kube play runs (cmd/kubeplay), and plays them on the podman network
# tiktok-kube: every role and every dependency its own pod with its own
# address, the gateway published on 127.0.0.1:18080 only (docs/DEPLOY.md).
#   scripts/kube.sh up       build what is missing (scripts/image.sh), play, wait until every pod is ready
#   scripts/kube.sh down     remove the pods, their volumes, secrets and network (the images stay: caches)
#   scripts/kube.sh status   each pod, its address and its readiness
#   scripts/kube.sh logs     the warnings and errors every app pod logged (CI prints them on a failure)
#   scripts/kube.sh env      write $RUN_DIR/kube/e2e.yaml and e2e.env: the suite's view of the deployment
# KUBE_VALUES=FILE adds a values file after values-podman.yaml.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
KUBE_DIR=$RUN_DIR/kube
NET=tiktok-kube
RELEASE=tiktok
GATEWAY=127.0.0.1:18080
DEPS="mariadb redis etcd minio nats jaeger"

# admin_port ROLE: the admin listener's port of a role (the chart's).
admin_port() {
  case $1 in
    gateway) echo 9200 ;; media) echo 9208 ;;
    *) echo $(( $(bin/tiktok roles --addr | awk -v r="$1" '$1 == r { n = split($2, a, ":"); print a[n] }') + 100 )) ;;
  esac
}

# pods ROLE: the pods of a role's Deployment (podman names them <deployment>-pod-<i>).
pods() { podman pod ls --format '{{.Name}}' --filter "name=^$RELEASE-$1-pod-" | sort; }

# pod_ip POD: its address on the network.
pod_ip() {
  local ctr
  ctr=$(podman pod inspect "$1" --format '{{range .Containers}}{{.Name}} {{end}}' | tr ' ' '\n' | grep -v -- '-infra$' | head -1)
  podman inspect "$ctr" --format "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}"
}

ready() { curl -sf -m 2 "http://$(pod_ip "$1"):$(admin_port "$2")/readyz" >/dev/null 2>&1; }

up() {
  local t0=$SECONDS
  build_tiktok
  bash scripts/image.sh all
  local helm
  helm=$(ensure_helm)
  down >/dev/null 2>&1 || true
  # The rendered manifests and e2e.env hold every secret: a folder that is
  # its owner's only.
  mkdir -p -m 700 "$KUBE_DIR"
  "$helm" template "$RELEASE" deploy/helm/tiktok -f deploy/helm/values-podman.yaml ${KUBE_VALUES:+-f "$KUBE_VALUES"} \
    >"$KUBE_DIR/rendered.yaml"
  go run ./cmd/kubeplay -out "$KUBE_DIR" <"$KUBE_DIR/rendered.yaml"
  podman network exists "$NET" || podman network create "$NET" >/dev/null
  for f in "$KUBE_DIR"/secrets/*.json; do
    podman secret rm "$(basename "$f" .json)" >/dev/null 2>&1 || true
    podman secret create "$(basename "$f" .json)" "$f" >/dev/null
  done
  local t1=$SECONDS
  podman kube play --network "$NET" "$KUBE_DIR/play.yaml" >"$KUBE_DIR/play.log"
  # Every role's pods ready (/readyz on its admin port), then the gateway's
  # published port answering.
  local role p deadline=$((SECONDS + 300))
  for role in $(bin/tiktok roles --all); do
    for p in $(pods "$role"); do
      until ready "$p" "$role"; do
        if [ $SECONDS -ge $deadline ]; then
          echo "kube: $p not ready after 300 s; its log:" >&2
          podman pod logs --tail 30 "$p" >&2 || true
          exit 1
        fi
        sleep 1
      done
    done
  done
  wait_for gateway curl -sf "http://$GATEWAY/douyin/feed/"
  echo "kube up: $(podman pod ls -q --filter "name=^$RELEASE-" | wc -l) pods in $((SECONDS - t1)) s from play to ready ($((SECONDS - t0)) s in all); gateway http://$GATEWAY"
}

down() {
  if [ -f "$KUBE_DIR/play.yaml" ]; then podman kube down "$KUBE_DIR/play.yaml" >/dev/null 2>&1 || true; fi
  local p
  for p in $(podman pod ls -q --filter "name=^$RELEASE-"); do podman pod rm -f "$p" >/dev/null; done
  for p in $(podman volume ls -q --filter "name=^data-$RELEASE-"); do podman volume rm -f "$p" >/dev/null; done
  for p in $RELEASE $RELEASE-backing; do podman secret rm "$p" >/dev/null 2>&1 || true; done
  podman network exists "$NET" && podman network rm "$NET" >/dev/null
  rm -rf "$KUBE_DIR"
  echo "kube down"
}

status() {
  local role p
  for role in $DEPS $(bin/tiktok roles --all); do
    for p in $(pods "$role"); do
      local r=""
      case " $DEPS " in *" $role "*) ;; *) if ready "$p" "$role"; then r=ready; else r="not ready"; fi ;; esac
      echo "$p $(pod_ip "$p") $(podman pod inspect "$p" --format '{{.State}}') $r"
    done
  done
}

# logs: the warn and error lines of every role's pods, so a failed run
# shows what the pods saw before they are removed.
logs() {
  local role p c
  for role in $(bin/tiktok roles --all); do
    for p in $(pods "$role"); do
      for c in $(podman pod inspect "$p" --format '{{range .Containers}}{{.Name}} {{end}}' | tr ' ' '\n' | grep -v -e '-infra$' -e '^$'); do
        echo "== $c"
        podman logs "$c" 2>&1 | grep -E '"level":"(warn|error|fatal)"|panic' | tail -40 || true
      done
    done
  done
}

# secret NAME KEY: a value of the rendered Secrets.
secret() { python3 -c 'import json,sys,base64; print(base64.b64decode(json.load(open(sys.argv[1]))[sys.argv[2]]).decode())' "$KUBE_DIR/secrets/$1.json" "$2"; }

# env: the configuration the end-to-end suite reads (TIKTOK_E2E_CONFIG): the
# gateway's published port for every request, and the dependencies' pod
# addresses for what the suite checks or empties behind the API.
e2e_env() {
  local ip dsn
  declare -A ip
  for d in $DEPS; do ip[$d]=$(pod_ip "$RELEASE-$d-pod-0"); done
  dsn=$(secret "$RELEASE-backing" database-dsn)
  dsn=${dsn/@tcp($RELEASE-mariadb-pod-0:/@tcp(${ip[mariadb]}:}
  cat >"$KUBE_DIR/e2e.yaml" <<EOF
# Written by scripts/kube.sh env: the podman deployment seen from the host.
http: {addr: "$GATEWAY", public_url: "http://$GATEWAY"}
demo: false
database: {driver: mysql}
storage: {driver: minio, minio: {endpoint: "${ip[minio]}:9000", access_key: tiktok, bucket: tiktok, public_url: "http://$GATEWAY/media/"}}
redis: {addr: "${ip[redis]}:6379"}
queue: {url: "nats://${ip[nats]}:4222"}
registry: {driver: etcd, etcd_endpoints: ["${ip[etcd]}:2379"]}
rpc: {mux_connections: 2}
services:
$(for r in $(bin/tiktok roles --rpc); do echo "  $r: \"$(pod_ip "$RELEASE-$r-pod-0"):$(( $(admin_port "$r") - 100 ))\""; done)
EOF
  cat >"$KUBE_DIR/e2e.env" <<EOF
export TIKTOK_E2E_CONFIG=$KUBE_DIR/e2e.yaml
export TIKTOK_DATABASE_DSN='$dsn'
export TIKTOK_AUTH_SECRET='$(secret "$RELEASE" auth-secret)'
export TIKTOK_RPC_SECRET='$(secret "$RELEASE" rpc-secret)'
export TIKTOK_STORAGE_MINIO_SECRET_KEY='$(secret "$RELEASE-backing" storage-secret-key)'
export TIKTOK_LIMITS_LIKE_RATE=100000 TIKTOK_LIMITS_LIKE_BURST=100000 TIKTOK_LIMITS_FOLLOW_RATE=100000
export TIKTOK_LIMITS_FOLLOW_BURST=100000 TIKTOK_LIMITS_MESSAGE_RATE=100000 TIKTOK_LIMITS_MESSAGE_BURST=100000
export TIKTOK_UPLOAD_MAX_BYTES=8388608
export TIKTOK_KUBE_GATEWAY=http://$GATEWAY
export TIKTOK_PROD_TARGET=kube TIKTOK_JAEGER_QUERY=http://${ip[jaeger]}:16686
EOF
  chmod 600 "$KUBE_DIR/e2e.env"
  echo "$KUBE_DIR/e2e.env"
}

case "${1:-status}" in env) e2e_env ;; up|down|status|logs) "$1" ;; *) echo "usage: $0 up|down|status|logs|env" >&2; exit 2 ;; esac
