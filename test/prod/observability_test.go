package prod

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// adminAddrs are the admin listeners of the deployment's first instances,
// by role, as the binary reports them (`tiktok roles --admin`).
func adminAddrs(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command(filepath.Join(root, "bin", "tiktok"), "roles", "--admin", "--config", cfgFile).Output()
	if err != nil {
		t.Fatalf("tiktok roles --admin: %v", err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(l); len(f) == 2 {
			m[f[0]] = f[1]
		}
	}
	return m
}

// secondAdmin is the admin address of a role's second instance: the first's
// port + 10.
func secondAdmin(t *testing.T, role string) string {
	host, port, err := net.SplitHostPort(adminAddrs(t)[role])
	if err != nil {
		t.Fatalf("admin address of %s: %v", role, err)
	}
	p, _ := strconv.Atoi(port)
	return net.JoinHostPort(host, strconv.Itoa(p+10))
}

func probe(addr, path string) (int, string) {
	c := &http.Client{Timeout: 3 * time.Second}
	res, err := c.Get("http://" + addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Every role of the deployment answers on its admin port: alive, ready, and
// metrics with the build and readiness.
func TestRolesHealthy(t *testing.T) {
	processesOnly(t)
	setup(t)
	addrs := adminAddrs(t)
	if len(addrs) < 9 {
		t.Fatalf("roles --admin lists %d roles", len(addrs))
	}
	for role, addr := range addrs {
		if code, b := probe(addr, "/healthz"); code != 200 {
			t.Errorf("%s /healthz: %d %s", role, code, b)
		}
		// Earlier tests stop and restart roles: a moment to settle.
		eventually(t, 20*time.Second, role+" ready", func() bool { code, _ := probe(addr, "/readyz"); return code == 200 })
		_, m := probe(addr, "/metrics")
		if !strings.Contains(m, "tiktok_ready 1") || !strings.Contains(m, "tiktok_build_info{") {
			t.Errorf("%s /metrics lacks tiktok_ready 1 or the build info", role)
		}
	}
}

// proxy forwards TCP connections to target until closed; closing it also
// cuts the connections in flight, as a database host going away would.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func newProxy(t *testing.T, addr, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// A service is ready only while its database answers: a second relation
// instance reaches MariaDB through a proxy; cutting the proxy makes it not
// ready (naming the database), restoring it makes it ready again, without a
// restart. At SIGTERM it stops being ready at once and stays alive through
// its shutdown delay, then exits.
func TestReadinessFollowsDatabase(t *testing.T) {
	processesOnly(t)
	cfg, _ := setup(t)
	m := regexp.MustCompile(`@tcp\(([^)]+)\)`).FindStringSubmatch(cfg.Database.DSN)
	if m == nil {
		t.Fatalf("no tcp address in the DSN %q", cfg.Database.DSN)
	}
	p := newProxy(t, "127.0.0.1:0", m[1])
	paddr := p.ln.Addr().String()
	defer func() { p.Close() }()
	dsn := strings.Replace(cfg.Database.DSN, m[0], "@tcp("+paddr+")", 1)
	admin := secondAdmin(t, "relation")
	startRole(t, "relation-2", "relation", "TIKTOK_SERVICES_RELATION=127.0.0.1:9116",
		"TIKTOK_DATABASE_DSN="+dsn, "TIKTOK_ADMIN_SHUTDOWN_DELAY=3s")
	stopped := false
	defer func() {
		if !stopped {
			stopRole(t, "relation-2")
		}
	}()
	eventually(t, 30*time.Second, "relation-2 ready", func() bool { c, _ := probe(admin, "/readyz"); return c == 200 })

	p.Close()
	eventually(t, 10*time.Second, "relation-2 not ready without its database", func() bool {
		c, b := probe(admin, "/readyz")
		return c == 503 && strings.Contains(b, "database")
	})
	if c, _ := probe(admin, "/healthz"); c != 200 {
		t.Fatalf("/healthz without the database: %d (alive, only not ready)", c)
	}
	p = newProxy(t, paddr, m[1])
	eventually(t, 10*time.Second, "relation-2 ready again", func() bool { c, _ := probe(admin, "/readyz"); return c == 200 })

	b, _ := os.ReadFile(filepath.Join(runDir, "pids", "relation-2.pid"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	eventually(t, 2*time.Second, "not ready right after SIGTERM", func() bool {
		code, body := probe(admin, "/readyz")
		return code == 503 && strings.Contains(body, "shutting down")
	})
	if time.Since(sent) > 2*time.Second {
		t.Fatal("took longer than the shutdown delay")
	}
	if c, _ := probe(admin, "/healthz"); c != 200 {
		t.Fatalf("/healthz during the shutdown delay: %d", c)
	}
	stopRole(t, "relation-2")
	stopped = true
	// The gateway's resolver drops relation-2 at its next refresh (as in
	// TestSecondInstance): the tests after this one must not meet it.
	time.Sleep(6 * time.Second)
}

// promURL is the Prometheus the scripts run (scripts/prometheus.sh).
var promURL = envOr("TIKTOK_PROMETHEUS", "http://127.0.0.1:9090")

type promSeries struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s promSeries) value() float64 {
	v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
	return v
}

// promQuery runs an instant query.
func promQuery(t *testing.T, expr string) []promSeries {
	t.Helper()
	res, err := http.Get(promURL + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		t.Fatalf("prometheus: %v", err)
	}
	defer res.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []promSeries `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %v %s", expr, err, r.Error)
	}
	return r.Data.Result
}

func promNeeded(t *testing.T) {
	setup(t)
	res, err := http.Get(promURL + "/-/ready")
	if err != nil {
		t.Fatalf("Prometheus is not running at %s (scripts/infra.sh start runs it): %v", promURL, err)
	}
	res.Body.Close()
}

// target tells Prometheus to scrape name (role, at addr), as scripts/lib.sh's
// prom_target does; the returned func removes it.
func target(t *testing.T, name, role, addr string) func() {
	t.Helper()
	dir := filepath.Join(runDir, "prometheus", "targets")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal([]map[string]any{{"targets": []string{addr}, "labels": map[string]string{"role": role, "name": name}}})
	tmp := filepath.Join(dir, "."+name+".json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name+".json")); err != nil {
		t.Fatal(err)
	}
	return func() { os.Remove(filepath.Join(dir, name+".json")) }
}

// Prometheus scrapes every role instance the scripts started, through the
// file-based targets cluster.sh keeps.
func TestPrometheusScrapesEveryRole(t *testing.T) {
	processesOnly(t)
	promNeeded(t)
	for name := range adminAddrs(t) {
		eventually(t, 60*time.Second, name+" up in Prometheus", func() bool {
			r := promQuery(t, `up{job="tiktok",name="`+name+`"}`)
			return len(r) == 1 && r[0].value() == 1
		})
	}
}

// gatewayFeedCount sums the feed's request counter on the gateway's own
// /metrics.
func gatewayFeedCount(t *testing.T) float64 {
	total := 0.0
	for _, a := range []string{adminAddrs(t)["gateway"]} {
		_, m := probe(a, "/metrics")
		for _, l := range strings.Split(m, "\n") {
			if strings.HasPrefix(l, "tiktok_http_requests_total{") && strings.Contains(l, `route="/douyin/feed/"`) {
				f := strings.Fields(l)
				v, _ := strconv.ParseFloat(f[len(f)-1], 64)
				total += v
			}
		}
	}
	return total
}

// The request count Prometheus holds is the number of requests sent: once
// it has caught up with the gateway (the instance at base), 50 more feed requests add exactly 50
// within a few scrapes.
func TestPrometheusCountsRequests(t *testing.T) {
	processesOnly(t)
	_, base := setup(t)
	promNeeded(t)
	const expr = `sum(tiktok_http_requests_total{job="tiktok",name="gateway",route="/douyin/feed/"})`
	var before float64
	eventually(t, 60*time.Second, "Prometheus caught up with the gateways", func() bool {
		r := promQuery(t, expr)
		if len(r) != 1 {
			return false
		}
		before = r[0].value()
		return before == gatewayFeedCount(t)
	})
	const n = 50
	for i := 0; i < n; i++ {
		if r, _ := call(t, "GET", base+"/douyin/feed/", nil); r.code() != 0 {
			t.Fatalf("feed: %v", r)
		}
	}
	var got float64
	eventually(t, 60*time.Second, "50 more feed requests in Prometheus", func() bool {
		r := promQuery(t, expr)
		if len(r) == 1 {
			got = r[0].value() - before
		}
		return got == n
	})
}

// exprs are every PromQL expression of the dashboard's panels (rows
// included), with Grafana's variables replaced as Grafana would.
func dashboardExprs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "deploy", "grafana", "tiktok.json"))
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var d struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	out := map[string]string{}
	var walk func([]json.RawMessage)
	walk = func(ps []json.RawMessage) {
		for _, raw := range ps {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			for i, tg := range p.Targets {
				if tg.Expr == "" {
					continue
				}
				e := strings.NewReplacer("$__rate_interval", "1m", "${__rate_interval}", "1m", "$__interval", "15s",
					"${__interval}", "15s", "$__range", "5m", "${__range}", "5m").Replace(tg.Expr)
				out[fmt.Sprintf("%s #%d", p.Title, i)] = e
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	if len(out) < 10 {
		t.Fatalf("the dashboard has %d expressions", len(out))
	}
	return out
}

// Every panel of the dashboard shows data after a little of everything the
// app does: feed, login (a wrong one too, past its limit), likes, comments,
// a publish the media workers transcode.
func TestDashboardShowsData(t *testing.T) {
	processesOnly(t)
	_, base := setup(t)
	promNeeded(t)
	exprs := dashboardExprs(t)
	uid, token := register(t, base, "dash")
	publish(t, base, token)
	feed, _ := call(t, "GET", base+"/douyin/feed/", url.Values{"token": {token}})
	vs, _ := feed["video_list"].([]any)
	if len(vs) == 0 {
		t.Fatal("empty feed")
	}
	vid := fmt.Sprint(int64(vs[0].(map[string]any)["id"].(float64)))
	for i := 0; i < 5; i++ {
		call(t, "POST", base+"/douyin/favorite/action/", url.Values{"token": {token}, "video_id": {vid}, "action_type": {"1"}})
		call(t, "POST", base+"/douyin/favorite/action/", url.Values{"token": {token}, "video_id": {vid}, "action_type": {"2"}})
		call(t, "GET", base+"/douyin/comment/list/", url.Values{"token": {token}, "video_id": {vid}})
		call(t, "GET", base+"/douyin/user/", url.Values{"token": {token}, "user_id": {fmt.Sprint(uid)}})
	}
	call(t, "POST", base+"/douyin/comment/action/", url.Values{"token": {token}, "video_id": {vid}, "action_type": {"1"}, "comment_text": {"hi"}})
	// Wrong passwords past login_account's burst: a rate-limit refusal.
	name := fmt.Sprintf("nobody_%d", time.Now().UnixNano()%1e9)
	for i := 0; i < 7; i++ {
		call(t, "POST", base+"/douyin/user/login/", url.Values{"username": {name}, "password": {"wrong-pass"}})
	}
	var empty map[string]string
	deadline := time.Now().Add(90 * time.Second)
	for {
		empty = map[string]string{}
		for title, e := range exprs {
			if len(promQuery(t, e)) == 0 {
				empty[title] = e
			}
		}
		if len(empty) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	for title, e := range empty {
		t.Errorf("panel %q returns no data: %s", title, e)
	}
	// The pages above read users and videos the cache holds: hits.
	const ratio = `sum(increase(tiktok_cache_hits_total{job="tiktok"}[5m])) / ` +
		`(sum(increase(tiktok_cache_hits_total{job="tiktok"}[5m])) + sum(increase(tiktok_cache_misses_total{job="tiktok"}[5m])))`
	eventually(t, 30*time.Second, "a non-zero cache hit ratio", func() bool {
		r := promQuery(t, ratio)
		if len(r) == 1 && r[0].value() > 0 {
			t.Logf("cache hit ratio over 5 min: %.3f", r[0].value())
			return true
		}
		return false
	})
}

// A sampled request's latency carries its trace id as an exemplar: from a
// slow bucket an operator jumps to the trace in Jaeger.
func TestLatencyExemplarIsTraceID(t *testing.T) {
	processesOnly(t)
	_, base := setup(t)
	promNeeded(t)
	traceID := fmt.Sprintf("%032x", time.Now().UnixNano())
	req, _ := http.NewRequest("GET", base+"/douyin/feed/", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	start := time.Now().Add(-time.Minute).Unix()
	eventually(t, 60*time.Second, "exemplar with trace "+traceID, func() bool {
		q := url.Values{"query": {`tiktok_http_request_duration_seconds_bucket{route="/douyin/feed/"}`},
			"start": {strconv.FormatInt(start, 10)}, "end": {strconv.FormatInt(time.Now().Unix()+60, 10)}}
		res, err := http.Get(promURL + "/api/v1/query_exemplars?" + q.Encode())
		if err != nil {
			return false
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return strings.Contains(string(b), traceID)
	})
}

// Killing an instance fires TiktokInstanceDown for it within the alert's
// window (scripts/test.sh shortens every `for` to PROM_ALERT_FOR). The
// instance is a second media worker: it registers nowhere, so killing it
// leaves no stale address for the other tests.
func TestInstanceDownAlertFires(t *testing.T) {
	processesOnly(t)
	promNeeded(t)
	admin := secondAdmin(t, "media")
	startRole(t, "media-2", "media")
	untarget := target(t, "media-2", "media", admin)
	defer untarget()
	eventually(t, 60*time.Second, "media-2 up in Prometheus", func() bool {
		r := promQuery(t, `up{name="media-2"}`)
		return len(r) == 1 && r[0].value() == 1
	})
	b, _ := os.ReadFile(filepath.Join(runDir, "pids", "media-2.pid"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(runDir, "pids", "media-2.pid"))
	killed := time.Now()
	eventually(t, 120*time.Second, "TiktokInstanceDown firing for media-2", func() bool {
		res, err := http.Get(promURL + "/api/v1/alerts")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var r struct {
			Data struct {
				Alerts []struct {
					Labels map[string]string `json:"labels"`
					State  string            `json:"state"`
				} `json:"alerts"`
			} `json:"data"`
		}
		if json.NewDecoder(res.Body).Decode(&r) != nil {
			return false
		}
		for _, a := range r.Data.Alerts {
			if a.Labels["alertname"] == "TiktokInstanceDown" && a.Labels["name"] == "media-2" && a.State == "firing" {
				return true
			}
		}
		return false
	})
	t.Logf("TiktokInstanceDown fired %v after the kill", time.Since(killed).Round(time.Second))
}
