// Package kube tests the Helm chart's deployment running as pods under podman
// (scripts/kube.sh up): every role and dependency its own pod with its own
// address on the network tiktok-kube, requests only to the gateway's port
// published on 127.0.0.1. It needs TIKTOK_KUBE_GATEWAY and the rest of
// `scripts/kube.sh env`; scripts/test.sh sets them.
package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"tiktok/internal/config"
	"tiktok/internal/testenv"
)

const release = "tiktok"

// services and their admin ports (the chart's: RPC port + 100).
var services = map[string]int{"user": 9201, "feed": 9202, "publish": 9203, "favorite": 9204,
	"comment": 9205, "relation": 9206, "message": 9207}

func gateway(t *testing.T) string {
	t.Helper()
	g := os.Getenv("TIKTOK_KUBE_GATEWAY")
	if g == "" {
		testenv.Need(t, "the podman deployment (scripts/kube.sh up; env)", fmt.Errorf("TIKTOK_KUBE_GATEWAY not set"))
	}
	return g
}

func podman(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("podman", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("podman %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// pods are the pods of a role's Deployment.
func pods(t *testing.T, role string) []string {
	out := podman(t, "pod", "ls", "--format", "{{.Name}}", "--filter", "name=^"+release+"-"+role+"-pod-")
	p := strings.Fields(out)
	sort.Strings(p)
	return p
}

// container is the pod's application container (not its infra container).
func container(t *testing.T, pod string) string {
	for _, c := range strings.Fields(podman(t, "pod", "inspect", pod, "--format", "{{range .Containers}}{{.Name}} {{end}}")) {
		if !strings.HasSuffix(c, "-infra") {
			return c
		}
	}
	t.Fatalf("pod %s has no container", pod)
	return ""
}

func podIP(t *testing.T, pod string) string {
	return podman(t, "inspect", container(t, pod), "--format", `{{(index .NetworkSettings.Networks "tiktok-kube").IPAddress}}`)
}

func ready(t *testing.T, pod string, adminPort int) bool {
	ip := podIP(t, pod)
	if ip == "" {
		return false
	}
	res, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + ip + ":" + strconv.Itoa(adminPort) + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == 200
}

type reply map[string]any

func (r reply) code() int64 {
	c, _ := r["status_code"].(float64)
	return int64(c)
}

var client = &http.Client{Timeout: 30 * time.Second}

func call(base, method, path string, q url.Values) (reply, error) {
	var req *http.Request
	var err error
	if method == "GET" {
		req, err = http.NewRequest("GET", base+path+"?"+q.Encode(), nil)
	} else {
		req, err = http.NewRequest("POST", base+path, strings.NewReader(q.Encode()))
		if req != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return nil, err
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", method, path, res.StatusCode, body)
	}
	var r reply
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%s %s: %v: %s", method, path, err, body)
	}
	return r, nil
}

// person registers a new user and returns its id and token.
func person(t *testing.T, base, prefix string) (int64, string) {
	t.Helper()
	name := fmt.Sprintf("%s%d", prefix, time.Now().UnixNano()%1e12)
	r, err := call(base, "POST", "/douyin/user/register/", url.Values{"username": {name}, "password": {"kube-pass-123"}})
	if err != nil || r.code() != 0 {
		t.Fatalf("register %s: %v %v", name, r, err)
	}
	return int64(r["user_id"].(float64)), r["token"].(string)
}

// Every service registers its two replicas in etcd under addresses other
// pods can dial (their pod IPs, never loopback or 0.0.0.0), and calls reach
// both: each replica's own /metrics counts calls it answered.
func TestReplicasTakeCalls(t *testing.T) {
	base := gateway(t)
	cfg, err := config.Load(os.Getenv("TIKTOK_E2E_CONFIG"))
	if err != nil {
		t.Fatal(err)
	}
	etcd, err := clientv3.New(clientv3.Config{Endpoints: cfg.Registry.EtcdEndpoints, DialTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	uid, token := person(t, base, "kr")
	// A spread of reads that call every service.
	for i := 0; i < 40; i++ {
		for _, p := range []struct{ path string }{{"/douyin/feed/"}, {"/douyin/user/"}, {"/douyin/publish/list/"},
			{"/douyin/favorite/list/"}, {"/douyin/relation/follow/list/"}, {"/douyin/message/chat/"}} {
			q := url.Values{"token": {token}, "user_id": {strconv.FormatInt(uid, 10)}, "to_user_id": {strconv.FormatInt(uid+1, 10)}}
			if r, err := call(base, "GET", p.path, q); err != nil || r.code() != 0 {
				t.Fatalf("%s: %v %v", p.path, r, err)
			}
		}
		if r, err := call(base, "GET", "/douyin/comment/list/", url.Values{"token": {token}, "video_id": {"1"}}); err != nil || !commentAnswered(r) {
			t.Fatalf("comment list: %v %v", r, err)
		}
	}
	for svc, admin := range services {
		ps := pods(t, svc)
		if len(ps) != 2 {
			t.Errorf("%s: %d pods, want 2 (values: 2 replicas)", svc, len(ps))
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		res, err := etcd.Get(ctx, "kitex/registry-etcd/"+svc+"/", clientv3.WithPrefix())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var registered []string
		for _, kv := range res.Kvs {
			var info struct {
				Address string `json:"address"`
			}
			_ = json.Unmarshal(kv.Value, &info)
			registered = append(registered, info.Address)
		}
		sort.Strings(registered)
		var want []string
		for _, p := range ps {
			want = append(want, podIP(t, p)+":"+strconv.Itoa(admin-100))
		}
		sort.Strings(want)
		if strings.Join(registered, " ") != strings.Join(want, " ") {
			t.Errorf("%s registered at %v, its pods are at %v", svc, registered, want)
		}
		for _, p := range ps {
			if n := answered(t, podIP(t, p), admin, svc); n == 0 {
				t.Errorf("%s replica %s answered no call", svc, p)
			}
		}
	}
}

// answered is the calls a service instance counts in its own metrics.
func answered(t *testing.T, ip string, admin int, svc string) float64 {
	res, err := http.Get("http://" + ip + ":" + strconv.Itoa(admin) + "/metrics")
	if err != nil {
		t.Fatalf("%s metrics: %v", svc, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var n float64
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "tiktok_rpc_server_requests_total{") && strings.Contains(line, `service="`+svc+`"`) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[1], 64)
			n += v
		}
	}
	return n
}

// Both comment pods are killed (SIGKILL to every process of the pods, their
// network with them, as when their node dies): while they are gone the
// comment list answers 10010 within the call bound and the rest of the API
// keeps answering; once the pods are back (started again, as the ReplicaSet
// would make new ones) the list answers again, with nothing else restarted.
// A crash of the process alone is covered too: podman's restart policy (the
// chart's restartPolicy: Always) restarts it within a second, faster than a
// test can see it down.
func TestKilledPodsComeBack(t *testing.T) {
	base := gateway(t)
	_, token := person(t, base, "kk")
	q := url.Values{"token": {token}, "video_id": {"1"}}
	if r, err := call(base, "GET", "/douyin/comment/list/", q); err != nil || !commentAnswered(r) {
		t.Fatalf("before: %v %v", r, err)
	}
	ps := pods(t, "comment")
	t.Cleanup(func() { startAll(ps) }) // a failure midway leaves none down for the next test
	podman(t, append([]string{"pod", "kill"}, ps...)...)
	var codes []int64
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		start := time.Now()
		r, err := call(base, "GET", "/douyin/comment/list/", q)
		took := time.Since(start)
		if err != nil {
			t.Fatalf("comment list while down: %v", err)
		}
		codes = append(codes, r.code())
		if r.code() != 10010 {
			t.Errorf("comment list while its pods are gone: %v, want 10010", r)
		}
		if took > 5*time.Second {
			t.Errorf("10010 took %v: past the call bound", took)
		}
		if f, err := call(base, "GET", "/douyin/feed/", nil); err != nil || f.code() != 0 {
			t.Errorf("feed while comment is down: %v %v", f, err)
		}
	}
	t.Logf("while down, status codes every 250 ms: %v", codes)
	for _, p := range ps {
		for i := 0; i < 40 && podman(t, "pod", "inspect", p, "--format", "{{.State}}") != "Exited"; i++ {
			time.Sleep(250 * time.Millisecond)
		}
		podman(t, "pod", "start", p)
	}
	for _, p := range ps {
		waitReady(t, p, services["comment"])
	}
	back := time.Now()
	for {
		r, err := call(base, "GET", "/douyin/comment/list/", q)
		if err == nil && commentAnswered(r) {
			break
		}
		if time.Since(back) > 30*time.Second {
			t.Fatalf("comment list still failing 30 s after its pods were ready: %v %v", r, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("answering again %v after the pods were ready", time.Since(back).Round(time.Millisecond))
}

// startAll starts pods that a failed test left down (a running pod is left
// as it is).
func startAll(ps []string) {
	for _, p := range ps {
		_ = exec.Command("podman", "pod", "start", p).Run()
	}
}

// commentAnswered: the comment service answered the list (video 1 does not
// exist: 10003, "video not found", is its answer).
func commentAnswered(r reply) bool { return r.code() == 0 || r.code() == 10003 }

func waitReady(t *testing.T, pod string, admin int) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for !ready(t, pod, admin) {
		if time.Now().After(deadline) {
			state := podman(t, "pod", "inspect", pod, "--format", "{{.State}}")
			logs, _ := exec.Command("podman", "logs", "--tail", "20", container(t, pod)).CombinedOutput()
			t.Fatalf("%s not ready after 120 s (pod %s); its last lines:\n%s", pod, state, logs)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// A rolling restart of every service, one replica of each at a time (stop
// it with SIGTERM and the chart's grace period, start it again, wait until
// ready, then the other), the services side by side, while a load generator
// sends requests that need every service to the gateway: not one request
// fails.
func TestRollingRestartLosesNothing(t *testing.T) {
	base := gateway(t)
	uid, token := person(t, base, "kroll")
	other, _ := person(t, base, "krollb")
	var sent, failed atomic.Int64
	var mu sync.Mutex
	var failures []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	reqs := []struct {
		method, path string
		q            url.Values
	}{
		{"GET", "/douyin/feed/", url.Values{"token": {token}}},
		{"GET", "/douyin/user/", url.Values{"token": {token}, "user_id": {strconv.FormatInt(other, 10)}}},
		{"GET", "/douyin/publish/list/", url.Values{"token": {token}, "user_id": {strconv.FormatInt(uid, 10)}}},
		{"GET", "/douyin/favorite/list/", url.Values{"token": {token}, "user_id": {strconv.FormatInt(uid, 10)}}},
		{"GET", "/douyin/relation/follower/list/", url.Values{"token": {token}, "user_id": {strconv.FormatInt(uid, 10)}}},
		{"GET", "/douyin/message/chat/", url.Values{"token": {token}, "to_user_id": {strconv.FormatInt(other, 10)}}},
		{"POST", "/douyin/relation/action/", url.Values{"token": {token}, "to_user_id": {strconv.FormatInt(other, 10)}, "action_type": {"1"}}},
		{"POST", "/douyin/relation/action/", url.Values{"token": {token}, "to_user_id": {strconv.FormatInt(other, 10)}, "action_type": {"2"}}},
	}
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				rq := reqs[i%len(reqs)]
				r, err := call(base, rq.method, rq.path, rq.q)
				sent.Add(1)
				if err != nil || r.code() != 0 {
					failed.Add(1)
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s %s %s: %v %v", time.Now().Format("15:04:05.000"), rq.method, rq.path, r, err))
					mu.Unlock()
				}
				time.Sleep(5 * time.Millisecond)
			}
		}(w)
	}
	start := time.Now()
	t.Cleanup(func() {
		for svc := range services {
			startAll(pods(t, svc))
		}
	})
	names := make([]string, 0, len(services))
	for s := range services {
		names = append(names, s)
	}
	sort.Strings(names)
	// As a rollout of every Deployment at once: each Deployment replaces one
	// pod at a time, all Deployments side by side. Wave i restarts pod i of
	// every service together, so each service keeps a replica up throughout.
	for wave := 0; ; wave++ {
		var ps, ctrs []string
		role := map[string]string{}
		for _, svc := range names {
			if all := pods(t, svc); wave < len(all) {
				ps, ctrs = append(ps, all[wave]), append(ctrs, container(t, all[wave]))
				role[all[wave]] = svc
			}
		}
		if len(ps) == 0 {
			break
		}
		// The application containers stop first (SIGTERM, the chart's
		// grace period; podman stops them in parallel), so each pod's
		// network stays up while it drains, as a pod's sandbox does in
		// Kubernetes: `podman pod stop` would tear it down with the pause
		// container at once. Kube play's pods then stop their pause
		// container too (exit policy "stop"), and `pod start` brings both back.
		t0 := time.Now()
		podman(t, append([]string{"stop", "-t", "40"}, ctrs...)...)
		stopped := time.Since(t0)
		// The exit policy's stop runs asynchronously: a start racing it
		// has its new process lose its network at once (exit 2). Wait
		// for every pod to be down first.
		for _, p := range ps {
			for i := 0; i < 40 && podman(t, "pod", "inspect", p, "--format", "{{.State}}") != "Exited"; i++ {
				time.Sleep(250 * time.Millisecond)
			}
		}
		time.Sleep(time.Second)
		podman(t, append([]string{"pod", "start"}, ps...)...)
		for _, p := range ps {
			waitReady(t, p, services[role[p]])
		}
		t.Logf("wave %d (%s): stopped in %v, ready again %v after the stop began", wave, strings.Join(ps, " "),
			stopped.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
		// The replacements must take calls before the other replicas go:
		// the gateway's resolver refreshes within its interval.
		time.Sleep(6 * time.Second)
	}
	close(stop)
	wg.Wait()
	t.Logf("rolling restart of %d services in %v: %d requests, %d failed", len(names), time.Since(start).Round(time.Second), sent.Load(), failed.Load())
	// Zero: a stopping instance leaves etcd, answers through the shutdown
	// delay, then drains; a call caught on the connection the caller closes
	// when its resolver drops the instance is retried on another one
	// (rpc.retryPolicies).
	if failed.Load() > 0 {
		mu.Lock()
		t.Errorf("%d of %d requests failed during the rolling restart; first ones:\n%s", failed.Load(), sent.Load(),
			strings.Join(failures[:min(len(failures), 20)], "\n"))
		mu.Unlock()
	}
	if sent.Load() < 100 {
		t.Errorf("only %d requests sent", sent.Load())
	}
}
