// Package e2e starts the embedded system on free ports with a temporary data
// folder and drives it over HTTP the way the app does: POST parameters in the
// query string, multipart uploads of real videos made with ffmpeg.
package e2e

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
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tiktok/app"
	"tiktok/domain/media"
	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/db"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/queue"
	"tiktok/internal/storage"
)

type env struct {
	t       *testing.T
	url     string
	dataDir string
	cfg     *config.Config
	tokens  *auth.Tokens
	minio   *storage.MinIO // the remote deployment's media store
	jobs    *queue.Queue   // the video pipeline's queue (the remote one is connected on first use)
	admin   string         // the embedded system's admin listener (http://host:port)
}

// remoteConfig names the configuration of a running distributed deployment
// (scripts/cluster.sh). When set, the suite drives that deployment instead of
// starting the embedded system: the same tests, over the real components.
var remoteConfig = os.Getenv("TIKTOK_E2E_CONFIG")

func remote() bool { return remoteConfig != "" }

// start runs a fresh embedded system; mutate adjusts its configuration. In
// remote mode it empties the deployment instead (mutate cannot apply there:
// the tests read limits from e.cfg).
func start(t *testing.T, mutate ...func(*config.Config)) *env {
	t.Helper()
	if remote() {
		return startRemote(t)
	}
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Demo = false
	cfg.Log.Level = "error"
	// The suite runs under the race detector, several times slower, and its
	// storms queue hundreds of writers on one SQLite file: the production
	// bound of 3 s per call would turn that queue into 10010s.
	cfg.RPC.Timeout = 15 * time.Second
	// Each system its own admin port: tests run side by side.
	cfg.Admin.Addr = "127.0.0.1:0"
	for _, m := range mutate {
		m(cfg)
	}
	logx.Init(cfg.Log.Level, cfg.Log.Format)
	sys, err := app.Embedded(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sys.Shutdown(ctx)
	})
	return &env{t: t, url: sys.URL, dataDir: cfg.DataDir, cfg: cfg, tokens: sys.Tokens, jobs: sys.Bus.Queue, admin: sys.AdminURL}
}

// startRemote empties the running deployment (every service's tables, the
// cache, the bucket) so each test starts from nothing, as in embedded mode.
func startRemote(t *testing.T) *env {
	cfg, err := config.Load(remoteConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, svc := range []string{"user", "publish", "favorite", "comment", "relation", "message"} {
		gdb, err := db.Open(cfg, svc, nil)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		gdb.Raw("SHOW TABLES").Scan(&tables)
		for _, tb := range tables {
			// DELETE, not TRUNCATE: ids keep growing, as in production, so a
			// service's in-process memory of a video never meets a reused id.
			if tb != "goose_db_version" {
				if err := gdb.Exec("DELETE FROM `" + tb + "`").Error; err != nil {
					t.Fatal(err)
				}
			}
		}
		db.Close(gdb)
	}
	rdb := redis.NewClient(&redis.Options{Addr: cfg.Redis.Addr, DB: cfg.Redis.DB})
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Close()
	m := cfg.Storage.MinIO
	store, err := storage.NewMinIO(ctx, m.Endpoint, m.AccessKey, m.SecretKey, m.Bucket, m.UseSSL, m.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, url: "http://" + cfg.HTTP.Addr, cfg: cfg, minio: store,
		tokens: auth.New([]byte(cfg.Auth.Secret), cfg.Auth.TokenTTL)}
}

// embeddedOnly skips a test that looks inside the process (RPC and query
// counters) or runs the binary itself.
func embeddedOnly(t *testing.T) {
	if remote() {
		t.Skip("measures in-process counters; runs in the embedded suite")
	}
}

// resp is a decoded reply; raw keeps the exact JSON for presence checks.
type resp map[string]any

func (r resp) code() int64 { return int64(r["status_code"].(float64)) }

func (r resp) list(key string) []any {
	l, ok := r[key].([]any)
	if !ok {
		panic(fmt.Sprintf("%s is not a list: %#v", key, r[key]))
	}
	return l
}

func (r resp) obj(key string) map[string]any { return r[key].(map[string]any) }

func num(m map[string]any, key string) int64 { return int64(m[key].(float64)) }

var httpClient = &http.Client{Timeout: 2 * time.Minute}

func (e *env) do(req *http.Request) resp {
	e.t.Helper()
	res, err := httpClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		e.t.Fatalf("%s %s: HTTP %d: %s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		e.t.Fatalf("%s: content type %q", req.URL.Path, ct)
	}
	var r resp
	if err := json.Unmarshal(body, &r); err != nil {
		e.t.Fatalf("%s: bad JSON %q", req.URL.Path, body)
	}
	if _, ok := r["status_code"]; !ok {
		e.t.Fatalf("%s: no status_code in %s", req.URL.Path, body)
	}
	if _, ok := r["status_msg"].(string); !ok {
		e.t.Fatalf("%s: no status_msg in %s", req.URL.Path, body)
	}
	return r
}

func kv(pairs ...any) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(fmt.Sprint(pairs[i]), fmt.Sprint(pairs[i+1]))
	}
	return v
}

