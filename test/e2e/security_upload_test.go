package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/errno"
)

// The upload and HTTP server controls of docs/SECURITY.md (Uploads and the
// HTTP server). Tests that configure the server (short timeouts, small
// budgets) run on the embedded system only.

// pipeUpload is a publish whose body the test writes part by part while the
// server reads it, sent chunked (no Content-Length), as a slow phone would.
type pipeUpload struct {
	t    *testing.T
	pw   *io.PipeWriter
	mw   *multipart.Writer
	data io.Writer
	done chan result
}

type result struct {
	r   resp
	err error
}

func (e *env) startUpload(q url.Values) *pipeUpload {
	pr, pw := io.Pipe()
	u := &pipeUpload{t: e.t, pw: pw, mw: multipart.NewWriter(pw), done: make(chan result, 1)}
	req, _ := http.NewRequest("POST", e.url+"/douyin/publish/action/?"+q.Encode(), pr)
	req.Header.Set("Content-Type", u.mw.FormDataContentType())
	go func() {
		r, err := send(req)
		// Answered: writing more of the body fails instead of blocking.
		pr.CloseWithError(errors.New("answered"))
		u.done <- result{r, err}
	}()
	return u
}

// send is e.do for any goroutine: it returns what e.do would fail on.
func send(req *http.Request) (resp, error) {
	res, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var r resp
	if res.StatusCode != 200 || json.Unmarshal(body, &r) != nil || r["status_code"] == nil {
		return nil, fmt.Errorf("HTTP %d: %q", res.StatusCode, body)
	}
	return r, nil
}

func (u *pipeUpload) field(name, value string) { _ = u.mw.WriteField(name, value) }

// write adds b to the data part (opening it first), then gives the server a
// moment to read it.
func (u *pipeUpload) write(b []byte) {
	if u.data == nil {
		w, err := u.mw.CreateFormFile("data", "v.mp4")
		if err != nil {
			return // answered already: the reply tells
		}
		u.data = w
	}
	_, _ = u.data.Write(b)
	time.Sleep(300 * time.Millisecond)
}

// answer ends the body and waits for the reply.
func (u *pipeUpload) answer() resp {
	u.t.Helper()
	_ = u.mw.Close()
	_ = u.pw.Close()
	return u.wait(time.Minute)
}

// wait waits for the reply without ending the body.
func (u *pipeUpload) wait(d time.Duration) resp {
	u.t.Helper()
	select {
	case res := <-u.done:
		if res.err != nil {
			u.t.Fatal(res.err)
		}
		return res.r
	case <-time.After(d):
		u.t.Fatalf("no reply within %v", d)
		return nil
	}
}

// refused waits for an early refusal with code: the reply, or, when the
// server closed the connection while the client was still sending the body
// it will never read, the reset that destroyed the reply in flight. Either
// way the server refused before the body ended.
func (u *pipeUpload) refused(d time.Duration, code int64) {
	u.t.Helper()
	select {
	case res := <-u.done:
		if res.err != nil {
			if errors.Is(res.err, syscall.ECONNRESET) || errors.Is(res.err, syscall.EPIPE) {
				return
			}
			u.t.Fatal(res.err)
		}
		if got, _ := res.r["status_code"].(float64); int64(got) != code {
			u.t.Fatalf("status_code %v, want %d", res.r["status_code"], code)
		}
	case <-time.After(d):
		u.t.Fatalf("no reply within %v", d)
	}
}

