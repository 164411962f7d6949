package gateway

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"tiktok/internal/config"
)

// minioLike stands for a store whose media live on another origin.
type minioLike struct{}

func (minioLike) Put(context.Context, string, io.Reader, int64, string) (int64, error) { return 0, nil }
func (minioLike) Delete(context.Context, string) error                                 { return nil }
func (minioLike) URL(key string) string                                                { return "https://media.example.com:9000/tiktok/" + key }
func (minioLike) Source(context.Context, string) (string, error)                       { return "", nil }

func TestSecurityHeaders(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.PublicURL = "http://192.168.1.5:8080/"
	r := (&Gateway{cfg: cfg, store: minioLike{}}).Router()
	for path, want := range map[string]int{
		"/": 200, "/app/app.js": 200, "/app/views/feed.js": 200, "/app/app.css": 200,
		"/app/": 404, "/app": 404, "/app/views/": 404, "/app/views": 404, "/app/nope.js": 404, "/douyin/nope/": 404,
	} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != want {
			t.Errorf("%s: HTTP %d, want %d", path, w.Code, want)
		}
		if want == 404 && strings.Contains(w.Body.String(), "app.js") {
			t.Errorf("%s: lists the files: %q", path, w.Body.String())
		}
		h := w.Header()
		csp := h.Get("Content-Security-Policy")
		for _, part := range []string{"default-src 'self'", "script-src 'self';", "object-src 'none'", "base-uri 'none'",
			"frame-ancestors 'none'", "style-src 'self';", "connect-src 'self';",
			"img-src 'self' http://192.168.1.5:8080 https://media.example.com:9000 data:",
			"media-src 'self' http://192.168.1.5:8080 https://media.example.com:9000"} {
			if !strings.Contains(csp, part) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, part)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q allows unsafe sources", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s %q, want %q", path, k, h.Get(k), v)
			}
		}
	}
}

func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":               "http://127.0.0.1:8080",
		"https://cdn.example.com/tiktok/x":    "https://cdn.example.com",
		"http://h:9000/bucket/":               "http://h:9000",
		"":                                    "",
		"/media/":                             "",
		"javascript:alert(1)":                 "",
		"http://evil.com; script-src *":       "",
		"ftp://files.example.com/":            "",
		"http://a.example.com'unsafe-inline'": "",
	} {
		if got := origin(in); got != want {
			t.Errorf("origin(%q) = %q, want %q", in, got, want)
		}
	}
}
