// Package prod tests what only the distributed deployment has: traces in
// Jaeger, a service process going down and coming back, a second instance
// found through etcd, and Redis going away. It runs against the system that
// scripts/cluster.sh started (TIKTOK_E2E_CONFIG names its configuration) and
// stops and starts its processes by PID, as the scripts do.
package prod

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tiktok/domain/media"
	"tiktok/internal/config"
	"tiktok/internal/errno"
)

var (
	cfgFile = os.Getenv("TIKTOK_E2E_CONFIG")
	root, _ = filepath.Abs("../..")
	runDir  = envOr("TIKTOK_RUN_DIR", filepath.Join(root, ".run"))
)

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

// onPods: the deployment is the Helm chart's pods (scripts/kube.sh env sets
// TIKTOK_PROD_TARGET=kube). The tests that speak to it over the network run
// there too; those that drive local processes, ports or servers by PID skip
// with pods (test/kube does that part on the pods).
var onPods = os.Getenv("TIKTOK_PROD_TARGET") == "kube"

// processesOnly skips a test that drives the deployment's local processes.
func processesOnly(t *testing.T) {
	t.Helper()
	if onPods {
		t.Skip("drives local processes by PID and port; on the pods test/kube kills and restarts them")
	}
}

// jaegerQuery is the Jaeger query API's base URL.
var jaegerQuery = envOr("TIKTOK_JAEGER_QUERY", "http://127.0.0.1:16686")

func setup(t *testing.T) (*config.Config, string) {
	if cfgFile == "" {
		t.Skip("needs the distributed deployment (TIKTOK_E2E_CONFIG)")
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, "http://" + cfg.HTTP.Addr
}

type reply map[string]any

func (r reply) code() int64 { return int64(r["status_code"].(float64)) }

func call(t *testing.T, method, u string, q url.Values) (reply, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, u+"?"+q.Encode(), nil)
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	var r reply
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != 200 {
		t.Fatalf("%s %s: HTTP %d %v", method, u, res.StatusCode, err)
	}
	return r, res.Header
}

func register(t *testing.T, base, name string) (int64, string) {
	name = fmt.Sprintf("%s_%d", name, time.Now().UnixNano()%1e9)
	r, _ := call(t, "POST", base+"/douyin/user/register/", url.Values{"username": {name}, "password": {"secret123"}})
	if r.code() != 0 {
		t.Fatalf("register: %v", r)
	}
	return int64(r["user_id"].(float64)), r["token"].(string)
}

