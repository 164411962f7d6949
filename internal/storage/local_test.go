package storage

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestLocalPutLimitAndServeRange(t *testing.T) {
	dir := t.TempDir()
	l, err := NewLocal(dir, "http://x/media/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := l.Put(ctx, "v/a.mp4", strings.NewReader("0123456789"), 10, ""); err != nil {
		t.Fatalf("exact limit must pass: %v", err)
	}
	if _, err := l.Put(ctx, "v/b.mp4", strings.NewReader("0123456789A"), 10, ""); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("want ErrTooLarge, got %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "v"))
	if len(entries) != 1 {
		t.Fatalf("a failed put left files behind: %v", entries)
	}
	if l.URL("v/a.mp4") != "http://x/media/v/a.mp4" {
		t.Fatal(l.URL("v/a.mp4"))
	}
	req := httptest.NewRequest("GET", "/media/v/a.mp4", nil)
	req.Header.Set("Range", "bytes=2-4")
	rec := httptest.NewRecorder()
	l.Serve(rec, req, "v/a.mp4")
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "234" {
		t.Fatalf("range: %d %q", rec.Code, rec.Body.String())
	}
	for _, bad := range []string{"../etc/passwd", "v/.upload-1"} {
		rec = httptest.NewRecorder()
		l.Serve(rec, httptest.NewRequest("GET", "/", nil), bad)
		if rec.Code != http.StatusNotFound {
			t.Fatalf("%s served: %d", bad, rec.Code)
		}
	}
	if err := l.Delete(ctx, "v/a.mp4"); err != nil {
		t.Fatal(err)
	}
	if err := l.Delete(ctx, "v/a.mp4"); err != nil {
		t.Fatal("second delete must succeed")
	}
}

// A Put killed half-way leaves its temporary file; the next start removes it
// when no other process uses the folder, and otherwise only once it is old
// enough that no live Put can own it.
func TestLocalRemovesLeftoversAtStart(t *testing.T) {
	dir := t.TempDir()
	leftover := func(name string, age time.Duration) string {
		p := filepath.Join(dir, "videos", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("half a video"), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		return p
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	a := leftover(".upload-111", 0)
	kept := leftover("done.mp4", 0)
	first, err := NewLocal(dir, "http://x/media/")
	if err != nil {
		t.Fatal(err)
	}
	if exists(a) || !exists(kept) {
		t.Fatalf("alone: leftover kept %v, object removed %v", exists(a), !exists(kept))
	}
	// first is alive (it holds the folder's lock): a second process's start
	// removes only what is older than any live upload.
	fresh, old := leftover(".upload-222", 0), leftover(".upload-333", 2*orphanAge)
	if _, err := NewLocal(dir, "http://x/media/"); err != nil {
		t.Fatal(err)
	}
	if !exists(fresh) || exists(old) {
		t.Fatalf("shared: fresh removed %v, old kept %v", !exists(fresh), exists(old))
	}
	runtime.KeepAlive(first)
}
