package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"tiktok/internal/errno"
	"tiktok/internal/storage"
	"tiktok/internal/validate"
)

// memStore is storage in memory that fails the test when anything is put
// before the form's token is verified.
type memStore struct {
	t       testing.TB
	form    *uploadForm
	mu      sync.Mutex
	objects map[string][]byte
}

func (m *memStore) Put(_ context.Context, key string, r io.Reader, max int64, _ string) (int64, error) {
	if m.form.viewer == 0 {
		m.t.Fatalf("stored %s before the token was verified", key)
	}
	b, err := io.ReadAll(storage.LimitReader(r, max))
	if err != nil {
		return int64(len(b)), err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = b
	return int64(len(b)), nil
}

func (m *memStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

func (m *memStore) URL(key string) string                                { return key }
func (m *memStore) Source(_ context.Context, key string) (string, error) { return key, nil }

const (
	goodToken = "good-token"
	boundary  = "fuzzboundary"
	testMax   = 1024
)

// formRun is one form read as readUpload reads it, with fakes around it.
type formRun struct {
	form   *uploadForm
	store  *memStore
	spool  *storage.Spool
	active int // turns taken and not given back
}

func newFormRun(t testing.TB, spoolDir string, spoolPerIP int64) *formRun {
	r := &formRun{spool: storage.NewSpool(spoolDir, spoolPerIP, 4*spoolPerIP)}
	r.store = &memStore{t: t, objects: map[string][]byte{}}
	r.form = &uploadForm{ctx: context.Background(), max: testMax, ip: "192.0.2.1", store: r.store, spool: r.spool,
		verify: func(tok string) (int64, error) {
			if tok != goodToken {
				return 0, errno.Unauthorized("invalid or expired token, please log in again")
			}
			return 7, nil
		},
		admit: func(int64) (func(), error) {
			r.active++
			var once sync.Once
			return func() { once.Do(func() { r.active-- }) }, nil
		}}
	r.store.form = r.form
	return r
}

// read reads body as the publish form and, as readUpload does, aborts on
// failure.
func (r *formRun) read(body []byte) error {
	rec := &recorder{r: http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(bytes.NewReader(body)), testMax+multipartOverhead)}
	err := r.form.read(multipart.NewReader(rec, boundary), rec, nil)
	if err != nil {
		r.form.abort(func(key string) { r.store.Delete(context.Background(), key) })
	}
	return err
}

// form builds a multipart body of the given parts in order: "token=...",
// "title=..." or "data=...".
func form(parts ...string) []byte {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.SetBoundary(boundary)
	for _, p := range parts {
		name, value, _ := strings.Cut(p, "=")
		if name == "data" {
			fw, _ := w.CreateFormFile("data", "v.mp4")
			fw.Write([]byte(value))
		} else {
			w.WriteField(name, value)
		}
	}
	w.Close()
	return b.Bytes()
}

func code(err error) int32 { c, _ := errno.From(err); return c }

func TestUploadFormStoresOnlyAfterTheToken(t *testing.T) {
	video := strings.Repeat("v", 700)
	sum := sha256.Sum256([]byte(video))
	cases := []struct {
		name  string
		parts []string
		code  int32
	}{
		{"token first", []string{"token=" + goodToken, "title=t", "data=" + video}, 0},
		{"data first, token after", []string{"data=" + video, "title=t", "token=" + goodToken}, 0},
		{"no token", []string{"title=t", "data=" + video}, errno.CodeUnauthorized},
		{"bad token after data", []string{"data=" + video, "token=forged", "title=t"}, errno.CodeUnauthorized},
		{"bad token before data", []string{"token=forged", "data=" + video, "title=t"}, errno.CodeUnauthorized},
		{"bad title", []string{"token=" + goodToken, "title=", "data=" + video}, errno.CodeBadParam},
		{"title too long", []string{"token=" + goodToken, "title=" + strings.Repeat("t", maxField+1), "data=" + video}, errno.CodeBadParam},
		{"no data", []string{"token=" + goodToken, "title=t"}, errno.CodeBadParam},
		{"data over the limit", []string{"token=" + goodToken, "title=t", "data=" + strings.Repeat("v", testMax+1)}, errno.CodeTooLarge},
		{"data first over the limit", []string{"data=" + strings.Repeat("v", testMax+1), "token=" + goodToken}, errno.CodeTooLarge},
		{"extra field over the body's bound", []string{"token=" + goodToken, "title=t", "data=" + video,
			"junk=" + strings.Repeat("j", multipartOverhead+testMax)}, errno.CodeTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newFormRun(t, t.TempDir(), 4096)
			err := r.read(form(c.parts...))
			if code(err) != c.code {
				t.Fatalf("want %d, got %v", c.code, err)
			}
			if r.spool.InUse() != 0 {
				t.Fatalf("%d bytes left in the spool", r.spool.InUse())
			}
			if c.code != 0 {
				if len(r.store.objects) != 0 || r.active != 0 {
					t.Fatalf("a refused form left %d objects, %d turns", len(r.store.objects), r.active)
				}
				return
			}
			if b := r.store.objects[r.form.key]; string(b) != video || len(r.store.objects) != 1 ||
				r.form.sum != hex.EncodeToString(sum[:]) {
				t.Fatalf("stored %d objects, sum %s", len(r.store.objects), r.form.sum)
			}
		})
	}
}