// publish uploads a small real video as the app does.
func publish(t *testing.T, base, token string) {
	t.Helper()
	dir := t.TempDir()
	v := filepath.Join(dir, "v.mp4")
	if err := media.MakeSample(context.Background(), v, "testsrc2", 1); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(v)
	defer f.Close()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("token", token)
	w.WriteField("title", "traced")
	fw, _ := w.CreateFormFile("data", "v.mp4")
	io.Copy(fw, f)
	w.Close()
	res, err := http.Post(base+"/douyin/publish/action/", w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r reply
	json.NewDecoder(res.Body).Decode(&r)
	if r.code() != 0 {
		t.Fatalf("publish: %v", r)
	}
}

// role runs one role of the binary like scripts/cluster.sh does, recording its
// PID in the run folder so that scripts/stop.sh can stop it too.
func startRole(t *testing.T, name, role string, env ...string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(runDir, "logs", name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "bin", "tiktok"), role, "--config", cfgFile)
	// A second instance takes its role's admin port + 10 (as the scripts
	// do), unless env says otherwise.
	if strings.HasSuffix(name, "-2") {
		env = append([]string{"TIKTOK_ADMIN_ADDR=" + secondAdmin(t, role)}, env...)
	}
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait() // reap it when it exits
	os.WriteFile(filepath.Join(runDir, "pids", name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
}

// stopRole stops the process recorded for name with SIGTERM (graceful: it
// deregisters from etcd) and waits for it to exit.
func stopRole(t *testing.T, name string) {
	t.Helper()
	f := filepath.Join(runDir, "pids", name+".pid")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatalf("no pid for %s: %v", name, err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Fatalf("%s (pid %d) did not stop", name, pid)
	}
	os.Remove(f)
}

// eventually retries check until it returns true or d passes.
func eventually(t *testing.T, d time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if check() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v", what, d)
}

// TestFeedTraceInJaeger: one feed request of a logged-in viewer is one trace
// holding spans of the gateway and of every service the feed touches.
func TestFeedTraceInJaeger(t *testing.T) {
	_, base := setup(t)
	_, token := register(t, base, "tracer")
	publish(t, base, token) // a page with a video reaches every service
	// Production samples 1% of requests; a sampled traceparent forces this one.
	traceID := fmt.Sprintf("%032x", time.Now().UnixNano())
	req, _ := http.NewRequest("GET", base+"/douyin/feed/?token="+url.QueryEscape(token), nil)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("X-Trace-Id"); got != traceID {
		t.Fatalf("X-Trace-Id %q, want %q: is tracing on?", got, traceID)
	}
	want := []string{"gateway", "feed", "publish", "user", "favorite", "comment", "relation"}
	var got map[string]int
	eventually(t, 20*time.Second, "trace "+traceID+" with every service", func() bool {
		res, err := http.Get(jaegerQuery + "/api/traces/" + traceID)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var body struct {
			Data []struct {
				Spans []struct {
					ProcessID     string `json:"processID"`
					OperationName string `json:"operationName"`
				} `json:"spans"`
				Processes map[string]struct {
					ServiceName string `json:"serviceName"`
				} `json:"processes"`
			} `json:"data"`
		}
		raw, _ := io.ReadAll(res.Body)
		if json.Unmarshal(raw, &body) != nil || len(body.Data) != 1 {
			return false
		}
		got = map[string]int{}
		for _, s := range body.Data[0].Spans {
			got[body.Data[0].Processes[s.ProcessID].ServiceName]++
		}
		for _, w := range want {
			if got[w] == 0 {
				return false
			}
		}
		return true
	})
	t.Logf("trace %s: spans per service %v", traceID, got)
}

// TestServiceDownAndBack: with the comment service stopped, endpoints that
// need it answer "service unavailable" within the RPC bound, the feed still
// scrolls; once it is started again, they work again, with no restart.
func TestServiceDownAndBack(t *testing.T) {
	processesOnly(t)
	cfg, base := setup(t)
	_, token := register(t, base, "faulty")
	feed, _ := call(t, "GET", base+"/douyin/feed/", url.Values{"token": {token}})
	if feed.code() != 0 {
		t.Fatalf("feed: %v", feed)
	}
	stopRole(t, "comment")
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			startRole(t, "comment", "comment")
		}
	})
	bound := cfg.RPC.Timeout + 2*time.Second
	for _, c := range []struct {
		method, path string
		q            url.Values
	}{
		{"GET", "/douyin/comment/list/", url.Values{"video_id": {"1"}}},
		{"POST", "/douyin/comment/action/", url.Values{"token": {token}, "video_id": {"1"}, "action_type": {"1"}, "comment_text": {"hi"}}},
	} {
		start := time.Now()
		r, _ := call(t, c.method, base+c.path, c.q)
		took := time.Since(start)
		if r.code() != int64(errno.CodeServiceUnavailable) || took > bound {
			t.Fatalf("%s with comment down: %v after %v (bound %v)", c.path, r, took, bound)
		}
		t.Logf("%s with comment down: %d %q in %v", c.path, r.code(), r["status_msg"], took.Round(time.Millisecond))
	}
	// The feed degrades instead of failing: comment counts read 0 meanwhile.
	start := time.Now()
	r, _ := call(t, "GET", base+"/douyin/feed/", url.Values{"token": {token}})
	if r.code() != 0 || time.Since(start) > bound {
		t.Fatalf("feed with comment down: %v after %v", r, time.Since(start))
	}
	startRole(t, "comment", "comment")
	restarted = true
	eventually(t, 30*time.Second, "comment list works again", func() bool {
		r, _ := call(t, "GET", base+"/douyin/comment/list/", url.Values{"video_id": {"900000000001"}})
		return r.code() == int64(errno.CodeNotFound) // reached the service: the video is unknown
	})
}