func readSample(t *testing.T) []byte {
	b, err := os.ReadFile(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUploadStoresNothingBeforeAuth: an upload whose token is missing, bad,
// or comes after its data never puts a byte in storage, during the upload
// or after; a bad token before the data is answered before the data is
// read; a good token after the data still publishes.
func TestUploadStoresNothingBeforeAuth(t *testing.T) {
	e := start(t)
	id, token := e.register("upload_auth")
	forged, _ := auth.New([]byte(strings.Repeat("f", 32)), time.Hour).Sign(id)
	video := readSample(t)
	half := len(video) / 2
	empty := func(when string) {
		t.Helper()
		if n := e.mediaFiles(); n != 0 {
			t.Fatalf("%s: %d files in storage", when, n)
		}
	}
	for _, c := range []struct{ name, token string }{{"no token", ""}, {"forged token after the data", forged}} {
		u := e.startUpload(kv())
		u.field("title", "anonymous")
		u.write(video[:half])
		empty(c.name + ", during the data")
		u.write(video[half:])
		if c.token != "" {
			u.field("token", c.token)
		}
		e.wantCode(u.answer(), int64(errno.CodeUnauthorized))
		empty(c.name + ", after")
	}
	// A bad token before the data: refused before the body ends.
	u := e.startUpload(kv())
	u.field("token", forged)
	u.write(video[:half])
	u.refused(10*time.Second, int64(errno.CodeUnauthorized))
	u.pw.Close()
	empty("forged token first")
	// A bad token in the query string: the same, the body barely read.
	u = e.startUpload(kv("token", forged))
	u.write(video[:half])
	u.refused(10*time.Second, int64(errno.CodeUnauthorized))
	u.pw.Close()
	empty("forged token in the query")
	// A good token after the data: the data waited outside storage.
	u = e.startUpload(kv())
	u.write(video[:half])
	empty("good token after the data, during the data")
	u.write(video[half:])
	u.field("token", token)
	u.field("title", "data first")
	e.must(u.answer())
	if n := e.mediaFiles(); n != 2 {
		t.Fatalf("a publish stores a video and a cover, found %d", n)
	}
}

// chunked hides r's length, so the request goes out chunked.
type chunked struct{ io.Reader }

// TestBodyLimitsAnswer10006: the bound on a body holds as it is read, not
// only as declared, and every endpoint answers a body over its bound with
// 10006.
func TestBodyLimitsAnswer10006(t *testing.T) {
	e := start(t, func(c *config.Config) { c.Upload.MaxBytes = 1 << 20 })
	max := int(e.cfg.Upload.MaxBytes)
	id, token := e.register("body_limits")
	video := readSample(t)
	publishChunked := func(parts func(w *multipart.Writer)) resp {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		parts(w)
		w.Close()
		req, _ := http.NewRequest("POST", e.url+"/douyin/publish/action/", chunked{&body})
		req.Header.Set("Content-Type", w.FormDataContentType())
		if req.ContentLength != 0 {
			t.Fatal("the request must go out chunked")
		}
		return e.do(req)
	}
	// A valid publish followed by a field larger than the whole bound.
	r := publishChunked(func(w *multipart.Writer) {
		w.WriteField("token", token)
		w.WriteField("title", "junk after")
		fw, _ := w.CreateFormFile("data", "v.mp4")
		fw.Write(video)
		w.WriteField("junk", strings.Repeat("j", max+(1<<20)))
	})
	e.wantCode(r, int64(errno.CodeTooLarge))
	// A data part over the limit, chunked.
	r = publishChunked(func(w *multipart.Writer) {
		w.WriteField("token", token)
		w.WriteField("title", "too big")
		fw, _ := w.CreateFormFile("data", "v.mp4")
		fw.Write(bytes.Repeat(video, max/len(video)+2))
	})
	e.wantCode(r, int64(errno.CodeTooLarge))
	if n := e.mediaFiles(); n != 0 {
		t.Fatalf("refused uploads left %d files", n)
	}
	if l := e.must(e.get("/douyin/publish/list/", kv("user_id", id))).list("video_list"); len(l) != 0 {
		t.Fatalf("refused uploads made videos: %v", l)
	}
	// 2 MB on the small-body endpoints, declared, chunked, urlencoded or
	// multipart, with parameters that would otherwise pass.
	big := strings.Repeat("x", 2<<20)
	form := kv("username", "body_limits", "password", "secret123", "pad", big).Encode()
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("username", "body_limits")
	mw.WriteField("password", "secret123")
	mw.WriteField("pad", big)
	mw.Close()
	for _, c := range []struct {
		name, path, ctype string
		body              func() io.Reader
	}{
		{"urlencoded", "/douyin/user/login/", "application/x-www-form-urlencoded", func() io.Reader { return strings.NewReader(form) }},
		{"urlencoded, chunked", "/douyin/user/login/", "application/x-www-form-urlencoded",
			func() io.Reader { return chunked{strings.NewReader(form)} }},
		{"multipart, chunked", "/douyin/user/login/", mw.FormDataContentType(), func() io.Reader { return chunked{bytes.NewReader(mp.Bytes())} }},
		{"text, chunked", "/douyin/comment/action/?" + kv("token", token, "video_id", 1, "action_type", 1, "comment_text", "hi").Encode(),
			"text/plain", func() io.Reader { return chunked{strings.NewReader(big)} }},
	} {
		req, _ := http.NewRequest("POST", e.url+c.path, c.body())
		req.Header.Set("Content-Type", c.ctype)
		if r := e.do(req); r.code() != int64(errno.CodeTooLarge) {
			t.Errorf("%s: want 10006, got %v", c.name, r)
		}
	}
	req, _ := http.NewRequest("GET", e.url+"/douyin/feed/", strings.NewReader(big))
	if r := e.do(req); r.code() != int64(errno.CodeTooLarge) {
		t.Errorf("GET with a 2 MB body: want 10006, got %v", r)
	}
	// Under the bound, the same endpoints work.
	e.must(e.postForm("/douyin/user/login/", kv("username", "body_limits", "password", "secret123")))
}

// rawRequest opens a connection and writes head (the request line and
// headers, without the blank line) and the start of a body.
func rawRequest(t *testing.T, e *env, head, body string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, head+"\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
	return c
}

// closedWithin reads c until the server closes it (a reply may come first)
// and fails unless that happens within d; it returns how long it took.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(d))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection is still open after %v", d)
	}
	return time.Since(start)
}