// Data before the token waits in the spool, whose budget per client bounds
// it: past the budget the form is refused (10008) and the bytes dropped.
func TestUploadFormSpoolBudget(t *testing.T) {
	r := newFormRun(t, t.TempDir(), 500)
	err := r.read(form("data="+strings.Repeat("v", 700), "token="+goodToken, "title=t"))
	if code(err) != errno.CodeRateLimited || r.spool.InUse() != 0 || len(r.store.objects) != 0 {
		t.Fatalf("over the spool budget: %v, %d spooled, %d stored", err, r.spool.InUse(), len(r.store.objects))
	}
}

func TestUploadsPerUser(t *testing.T) {
	u := &uploads{perUser: 2, active: map[int64]int{}}
	a, ok1 := u.enter(1)
	_, ok2 := u.enter(1)
	_, ok3 := u.enter(1)
	_, other := u.enter(2)
	if !ok1 || !ok2 || ok3 || !other {
		t.Fatalf("enter: %v %v %v %v", ok1, ok2, ok3, other)
	}
	a()
	a() // once only
	if _, ok := u.enter(1); !ok || u.active[1] != 2 {
		t.Fatalf("after leave: %v, %d active", ok, u.active[1])
	}
}

// FuzzUploadForm reads arbitrary bodies as a publish form. Whatever the
// bytes: nothing is stored before a valid token (memStore), a refusal is the
// client's fault (a 1000x code, never an internal error) and leaves no
// object, spooled byte or turn behind, and a success stored exactly the
// data part, whose SHA-256 it reports. Seeds: testdata/fuzz/FuzzUploadForm.
func FuzzUploadForm(f *testing.F) {
	f.Add(form("token="+goodToken, "title=t", "data=video"))
	f.Add(form("data=video", "token="+goodToken, "title=t"))
	// Spool files are unlinked at once: one folder serves every run.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		r := newFormRun(t, dir, 2048)
		err := r.read(body)
		if r.spool.InUse() != 0 {
			t.Fatalf("%d bytes left in the spool", r.spool.InUse())
		}
		if err != nil {
			switch code(err) {
			case errno.CodeBadParam, errno.CodeUnauthorized, errno.CodeTooLarge, errno.CodeRateLimited:
			default:
				t.Fatalf("a form's failure must be the client's: %v", err)
			}
			if len(r.store.objects) != 0 || r.active != 0 {
				t.Fatalf("refused (%v), left %d objects, %d turns", err, len(r.store.objects), r.active)
			}
			return
		}
		b, ok := r.store.objects[r.form.key]
		sum := sha256.Sum256(b)
		if !ok || len(r.store.objects) != 1 || r.form.sum != hex.EncodeToString(sum[:]) || len(b) > testMax ||
			r.form.viewer != 7 || !validate.Title(r.form.title) || r.active != 1 {
			t.Fatalf("accepted: %d objects, sum %s, viewer %d, title %q", len(r.store.objects), r.form.sum, r.form.viewer,
				r.form.title)
		}
	})
}
