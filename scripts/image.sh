#!/usr/bin/env bash
# The OCI image of the tiktok binary (Containerfile), built here with podman,
# and local images of the dependencies the Helm chart runs
# (deploy/images/local). No container registry is needed: when the public
# bases cannot be pulled, local ones are made from Debian's archive
# (debootstrap) and the host's Go.
#   scripts/image.sh setup    podman, runc, debootstrap (Debian), runtime = runc
#   scripts/image.sh bases    localhost/debian:bookworm-slim, localhost/golang:1.26-bookworm
#   scripts/image.sh build    localhost/tiktok:<short commit> and :dev
#   scripts/image.sh deps [--force] [NAME...]   localhost/tiktok-deps/{mariadb,redis,etcd,minio,nats,jaeger} (or only those named)
#   scripts/image.sh all      the four, in order
# Cached in $CACHE_DIR/images (tarballs, logs) and podman's storage: a second
# run takes seconds. Quiet unless a step fails (its log is printed then).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

IMG_DIR=$CACHE_DIR/images
LOG_DIR=$IMG_DIR/logs
mkdir -p "$IMG_DIR" "$LOG_DIR"
# The host's own Go cache builds the image's binary; MinIO and Jaeger keep
# theirs apart.
HOST_GOCACHE=$(go env GOCACHE)
export GOCACHE=${GOCACHE_OVERRIDE:-$CACHE_DIR/gocache}
# IMAGE_COMPILE=container compiles inside the image build as the Containerfile
# does alone; the default compiles on the host (one compile less a run).
COMPILE=${IMAGE_COMPILE:-host}

PUBLIC_GO=docker.io/library/golang:1.26-bookworm
PUBLIC_DEBIAN=docker.io/library/debian:bookworm-slim
LOCAL_GO=localhost/golang:1.26-bookworm
LOCAL_DEBIAN=localhost/debian:bookworm-slim
IMAGE=${TIKTOK_IMAGE:-localhost/tiktok}
MIRROR=${DEBIAN_MIRROR:-}

# step NAME CMD...: run CMD, print its time in seconds.
step() {
  local name=$1 t0=$SECONDS; shift
  "$@"
  echo "image.sh $name: $((SECONDS - t0))s"
}

# quietly LOG CMD...: CMD's output to $LOG_DIR/LOG.log, shown when it fails.
quietly() {
  local log="$LOG_DIR/$1.log"; shift
  if ! "$@" >"$log" 2>&1; then
    echo "failed: $* (log: $log)" >&2
    tail -n 40 "$log" >&2
    return 1
  fi
}

exists() { podman image exists "$1" 2>/dev/null; }

# pick PUBLIC LOCAL: the public image when present (or pullable), else LOCAL.
pick() {
  if exists "$1" || podman pull -q "$1" >/dev/null 2>&1; then echo "$1"; else echo "$2"; fi
}

