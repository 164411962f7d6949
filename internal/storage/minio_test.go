package storage

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// A multipart upload its process never completed is aborted at start once
// it is older than the cutoff; a younger one (an upload in progress on
// another process) is left alone. Needs a MinIO named by TIKTOK_TEST_MINIO
// (host:port, minioadmin credentials); the distributed suite exercises the
// same store.
func TestMinIOSweepsIncompleteUploads(t *testing.T) {
	ctx := context.Background()
	m := testMinIO(t, "sweep-", "")
	bucket := m.bucket
	core := minio.Core{Client: m.c}
	begin := func(key string) {
		id, err := core.NewMultipartUpload(ctx, bucket, key, minio.PutObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		part := bytes.Repeat([]byte("x"), 5<<20)
		if _, err := core.PutObjectPart(ctx, bucket, key, id, 1, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pending := func() int {
		n := 0
		for u := range m.c.ListIncompleteUploads(ctx, bucket, "", true) {
			if u.Err != nil {
				t.Fatal(u.Err)
			}
			n++
		}
		return n
	}
	begin("videos/crashed.mp4")
	if n := pending(); n != 1 {
		t.Fatalf("set-up: %d incomplete uploads", n)
	}
	// A cutoff before it began: it may be in progress, it stays.
	if n, err := m.SweepIncomplete(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 || pending() != 1 {
		t.Fatalf("young upload swept: %d, %v", n, err)
	}
	if n, err := m.SweepIncomplete(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 || pending() != 0 {
		t.Fatalf("old upload: swept %d, %v, %d left", n, err, pending())
	}
}

// Serve answers a stored object with its type, a Range with 206 and the
// slice asked for, and a missing key with 404 (the gateway's /media/ route
// of a deployment whose bucket is not reachable from outside).
func TestMinIOServe(t *testing.T) {
	ctx := context.Background()
	m := testMinIO(t, "serve-", "http://gw.example/media/")
	body := []byte("0123456789abcdef")
	if _, err := m.Put(ctx, "videos/a.mp4", bytes.NewReader(body), 0, "video/mp4"); err != nil {
		t.Fatal(err)
	}
	if u := m.URL("videos/a.mp4"); u != "http://gw.example/media/videos/a.mp4" {
		t.Errorf("URL = %s", u)
	}
	if w := serve(m, "GET", "videos/a.mp4", ""); w.Code != 200 || w.Body.String() != string(body) || w.Header().Get("Content-Type") != "video/mp4" {
		t.Errorf("whole: %d %q %q", w.Code, w.Body.String(), w.Header().Get("Content-Type"))
	}
	if w := serve(m, "GET", "videos/a.mp4", "bytes=4-7"); w.Code != 206 || w.Body.String() != "4567" {
		t.Errorf("range: %d %q", w.Code, w.Body.String())
	}
	if w := serve(m, "GET", "videos/missing.mp4", ""); w.Code != 404 {
		t.Errorf("missing: %d", w.Code)
	}
	// HEAD: the headers of a GET (the length, the type, the range) and no body.
	if w := serve(m, "HEAD", "videos/a.mp4", ""); w.Code != 200 || w.Body.Len() != 0 ||
		w.Header().Get("Content-Type") != "video/mp4" || w.Header().Get("Content-Length") != "16" {
		t.Errorf("HEAD: %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	if w := serve(m, "HEAD", "videos/a.mp4", "bytes=4-7"); w.Code != 206 || w.Header().Get("Content-Length") != "4" {
		t.Errorf("HEAD range: %d %v", w.Code, w.Header())
	}
	if w := serve(m, "HEAD", "videos/missing.mp4", ""); w.Code != 404 {
		t.Errorf("HEAD missing: %d", w.Code)
	}
}

// serve is the reply of m.Serve to a request for key, with a Range header
// unless rng is empty.
func serve(m *MinIO, method, key, rng string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/media/"+key, nil)
	if rng != "" {
		r.Header.Set("Range", rng)
	}
	w := httptest.NewRecorder()
	m.Serve(w, r, key)
	return w
}

// testMinIO is a store on a fresh bucket of the MinIO named by
// TIKTOK_TEST_MINIO (host:port, minioadmin credentials), removed afterwards.
func testMinIO(t *testing.T, prefix, publicURL string) *MinIO {
	t.Helper()
	endpoint := os.Getenv("TIKTOK_TEST_MINIO")
	if endpoint == "" {
		t.Skip("TIKTOK_TEST_MINIO (host:port of a MinIO) not set")
	}
	ctx := context.Background()
	bucket := prefix + strconv.FormatInt(time.Now().UnixNano(), 36)
	m, err := NewMinIO(ctx, endpoint, "minioadmin", "minioadmin", bucket, false, publicURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.Clear(ctx)
		m.c.RemoveBucket(ctx, bucket)
	})
	return m
}