// TestSecondInstance: a second user service started later receives calls
// through etcd with nothing restarted; once the first stops, it serves alone;
// a stopped instance stops receiving calls.
func TestSecondInstance(t *testing.T) {
	processesOnly(t)
	_, base := setup(t)
	id, _ := register(t, base, "scaled")
	startRole(t, "user-2", "user", "TIKTOK_SERVICES_USER=127.0.0.1:9111")
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(runDir, "pids", "user.pid")); err != nil {
			startRole(t, "user", "user")
			time.Sleep(6 * time.Second) // let clients see it before the next test
		}
		if _, err := os.Stat(filepath.Join(runDir, "pids", "user-2.pid")); err == nil {
			stopRole(t, "user-2")
		}
	})
	info := func() int64 {
		r, _ := call(t, "GET", base+"/douyin/user/", url.Values{"user_id": {strconv.FormatInt(id, 10)}})
		return r.code()
	}
	// It registers; then with the first instance gone, every call lands on it.
	eventually(t, 15*time.Second, "second instance registered", func() bool {
		out, _ := exec.Command("etcdctl", "--endpoints=127.0.0.1:2379", "get", "--prefix", "--keys-only", "kitex/registry-etcd/user/").Output()
		return strings.Contains(string(out), "127.0.0.1:9111")
	})
	time.Sleep(6 * time.Second) // one resolver refresh: clients now know both
	stopRole(t, "user")
	for i := 0; i < 20; i++ {
		if c := info(); c != 0 {
			t.Fatalf("call %d after the first instance stopped: %d", i, c)
		}
	}
	startRole(t, "user", "user")
	time.Sleep(6 * time.Second)
	stopRole(t, "user-2")
	for i := 0; i < 20; i++ {
		if c := info(); c != 0 {
			t.Fatalf("call %d after the second instance stopped: %d", i, c)
		}
	}
}

// TestRedisDown: with Redis stopped every request still succeeds from the
// database; started again, caching resumes.
func TestRedisDown(t *testing.T) {
	processesOnly(t)
	cfg, base := setup(t)
	rdb := redis.NewClient(&redis.Options{Addr: cfg.Redis.Addr})
	defer rdb.Close()
	ctx := context.Background()
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		t.Fatalf("redis: %v", err)
	}
	var pid int
	for _, line := range strings.Split(info, "\n") {
		if strings.HasPrefix(line, "process_id:") {
			pid, _ = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "process_id:")))
		}
	}
	if pid == 0 {
		t.Fatal("no redis pid")
	}
	uid, token := register(t, base, "nocache")
	restart := func() {
		// The machine's own start command for Redis (no persistence).
		exec.Command("redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
			"--save", "", "--appendonly", "no", "--dir", os.TempDir(), "--logfile", filepath.Join(runDir, "logs", "redis.log")).Run()
		eventually(t, 10*time.Second, "redis back", func() bool { return rdb.Ping(ctx).Err() == nil })
	}
	syscall.Kill(pid, syscall.SIGTERM)
	eventually(t, 10*time.Second, "redis stopped", func() bool { return rdb.Ping(ctx).Err() != nil })
	defer func() {
		if rdb.Ping(ctx).Err() != nil {
			restart()
		}
	}()
	q := url.Values{"token": {token}, "user_id": {strconv.FormatInt(uid, 10)}}
	for i := 0; i < 5; i++ {
		for _, p := range []string{"/douyin/feed/", "/douyin/user/", "/douyin/publish/list/", "/douyin/relation/follow/list/"} {
			start := time.Now()
			r, _ := call(t, "GET", base+p, q)
			if r.code() != 0 || time.Since(start) > 2*time.Second {
				t.Fatalf("%s with Redis down: %v in %v", p, r, time.Since(start))
			}
		}
	}
	restart()
	eventually(t, 15*time.Second, "caching resumes", func() bool {
		call(t, "GET", base+"/douyin/user/", q)
		// (user records themselves stay in the user service's memory once read)
		n, _ := rdb.Exists(ctx, fmt.Sprintf("rel:follows:%d", uid)).Result()
		return n == 1
	})
}
