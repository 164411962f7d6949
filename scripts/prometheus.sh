#!/usr/bin/env bash
# Prometheus for the distributed deployment, on 127.0.0.1:9090 (Debian's
# package, installed when missing). It scrapes every role instance's admin
# listener (/metrics) found in $RUN_DIR/prometheus/targets/*.json, which
# scripts/cluster.sh writes for each instance it starts (lib.sh, prom_target),
# and evaluates deploy/prometheus/rules (docs/OPERATIONS.md, Prometheus).
#   scripts/prometheus.sh start | stop | status | targets | check
# start renders deploy/prometheus/ into $RUN_DIR/prometheus/ and starts the
# server (or has a running one reload); stop stops it by PID; targets lists
# what it scrapes and how that went; check runs promtool on the config, the
# rules, their unit tests and the dashboard's queries (no server needed).
# Environment: PROM_INTERVAL (scrape and rule evaluation interval, default
# 15s), PROM_ALERT_FOR (replaces every alert's `for` window, e.g. 10s, for a
# test that waits for an alert).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
PROM_DIR=$RUN_DIR/prometheus
PROM_ADDR=127.0.0.1:9090
SRC=$ROOT/deploy/prometheus

# render DIR: the runtime configuration in DIR: prometheus.yml from the
# template, with the interval and DIR filled in, and the rule files beside it.
render() {
  local dir=$1
  mkdir -p "$dir/rules" "$dir/targets"
  sed -e "s|\${PROM_INTERVAL}|${PROM_INTERVAL:-15s}|g" -e "s|\${PROM_DIR}|$dir|g" \
    "$SRC/prometheus.yml" >"$dir/prometheus.yml"
  cp "$SRC/rules/recording.yml" "$dir/rules/recording.yml"
  if [ -n "${PROM_ALERT_FOR:-}" ]; then
    # Every alert's `for:` sits on a line of its own (alerts.yml says so).
    sed -E "s|^([[:space:]]*for:[[:space:]]*).*|\1$PROM_ALERT_FOR|" "$SRC/rules/alerts.yml" >"$dir/rules/alerts.yml"
  else
    cp "$SRC/rules/alerts.yml" "$dir/rules/alerts.yml"
  fi
}

port_busy() { (exec 3<>"/dev/tcp/${PROM_ADDR%:*}/${PROM_ADDR##*:}") 2>/dev/null; }

start() {
  ensure_prometheus
  render "$PROM_DIR"
  promtool check config --syntax-only "$PROM_DIR/prometheus.yml" >/dev/null
  if running prometheus; then
    # --web.enable-lifecycle: the running server rereads config and rules.
    curl -sf -X POST "http://$PROM_ADDR/-/reload"
    echo "prometheus reloaded: http://$PROM_ADDR"
    return 0
  fi
  if port_busy; then
    # Most likely the package's own service (the package installed by hand,
    # or started by an init system at boot): only ours may listen here.
    stop_package_prometheus
    for _ in $(seq 1 20); do port_busy || break; sleep 0.5; done
    if port_busy; then echo "something else listens on $PROM_ADDR; stop it first" >&2; return 1; fi
  fi
  # Exemplars: the gateway's latency histogram carries the trace id of
  # sampled requests, which a dashboard links to Jaeger.
  start_bg prometheus /usr/bin/prometheus \
    --config.file="$PROM_DIR/prometheus.yml" \
    --storage.tsdb.path="$PROM_DIR/data" \
    --web.listen-address="$PROM_ADDR" \
    --enable-feature=exemplar-storage \
    --web.enable-lifecycle
  wait_for prometheus curl -sf "http://$PROM_ADDR/-/ready"
  echo "prometheus up: http://$PROM_ADDR (targets in $PROM_DIR/targets)"
}

stop() { stop_pid prometheus; }

status() {
  if running prometheus; then echo "prometheus: running (pid $(cat "$RUN_DIR/pids/prometheus.pid"), http://$PROM_ADDR)"
  else echo "prometheus: stopped"; fi
}

# targets: every target with its health, last scrape and error.
targets() {
  curl -sf "http://$PROM_ADDR/api/v1/targets?state=active" | python3 -c '
import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    l = t["labels"]
    print(l.get("name", "?"), l.get("role", "?"), t["scrapeUrl"], t["health"], t["lastScrape"][:19], t["lastError"], sep="\t")
'
}

# check: promtool on everything under deploy/ (what scripts/test.sh runs).
# The dashboard's queries become recording rules of a scratch file, so
# promtool parses each one ($__rate_interval as 1m, $__interval as 15s).
check() {
  ensure_prometheus
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  render "$tmp"
  promtool check config "$tmp/prometheus.yml"
  promtool check rules "$SRC"/rules/*.yml
  promtool test rules "$SRC"/tests/*.yml
  python3 - "$ROOT/deploy/grafana/tiktok.json" >"$tmp/dashboard.yml" <<'PY'
import json, sys
exprs = []
def walk(panels):
    for p in panels:
        walk(p.get("panels", []))
        for t in p.get("targets", []):
            if t.get("expr"):
                exprs.append((p.get("title", "?"), t["expr"]))
walk(json.load(open(sys.argv[1]))["panels"])
if not exprs:
    sys.exit("no queries in the dashboard")
print("groups:\n  - name: dashboard\n    rules:")
for i, (title, e) in enumerate(exprs):
    e = e.replace("$__rate_interval", "1m").replace("$__interval", "15s")
    print("      # " + title.replace("\n", " "))
    print("      - record: dashboard:query:%d" % i)
    print("        expr: " + json.dumps(e))
PY
  promtool check rules "$tmp/dashboard.yml" 2>&1 | sed 's|'"$tmp"'/dashboard.yml|deploy/grafana/tiktok.json (its queries)|'
}

"${1:-start}"