func (e *env) get(path string, q url.Values) resp {
	req, _ := http.NewRequest("GET", e.url+path+"?"+q.Encode(), nil)
	return e.do(req)
}

// post sends the parameters in the query string, as the app does.
func (e *env) post(path string, q url.Values) resp {
	req, _ := http.NewRequest("POST", e.url+path+"?"+q.Encode(), nil)
	return e.do(req)
}

// postRetrying is post as a client under a storm sends it: a refusal for
// now (10008: hundreds of workers on two cores under the race detector can
// outwait admission control's http.max_wait) did nothing, and is retried.
func (e *env) postRetrying(path string, q url.Values) resp {
	r := e.post(path, q)
	for try := 0; r.code() == int64(errno.CodeRateLimited) && try < 50; try++ {
		time.Sleep(100 * time.Millisecond)
		r = e.post(path, q)
	}
	return r
}

// postForm sends the parameters as an urlencoded body.
func (e *env) postForm(path string, q url.Values) resp {
	req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(q.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req)
}

func (e *env) must(r resp) resp {
	e.t.Helper()
	if r.code() != 0 {
		e.t.Fatalf("want success, got %v", r)
	}
	return r
}

func (e *env) wantCode(r resp, code int64) {
	e.t.Helper()
	if r.code() != code {
		e.t.Fatalf("want status_code %d, got %v", code, r)
	}
}

// register makes a user and returns its id and token.
func (e *env) register(name string) (int64, string) {
	e.t.Helper()
	r := e.must(e.post("/douyin/user/register/", kv("username", name, "password", "secret123")))
	return num(r, "user_id"), r["token"].(string)
}

var (
	sampleOnce sync.Once
	sampleDir  string
)

// sample returns the path of a small real mp4 (made once per test binary).
func sample(t *testing.T) string {
	t.Helper()
	sampleOnce.Do(func() {
		d, err := os.MkdirTemp("", "e2e-sample-")
		if err != nil {
			t.Fatal(err)
		}
		sampleDir = d
		if err := media.MakeSample(context.Background(), filepath.Join(d, "v.mp4"), "testsrc2", 2); err != nil {
			t.Fatal(err)
		}
	})
	return filepath.Join(sampleDir, "v.mp4")
}

// upload publishes file as the app does: a multipart form with data, token and title.
func (e *env) upload(token, title string, data io.Reader, filename string) resp {
	e.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if token != "" {
		w.WriteField("token", token)
	}
	w.WriteField("title", title)
	if data != nil {
		fw, _ := w.CreateFormFile("data", filename)
		io.Copy(fw, data)
	}
	w.Close()
	req, _ := http.NewRequest("POST", e.url+"/douyin/publish/action/", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return e.do(req)
}

func (e *env) publish(token, title string) {
	e.t.Helper()
	f, err := os.Open(sample(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	e.must(e.upload(token, title, f, "v.mp4"))
}

// mediaFiles counts stored objects (videos and covers).
func (e *env) mediaFiles() int {
	e.settle()
	if e.minio != nil {
		n, err := e.minio.Count(context.Background(), "")
		if err != nil {
			e.t.Fatal(err)
		}
		return n
	}
	n := 0
	filepath.Walk(filepath.Join(e.dataDir, "media"), func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// settle waits until the video pipeline holds no job: a job is acknowledged
// only after its clean-up (the original removed once the video is ready),
// so storage is then as the pipeline leaves it.
func (e *env) settle() {
	e.t.Helper()
	if e.jobs == nil {
		nc, err := queue.Connect(e.cfg)
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(nc.Close)
		if e.jobs, err = queue.New(nc, queue.OptionsFrom(e.cfg)); err != nil {
			e.t.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := e.jobs.Pending(context.Background())
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the video pipeline still holds %d jobs (%v)", n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// userFields are the eleven fields of API.md's User.
var userFields = []string{"id", "name", "follow_count", "follower_count", "is_follow", "avatar",
	"background_image", "signature", "total_favorited", "work_count", "favorite_count"}

var videoFields = []string{"id", "author", "play_url", "cover_url", "favorite_count", "comment_count", "is_favorite", "title"}

func checkFields(t *testing.T, m map[string]any, fields []string) {
	t.Helper()
	for _, f := range fields {
		if _, ok := m[f]; !ok {
			t.Fatalf("field %q missing in %v", f, m)
		}
	}
}

func checkVideo(t *testing.T, v map[string]any) {
	t.Helper()
	checkFields(t, v, videoFields)
	checkFields(t, v["author"].(map[string]any), userFields)
}
