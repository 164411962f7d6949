package storage

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
