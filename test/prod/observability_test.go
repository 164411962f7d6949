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
	setup(t)
	addrs := adminAddrs(t)
	if len(addrs) < 9 {
		t.Fatalf("roles --admin lists %d roles", len(addrs))
	}
	for role, addr := range addrs {
		if code, b := probe(addr, "/healthz"); code != 200 {
			t.Errorf("%s /healthz: %d %s", role, code, b)
		}
		if code, b := probe(addr, "/readyz"); code != 200 {
			t.Errorf("%s /readyz: %d %s", role, code, b)
		}
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