// TestServerTimeouts: a body that stalls or trickles below upload.min_rate
// is cut within upload.stall_timeout, whoever sends it, and stores nothing;
// an idle keep-alive connection closes after http.idle_timeout. The bounds
// are set short here through the environment, as an operator would.
func TestServerTimeouts(t *testing.T) {
	embeddedOnly(t)
	t.Setenv("TIKTOK_UPLOAD_STALL_TIMEOUT", "1s")
	t.Setenv("TIKTOK_UPLOAD_MIN_RATE", "20000")
	t.Setenv("TIKTOK_HTTP_IDLE_TIMEOUT", "1s")
	e := start(t)
	_, token := e.register("slow_client")
	const boundary = "slowboundary"
	head := func(q string) string {
		return "POST /douyin/publish/action/?" + q + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n" +
			"Content-Type: multipart/form-data; boundary=" + boundary
	}
	part := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"data\"; filename=\"v.mp4\"\r\n\r\n" +
		strings.Repeat("v", 50_000)
	// Signed in, then the body stalls: cut one stall_timeout later.
	c := rawRequest(t, e, head(kv("token", token).Encode()), part)
	if took := closedWithin(t, c, 10*time.Second); took > 4*time.Second {
		t.Fatalf("a stalled body was cut after %v, configured 1s", took)
	}
	// Anonymous, and the body trickles on (100 B every 100 ms, 1 kB/s
	// against a minimum of 20 kB/s): cut although bytes keep coming.
	trickle := rawRequest(t, e, head(""), part)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				if _, err := trickle.Write(bytes.Repeat([]byte("v"), 100)); err != nil {
					return
				}
			}
		}
	}()
	if took := closedWithin(t, trickle, 10*time.Second); took > 4*time.Second {
		t.Fatalf("a trickling body was cut after %v", took)
	}
	if n := e.mediaFiles(); n != 0 {
		t.Fatalf("cut uploads left %d files", n)
	}
	// Idle keep-alive: the connection closes after idle_timeout.
	c = rawRequest(t, e, "GET /douyin/feed/ HTTP/1.1\r\nHost: x", "")
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.Close {
		t.Fatal("the server closed a keep-alive connection at once")
	}
	start := time.Now()
	c.SetReadDeadline(start.Add(10 * time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: want EOF, got %v", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Fatalf("an idle connection closed after %v, configured 1s", took)
	}
}

// TestUploadSpoolBudget: data that comes before its token waits outside
// storage in a bounded budget per client IP; past it the upload is refused
// (10008) and its bytes dropped at once, even with a good token after.
func TestUploadSpoolBudget(t *testing.T) {
	embeddedOnly(t)
	video := readSample(t)
	budget := len(video) + 4096
	t.Setenv("TIKTOK_UPLOAD_SPOOL_PER_IP_BYTES", strconv.Itoa(budget))
	e := start(t)
	id, token := e.register("spooler")
	u := e.startUpload(kv())
	u.write(bytes.Repeat(video, 3)[:2*budget])
	u.refused(10*time.Second, int64(errno.CodeRateLimited)) // before the body ends
	u.pw.Close()
	if n := e.mediaFiles(); n != 0 {
		t.Fatalf("%d files stored", n)
	}
	// Within the budget, the same order publishes; the budget came back.
	u = e.startUpload(kv())
	u.write(video)
	u.field("token", token)
	u.field("title", "within budget")
	e.must(u.answer())
	if l := e.must(e.get("/douyin/publish/list/", kv("user_id", id))).list("video_list"); len(l) != 1 {
		t.Fatalf("want 1 video, got %d", len(l))
	}
}