# The Debian mirror the host uses (deb822 or one-line sources), else deb.debian.org.
host_mirror() {
  [ -n "$MIRROR" ] && { echo "$MIRROR"; return; }
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/debian.sources | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$m" ] || m=$(grep -hsE '^deb .*debian/? bookworm( |$)' /etc/apt/sources.list | awk '{print $2}' | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

setup() {
  local need=()
  command -v podman >/dev/null || need+=(podman)
  command -v runc >/dev/null || need+=(runc)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v newuidmap >/dev/null || need+=(uidmap)
  command -v slirp4netns >/dev/null || need+=(slirp4netns)
  [ -x /usr/lib/podman/netavark ] || dpkg -s netavark >/dev/null 2>&1 || need+=(netavark)
  dpkg -s aardvark-dns >/dev/null 2>&1 || need+=(aardvark-dns)
  # netavark sets up a network's bridge with iptables.
  command -v iptables >/dev/null || need+=(iptables)
  if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
  # crun (podman's default) fails here on setrlimit; runc works. And
  # buildah's RUN asks for nproc 1048576 as root, above this machine's hard
  # limit (runc: "error setting rlimit type 6"): a default within it.
  local conf=/etc/containers/containers.conf.d/50-tiktok-runc.conf
  local nofile nproc
  nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
  nproc=$(ulimit -Hu); { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
  local want="# scripts/image.sh: crun fails on setrlimit on this machine; containers
# (RUN steps, pods) need open-file and process limits within the hard ones
[containers]
default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]

[engine]
runtime = \"runc\""
  if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
    mkdir -p "$(dirname "$conf")"
    printf '%s\n' "$want" >"$conf"
  fi
}

# debian_rootfs: $IMG_DIR/debian-bookworm.tar, a minbase bookworm like
# debian:bookworm-slim (no docs, man pages, locales; apt lists cleaned).
debian_rootfs() {
  local tar=$IMG_DIR/debian-bookworm.tar
  [ -s "$tar" ] && return 0
  local dir=$IMG_DIR/rootfs.tmp mirror
  mirror=$(host_mirror)
  rm -rf "$dir"; mkdir -p "$dir"
  quietly debootstrap debootstrap --variant=minbase bookworm "$dir" "$mirror"
  local sec=${mirror%/debian}/debian-security
  rm -f "$dir/etc/apt/sources.list"
  cat >"$dir/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $sec
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # As in debian:*-slim: dpkg leaves out documentation and locales.
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
CFG
  printf 'APT::Install-Recommends "false";\n' >"$dir/etc/apt/apt.conf.d/docker-no-recommends"
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  rm -rf "$dir"/usr/share/{man,info,groff,lintian,linda}/* "$dir"/var/lib/apt/lists/* \
    "$dir"/var/cache/apt/* "$dir"/var/cache/debconf/*-old "$dir"/var/log/* "$dir"/tmp/* \
    "$dir"/debootstrap 2>/dev/null || true
  find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  : >"$dir/etc/machine-id"
  tar --numeric-owner -C "$dir" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
  rm -rf "$dir"
}

golang_image() {
  exists "$LOCAL_GO" && return 0
  local tar=$IMG_DIR/golang-1.26-bookworm.tar
  if [ -s "$tar" ]; then quietly golang-load podman load -q -i "$tar"; exists "$LOCAL_GO" && return 0; fi
  local goroot ctx=$IMG_DIR/golang.ctx
  goroot=$(go env GOROOT)
  rm -rf "$ctx"; mkdir -p "$ctx"
  cat >"$ctx/Containerfile" <<CF
FROM $LOCAL_DEBIAN
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates git \\
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log \\
 && if ls /hostca/*.crt >/dev/null 2>&1; then cp /hostca/*.crt /usr/local/share/ca-certificates/ && update-ca-certificates >/dev/null; fi \\
 && cp -a /hostgo /usr/local/go \\
 && rm -rf /usr/local/go/pkg/obj /usr/local/go/.git \\
 && mkdir -p /go/bin /go/src && chmod -R 1777 /go
ENV GOLANG_VERSION=$(go env GOVERSION | sed 's/^go//') GOTOOLCHAIN=local GOPATH=/go \\
    PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
CF
  # The host's own CAs too (/usr/local/share/ca-certificates; e.g. a TLS
  # proxy in front of the Go module proxy): this base only ever builds here.
  local ca=(); [ -d /usr/local/share/ca-certificates ] && ca=(-v /usr/local/share/ca-certificates:/hostca:ro)
  quietly golang-build podman build --network host -v "$goroot:/hostgo:ro" "${ca[@]}" -t "$LOCAL_GO" "$ctx"
  rm -rf "$ctx"
  quietly golang-save podman save -q -o "$tar.tmp" "$LOCAL_GO" && mv "$tar.tmp" "$tar"
}

bases() {
  if exists "$PUBLIC_DEBIAN" || podman pull -q "$PUBLIC_DEBIAN" >/dev/null 2>&1; then :; elif ! exists "$LOCAL_DEBIAN"; then
    debian_rootfs
    quietly debian-import podman import -q \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' "$IMG_DIR/debian-bookworm.tar" "$LOCAL_DEBIAN"
  fi
  # The Go base serves only the Containerfile's own compile stage.
  [ "$COMPILE" = container ] || return 0
  if exists "$PUBLIC_GO" || podman pull -q "$PUBLIC_GO" >/dev/null 2>&1; then :; else
    exists "$LOCAL_DEBIAN" || { echo "bases: $LOCAL_DEBIAN is missing" >&2; return 1; }
    golang_image
  fi
}

# runtime_containerfile: the Containerfile's last stage (the runtime image)
# alone, taking the binary from the build context instead of the compile
# stage: the same image, from one Containerfile, without a second compile.
runtime_containerfile() {
  echo "ARG RUNTIME_IMAGE=$PUBLIC_DEBIAN"
  awk '/^FROM \$\{RUNTIME_IMAGE\}/ { on = 1 } on' "$ROOT/Containerfile" |
    sed 's|^COPY --from=build /out/tiktok /usr/local/bin/tiktok$|COPY tiktok /usr/local/bin/tiktok|'
}

build() {
  local go_image runtime_image version commit short created args=()
  runtime_image=$(pick "$PUBLIC_DEBIAN" "$LOCAL_DEBIAN")
  commit=$(git -C "$ROOT" rev-parse HEAD)
  short=$(git -C "$ROOT" rev-parse --short=12 HEAD)
  version=$(git -C "$ROOT" describe --tags --always --dirty 2>/dev/null || echo "$short")
  created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  args+=(--build-arg "RUNTIME_IMAGE=$runtime_image"
    --build-arg "VERSION=$version" --build-arg "COMMIT=$commit" --build-arg "CREATED=$created")
  local src; src=$(git -C "$ROOT" remote get-url origin 2>/dev/null || true)
  [ -z "$src" ] || args+=(--build-arg "SOURCE=$src")
  # Speed: the host's module cache serves as the first module proxy (read
  # only); the Containerfile's cache mounts keep the build cache between
  # builds. Without them (the public build) the defaults apply.
  local modcache proxy
  modcache=$(go env GOMODCACHE 2>/dev/null || true)
  if [ "$COMPILE" = container ]; then
    go_image=$(pick "$PUBLIC_GO" "$LOCAL_GO")
    args+=(--build-arg "GO_IMAGE=$go_image")
  fi
  if [ "$COMPILE" = container ] && [ -n "$modcache" ] && [ -d "$modcache/cache/download" ]; then
    proxy=$(go env GOPROXY); [ "$proxy" != off ] || proxy=https://proxy.golang.org,direct
    args+=(-v "$modcache/cache/download:/hostmod:ro" --build-arg "GOPROXY=file:///hostmod,$proxy")
  fi
  if [ "$COMPILE" = host ]; then
    # The binary built as bin/tiktok is (stamped, stripped), with the host's
    # Go cache, which the linters and bin/tiktok have filled: only a link.
    # On a bookworm host the runtime image's libc is the host's; elsewhere
    # the binary is static (a compile of its own).
    local ctx=$IMG_DIR/ctx-tiktok cgo=0
    [ "$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-}")" != bookworm ] || cgo=$(go env CGO_ENABLED)
    rm -rf "$ctx"; mkdir -p "$ctx/deploy"
    (cd "$ROOT" && CGO_ENABLED=$cgo GOCACHE=$HOST_GOCACHE go build -buildvcs=false \
      -ldflags "-s -w -X tiktok/internal/buildinfo.Version=$version -X tiktok/internal/buildinfo.Commit=$commit" \
      -o "$ctx/tiktok" ./cmd/tiktok)
    "$ctx/tiktok" version >/dev/null
    cp "$ROOT/deploy/production.yaml" "$ctx/deploy/"
    runtime_containerfile >"$ctx/Containerfile"
    grep -q '^COPY tiktok ' "$ctx/Containerfile" || { echo "build: no runtime stage found in the Containerfile" >&2; return 1; }
    quietly build podman build --network host --layers "${args[@]}" \
      -f "$ctx/Containerfile" -t "$IMAGE:$short" -t "$IMAGE:dev" "$ctx"
    rm -rf "$ctx"
  else
    quietly build podman build --network host --layers "${args[@]}" \
      -f "$ROOT/Containerfile" -t "$IMAGE:$short" -t "$IMAGE:dev" "$ROOT"
  fi
  local size
  size=$(podman image inspect --format '{{.Size}}' "$IMAGE:dev")
  echo "image.sh build: $IMAGE:$short ($IMAGE:dev), version $version, $((size / 1000000)) MB ($size bytes)"
}

DEPS=(mariadb:11 redis:7 etcd:3.5 minio:latest nats:2.10 jaeger:2)

deps() {
  local force=0 base only=""
  if [ "${1:-}" = --force ]; then force=1; shift; fi
  only=" $* "
  base=$(pick "$PUBLIC_DEBIAN" "$LOCAL_DEBIAN")
  for d in "${DEPS[@]}"; do
    local name=${d%%:*} tag=${d#*:} ref ctx t0=$SECONDS
    if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then continue; fi
    ref=localhost/tiktok-deps/$name:$tag
    if [ $force = 0 ] && exists "$ref"; then continue; fi
    ctx=$IMG_DIR/ctx-$name
    rm -rf "$ctx"; cp -a "$ROOT/deploy/images/local/$name" "$ctx"
    case $name in
      minio | jaeger)
        [ -x "$CACHE_DIR/bin/$name" ] || quietly "install-$name" bash "$ROOT/scripts/infra.sh" "install_$name"
        ln "$CACHE_DIR/bin/$name" "$ctx/$name" 2>/dev/null || cp "$CACHE_DIR/bin/$name" "$ctx/$name" ;;
    esac
    quietly "deps-$name" podman build --network host --build-arg "BASE_IMAGE=$base" -t "$ref" "$ctx"
    rm -rf "$ctx"
    echo "image.sh deps: $ref $((SECONDS - t0))s"
  done
}

all() {
  step setup setup
  step bases bases
  step build build
  step deps deps "$@"
}

cmd=${1:-all}; shift || true
case $cmd in
  setup | bases | build | deps | all) step "$cmd" "$cmd" "$@" ;;
  *) echo "usage: $0 setup | bases | build | deps [--force] | all" >&2; exit 2 ;;
esac
