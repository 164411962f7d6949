package gateway

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/errno"
)

// Past http.max_in_flight a request waits at most http.max_wait, then is
// answered 10008 with Retry-After in its route's reply shape; the upload is
// not gated.
func TestAdmissionRefusesPastTheBound(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.MaxInFlight, cfg.HTTP.MaxWaiting, cfg.HTTP.MaxWait = 1, 4, 30*time.Millisecond
	g := New(cfg, &Clients{}, auth.New([]byte("0123456789abcdef0123456789abcdef"), time.Hour), minioLike{})
	r := g.Router()
	do := func(method, path string) (map[string]any, string) {
		w := httptest.NewRecorder()
		req := httptest.NewRequest(method, path, nil)
		if method == "POST" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		r.ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("%s %s: HTTP %d", method, path, w.Code)
		}
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, w.Body)
		}
		return m, w.Header().Get("Retry-After")
	}
	release, ok := g.gate.Enter(context.Background())
	if !ok {
		t.Fatal("an empty gate refused")
	}
	start := time.Now()
	m, retry := do("GET", "/douyin/feed/")
	if m["status_code"] != float64(errno.CodeRateLimited) || retry != "1" {
		t.Fatalf("held gate: %v, Retry-After %q", m, retry)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("refused after %v, before max_wait", d)
	}
	if l, ok := m["video_list"].([]any); !ok || len(l) != 0 {
		t.Fatalf("video_list %v: the refusal keeps the route's reply shape", m["video_list"])
	}
	m, _ = do("GET", "/douyin/comment/list")
	if m["status_code"] != float64(errno.CodeRateLimited) {
		t.Fatalf("comment list through a held gate: %v", m)
	}
	// The upload has its own bounds: a bad one is judged, not refused.
	m, _ = do("POST", "/douyin/publish/action/")
	if m["status_code"] == float64(errno.CodeRateLimited) || m["status_code"] == float64(0) {
		t.Fatalf("upload through a held gate: %v", m)
	}
	release()
	m, _ = do("GET", "/douyin/comment/list/?video_id=abc")
	if m["status_code"] == float64(errno.CodeRateLimited) || !strings.Contains(m["status_msg"].(string), "video_id") {
		t.Fatalf("a free gate: %v", m)
	}
	if g.gate.InFlight() != 0 || g.gate.Waiting() != 0 {
		t.Fatalf("slots left held: %d, %d", g.gate.InFlight(), g.gate.Waiting())
	}
}