// TestLeftoverUploadsRemovedAtStart: temporary files of uploads a killed
// server never finished are removed when it starts again.
func TestLeftoverUploadsRemovedAtStart(t *testing.T) {
	embeddedOnly(t)
	var leftovers []string
	e := start(t, func(c *config.Config) {
		for _, p := range []string{"videos/.upload-1234", "covers/.upload-5678"} {
			p = filepath.Join(c.DataDir, "media", p)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte("half an upload"), 0o600); err != nil {
				t.Fatal(err)
			}
			leftovers = append(leftovers, p)
		}
	})
	for _, p := range leftovers {
		if _, err := os.Stat(p); err == nil {
			t.Fatalf("%s survived the start", p)
		}
	}
	if n := e.mediaFiles(); n != 0 {
		t.Fatalf("%d files in storage", n)
	}
}

// TestUploadConcurrencyAndDailyQuota: a user's second upload while the first
// is in flight is refused (upload.per_user 1 here), and past the daily
// quota (2 here) a publish is refused before its body is stored; other
// users are not affected.
func TestUploadConcurrencyAndDailyQuota(t *testing.T) {
	embeddedOnly(t)
	t.Setenv("TIKTOK_UPLOAD_PER_USER", "1")
	t.Setenv("TIKTOK_UPLOAD_DAILY_QUOTA", "2")
	e := start(t)
	id, token := e.register("busy_author")
	_, other := e.register("other_author")
	video := readSample(t)
	half := len(video) / 2
	first := e.startUpload(kv("token", token, "title", "first"))
	first.write(video[:half])
	f := bytes.NewReader(video)
	e.wantCode(e.upload(token, "second", f, "v.mp4"), int64(errno.CodeRateLimited))
	e.publish(other, "another user's")
	first.write(video[half:])
	e.must(first.answer())
	e.publish(token, "second")
	// Quota spent: refused before the data is read, nothing stored.
	stored := e.mediaFiles()
	third := e.startUpload(kv("token", token, "title", "third"))
	third.write(video[:half])
	third.refused(10*time.Second, int64(errno.CodeRateLimited))
	third.pw.Close()
	if n := e.mediaFiles(); n != stored {
		t.Fatalf("a refused upload stored %d files", n-stored)
	}
	if l := e.must(e.get("/douyin/publish/list/", kv("user_id", id))).list("video_list"); len(l) != 2 {
		t.Fatalf("want 2 videos, got %d", len(l))
	}
	e.publish(other, "still fine")
}

// TestPublishRetryIsOneVideo: the app retries a publish that timed out; the
// same file with the same title by the same author within the window is
// the first video again, even when two retries race. Another title is a new
// video.
func TestPublishRetryIsOneVideo(t *testing.T) {
	e := start(t)
	id, token := e.register("retrier")
	list := func() []any { return e.must(e.get("/douyin/publish/list/", kv("user_id", id))).list("video_list") }
	e.publish(token, "once")
	firstID := num(list()[0].(map[string]any), "id")
	e.publish(token, "once")
	if l := list(); len(l) != 1 || num(l[0].(map[string]any), "id") != firstID {
		t.Fatalf("a retry made another video: %v", l)
	}
	if n := e.mediaFiles(); n != 2 {
		t.Fatalf("the retry's upload stayed: %d files", n)
	}
	e.publish(token, "another title")
	if l := list(); len(l) != 2 {
		t.Fatalf("another title must be a new video: %d videos", len(l))
	}
	video := readSample(t)
	var wg sync.WaitGroup
	for range 2 { // upload.per_user (2) at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			w.WriteField("token", token)
			w.WriteField("title", "racing")
			fw, _ := w.CreateFormFile("data", "v.mp4")
			fw.Write(video)
			w.Close()
			req, _ := http.NewRequest("POST", e.url+"/douyin/publish/action/", &body)
			req.Header.Set("Content-Type", w.FormDataContentType())
			if r, err := send(req); err != nil || r.code() != 0 {
				t.Errorf("racing retry: %v %v", r, err)
			}
		}()
	}
	wg.Wait()
	if l := list(); len(l) != 3 {
		t.Fatalf("racing retries: want 3 videos in all, got %d", len(l))
	}
	if n := e.mediaFiles(); n != 6 {
		t.Fatalf("racing retries left %d files, want 6", n)
	}
}
