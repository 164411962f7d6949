package admin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// The readiness life of a role: not ready while starting, ready once started
// and while its checks pass, not ready for a failing dependency (named in
// the body), and not ready from the start of shutdown, while /healthz says
// the process is alive throughout.
func TestReadiness(t *testing.T) {
	s := New(Options{})
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.Addr()
	ready := func(want int, body string) {
		t.Helper()
		code, b := get(t, base+"/readyz")
		if code != want || !strings.Contains(b, body) {
			t.Fatalf("/readyz: %d %q, want %d with %q", code, b, want, body)
		}
		if code, _ := get(t, base+"/healthz"); code != 200 {
			t.Fatalf("/healthz: %d", code)
		}
	}
	ready(503, "start: starting")
	var dbErr error
	s.AddCheck("database", func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("a check runs without a deadline")
		}
		return dbErr
	})
	s.Started()
	ready(200, "ok")
	dbErr = errors.New("connection refused")
	ready(503, "database: connection refused")
	if code, b := get(t, base+"/metrics"); code != 200 || !strings.Contains(b, "tiktok_ready 0") {
		t.Fatalf("/metrics with the database down: %d, tiktok_ready 0 missing", code)
	}
	dbErr = nil
	ready(200, "ok")
	_, b := get(t, base+"/metrics")
	for _, m := range []string{"tiktok_ready 1", "tiktok_build_info{", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(b, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	s.Stopping()
	ready(503, "shutdown: shutting down")
	if code, _ := get(t, base+"/debug/pprof/"); code != 404 {
		t.Fatalf("pprof without admin.pprof: %d", code)
	}
}

// A slow check fails at the check timeout instead of holding the probe (and
// /metrics, whose tiktok_ready runs the checks), even one that ignores its
// deadline.
func TestCheckTimeout(t *testing.T) {
	s := New(Options{CheckTimeout: 50 * time.Millisecond})
	block := make(chan struct{})
	defer close(block)
	s.AddCheck("slow", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	s.AddCheck("deaf", func(context.Context) error { <-block; return nil })
	s.AddCheck("fine", func(context.Context) error { return nil })
	s.Started()
	start := time.Now()
	fail := s.Ready(context.Background())
	if fail["slow"] == nil || fail["deaf"] == nil || fail["fine"] != nil || len(fail) != 2 {
		t.Fatalf("failures: %v", fail)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Ready took %v", d)
	}
}

func TestPprof(t *testing.T) {
	s := New(Options{Pprof: true})
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if code, _ := get(t, "http://"+s.Addr()+"/debug/pprof/"); code != 200 {
		t.Fatalf("pprof: %d", code)
	}
}
