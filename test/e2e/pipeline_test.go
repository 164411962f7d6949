package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tiktok/domain/media/mediatest"
	"tiktok/internal/errno"
)

// The video pipeline (docs/ARCHITECTURE.md): a publish is a job for the
// media role; the reply comes once the video is ready; what is stored is an
// H.264/AAC MP4 with its moov first, within 1920x1080 in either
// orientation, and a JPEG cover; only ready videos are ever shown.

// stored is what ffprobe says of a stored video, fetched from its play_url.
type stored struct {
	codecs        []string
	width, height int
	moovFirst     bool
}

func probeStored(t *testing.T, playURL string) stored {
	t.Helper()
	ct, body := fetch(t, playURL)
	if ct != "video/mp4" {
		t.Fatalf("%s served as %q", playURL, ct)
	}
	f := filepath.Join(t.TempDir(), "stored.mp4")
	if err := os.WriteFile(f, body, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height",
		"-of", "json", f).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var p struct {
		Streams []struct {
			Type   string `json:"codec_type"`
			Name   string `json:"codec_name"`
			Width  int    `json:"width"`
			Height int    `json:"height"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	var s stored
	for _, st := range p.Streams {
		s.codecs = append(s.codecs, st.Name)
		if st.Type == "video" {
			s.width, s.height = st.Width, st.Height
		}
	}
	// Top-level boxes: moov must come before mdat (faststart).
	for off := 0; off+8 <= len(body); {
		size := int(binary.BigEndian.Uint32(body[off:]))
		typ := string(body[off+4 : off+8])
		if typ == "moov" {
			s.moovFirst = true
			break
		}
		if typ == "mdat" || size < 8 {
			break
		}
		off += size
	}
	return s
}

func (e *env) uploadFile(token, title, file string) resp {
	e.t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.upload(token, title, bytes.NewReader(b), filepath.Base(file))
}

// TestPublishBecomesReadyMP4: the reply comes with the video ready and in
// the publish list at once; it plays as H.264/AAC MP4 with its moov first,
// its cover a JPEG; larger videos come out within 1920x1080 in their own
// orientation; the original is not kept.
func TestPublishBecomesReadyMP4(t *testing.T) {
	e := start(t)
	id, token := e.register("pipeline_user")
	dir := t.TempDir()
	cases := []struct {
		name       string
		w, h       int
		maxW, maxH int
	}{
		{"small", 360, 640, 360, 640},
		{"landscape", 2560, 1440, 1920, 1080},
		{"portrait", 1440, 2560, 1080, 1920},
	}
	for _, c := range cases {
		f := filepath.Join(dir, c.name+".mp4")
		if err := mediatest.Sized(context.Background(), f, c.w, c.h, 25, 1); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		e.must(e.uploadFile(token, c.name, f))
		// The app reloads its list right after the reply: the video is there.
		vs := e.must(e.get("/douyin/publish/list/", kv("user_id", id))).list("video_list")
		var v map[string]any
		for _, x := range vs {
			if x.(map[string]any)["title"] == c.name {
				v = x.(map[string]any)
			}
		}
		if v == nil {
			t.Fatalf("%s: not in the publish list right after the reply (%v)", c.name, time.Since(start))
		}
		s := probeStored(t, v["play_url"].(string))
		if fmt.Sprint(s.codecs) != "[h264 aac]" || !s.moovFirst {
			t.Fatalf("%s: streams %v, moov first %v", c.name, s.codecs, s.moovFirst)
		}
		if s.width > c.maxW || s.height > c.maxH || s.width < c.maxW-2 || s.height < c.maxH-2 {
			t.Fatalf("%s: %dx%d, want %dx%d", c.name, s.width, s.height, c.maxW, c.maxH)
		}
		ct, cover := fetch(t, v["cover_url"].(string))
		if ct != "image/jpeg" || len(cover) < 256 || !bytes.HasPrefix(cover, []byte{0xFF, 0xD8}) {
			t.Fatalf("%s: cover %q, %d bytes", c.name, ct, len(cover))
		}
	}
	if n := e.mediaFiles(); n != 2*len(cases) {
		t.Fatalf("%d objects stored, want a video and a cover each (no original)", n)
	}
	if u := e.must(e.get("/douyin/publish/uploads/", kv("token", token))).list("upload_list"); len(u) != 0 {
		t.Fatalf("uploads in progress after all are ready: %v", u)
	}
}

// TestUploadThatFailsProcessing: a file that passes every check made
// without decoding but cannot be transcoded answers 10007 within the wait,
// leaves no object, is shown to its uploader (and no one else) as failed
// with its reason, and never in a list. An AVI is refused at once.
func TestUploadThatFailsProcessing(t *testing.T) {
	e := start(t)
	id, token := e.register("pipeline_fail")
	_, other := e.register("pipeline_other")
	dir := t.TempDir()
	zeros := filepath.Join(dir, "zeros.mp4")
	if err := mediatest.Undecodable(context.Background(), zeros); err != nil {
		t.Fatal(err)
	}
	e.wantCode(e.uploadFile(token, "zeros", zeros), int64(errno.CodeUnsupportedMedia))
	hostile, err := mediatest.Hostile(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	e.wantCode(e.uploadFile(token, "avi", hostile["avi"]), int64(errno.CodeUnsupportedMedia))
	if n := e.mediaFiles(); n != 0 {
		t.Fatalf("%d objects left", n)
	}
	if l := e.must(e.get("/douyin/publish/list/", kv("user_id", id))).list("video_list"); len(l) != 0 {
		t.Fatalf("a failed upload listed: %v", l)
	}
	u := e.must(e.get("/douyin/publish/uploads/", kv("token", token))).list("upload_list")
	if len(u) != 1 {
		t.Fatalf("uploads %v: want the failed one", u)
	}
	f := u[0].(map[string]any)
	if f["state"] != "failed" || f["title"] != "zeros" || f["reason"] == "" {
		t.Fatalf("failed upload shown as %v", f)
	}
	if u := e.must(e.get("/douyin/publish/uploads/", kv("token", other))).list("upload_list"); len(u) != 0 {
		t.Fatalf("another user sees %v", u)
	}
	e.wantCode(e.get("/douyin/publish/uploads/", nil), int64(errno.CodeUnauthorized))
	// The same file again is processed again (a failure is not a first
	// attempt to answer), and fails again.
	e.wantCode(e.uploadFile(token, "zeros", zeros), int64(errno.CodeUnsupportedMedia))
}

// TestConcurrentUploadsOnlyReadyShown: 20 uploads at once all become
// ready, and meanwhile no feed page, publish list or favorite list ever
// shows a video whose media are not there.
func TestConcurrentUploadsOnlyReadyShown(t *testing.T) {
	e := start(t)
	const users, each = 10, 2
	ids := make([]int64, users)
	tokens := make([]string, users)
	for i := range users {
		ids[i], tokens[i] = e.register(fmt.Sprintf("burst_%d", i))
	}
	watcherID, watcher := e.register("burst_watcher")
	stop := make(chan struct{})
	var seen sync.Map // play_url -> checked
	var watchErr error
	var watchMu sync.Mutex
	var watched sync.WaitGroup
	check := func(where string, vs []any) {
		for _, x := range vs {
			v := x.(map[string]any)
			play, _ := v["play_url"].(string)
			cover, _ := v["cover_url"].(string)
			if play == "" || cover == "" {
				watchMu.Lock()
				watchErr = fmt.Errorf("%s showed video %v without media", where, v["id"])
				watchMu.Unlock()
				continue
			}
			if _, ok := seen.LoadOrStore(play, true); ok {
				continue
			}
			res, err := httpClient.Head(play)
			if err == nil {
				res.Body.Close()
				if res.StatusCode != 200 || res.Header.Get("Content-Type") != "video/mp4" {
					err = fmt.Errorf("HEAD %s: %s, Content-Type %q", play, res.Status, res.Header.Get("Content-Type"))
				}
			}
			if err != nil {
				watchMu.Lock()
				watchErr = fmt.Errorf("%s showed video %v whose media do not serve: %v", where, v["id"], err)
				watchMu.Unlock()
			}
			// Liking what is shown works: it exists for the other services.
			if r := e.post("/douyin/favorite/action/", kv("token", watcher, "video_id", v["id"], "action_type", 1)); r.code() != 0 {
				watchMu.Lock()
				watchErr = fmt.Errorf("%s showed video %v that cannot be liked: %v", where, v["id"], r)
				watchMu.Unlock()
			}
		}
	}
	watched.Add(1)
	go func() {
		defer watched.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			check("the feed", e.get("/douyin/feed/", kv("token", watcher)).list("video_list"))
			for _, id := range ids {
				check("a publish list", e.get("/douyin/publish/list/", kv("user_id", id)).list("video_list"))
			}
			check("the favorite list", e.get("/douyin/favorite/list/", kv("token", watcher, "user_id", watcherID)).list("video_list"))
		}
	}()
	// Stopped before any Fatal, so it never calls a system shut down.
	stopWatch := sync.OnceFunc(func() { close(stop); watched.Wait() })
	defer stopWatch()
	var wg sync.WaitGroup
	codes := make(chan int64, users*each)
	for i := range users {
		for j := range each {
			wg.Go(func() {
				b, err := os.ReadFile(sample(t))
				if err != nil {
					t.Error(err)
					return
				}
				codes <- e.upload(tokens[i], fmt.Sprintf("burst %d-%d", i, j), bytes.NewReader(b), "v.mp4").code()
			})
		}
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 0 {
			t.Fatalf("an upload answered %d", c)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n := 0
		for _, id := range ids {
			n += len(e.must(e.get("/douyin/publish/list/", kv("user_id", id))).list("video_list"))
		}
		if n == users*each {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d videos ready after 2 minutes", n, users*each)
		}
		time.Sleep(200 * time.Millisecond)
	}
	stopWatch()
	if watchErr != nil {
		t.Fatal(watchErr)
	}
	for i, id := range ids {
		u := e.must(e.get("/douyin/user/", kv("user_id", id, "token", tokens[i]))).obj("user")
		if num(u, "work_count") != each {
			t.Fatalf("user %d: work_count %d", id, num(u, "work_count"))
		}
	}
	if n := e.mediaFiles(); n != 2*users*each {
		t.Fatalf("%d objects, want %d (a video and a cover each)", n, 2*users*each)
	}
}
