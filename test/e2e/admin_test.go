package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// adminGet fetches path from the embedded system's admin listener.
func (e *env) adminGet(path string) (int, string) {
	e.t.Helper()
	res, err := http.Get(e.admin + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// metricValue is the value of the series of name whose labels include every one
// of labels (in the text exposition), or -1.
func metricValue(body, name string, labels ...string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			return v
		}
	}
	return -1
}

// The admin listener of `serve` (docs/OPERATIONS.md): alive, ready once
// everything is up, and metrics that follow what the app did, on the API's
// route templates, never its raw paths.
func TestAdminListener(t *testing.T) {
	embeddedOnly(t)
	e := start(t)
	if e.admin == "" {
		t.Fatal("no admin listener")
	}
	if code, b := e.adminGet("/healthz"); code != 200 || b != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, b)
	}
	if code, b := e.adminGet("/readyz"); code != 200 {
		t.Fatalf("/readyz: %d %q", code, b)
	}
	// The API is not on the admin port, and the admin is not on the API's.
	if code, _ := e.adminGet("/douyin/feed/"); code != 404 {
		t.Fatalf("the API on the admin port: %d", code)
	}
	res, err := http.Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("/metrics on the public port: %d", res.StatusCode)
	}

	_, before := e.adminGet("/metrics")
	route := `route="/douyin/feed/"`
	feed0 := max(metricValue(before, "tiktok_http_requests_total", route, `code="0"`), 0)
	e.must(e.get("/douyin/feed/", kv()))
	e.must(e.get("/douyin/feed", kv()))
	_, tok := e.register("metrics_user")
	bad := e.get("/douyin/user/", kv("user_id", "999999", "token", tok))
	if bad.code() != 10003 {
		t.Fatalf("unknown user: %d", bad.code())
	}
	if r := e.post("/douyin/user/login/", kv("username", "metrics_user", "password", "wrong-password")); r.code() != 10002 {
		t.Fatalf("a wrong password: %d", r.code())
	}
	if res, err := http.Get(e.url + "/douyin/no/such/route/123"); err == nil {
		res.Body.Close()
	}
	_, after := e.adminGet("/metrics")
	if got := metricValue(after, "tiktok_http_requests_total", route, `code="0"`, `outcome="success"`) - feed0; got != 2 {
		t.Errorf("feed requests counted %v, want 2", got)
	}
	if metricValue(after, "tiktok_http_requests_total", `route="/douyin/user/"`, `code="10003"`, `outcome="client_error"`) < 1 {
		t.Error("the 10003 reply is not counted")
	}
	if regexp.MustCompile(`route="[^"]*(123|999999)`).MatchString(after) {
		t.Error("a raw path or id in a route label")
	}
	for _, want := range [][]string{
		{"tiktok_http_request_duration_seconds_count", route},
		{"tiktok_rpc_server_requests_total", `service="feed"`, `method="Feed"`, `outcome="ok"`},
		{"tiktok_rpc_client_requests_total", `service="user"`, `method="Login"`, `outcome="biz_error"`},
		{"tiktok_rpc_server_requests_total", `service="user"`, `method="Login"`, `outcome="biz_error"`},
		{"tiktok_rpc_server_duration_seconds_count", `service="user"`},
		{"go_sql_open_connections", `db_name="user"`},
		{"tiktok_build_info"},
		{"tiktok_ready"},
		{"go_goroutines"},
	} {
		if metricValue(after, want[0], want[1:]...) < 0 {
			t.Errorf("/metrics lacks %v", want)
		}
	}
	if metricValue(after, "tiktok_ready") != 1 {
		t.Error("tiktok_ready is not 1")
	}
}
