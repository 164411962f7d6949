package prod

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tiktok/domain/media/mediatest"
	"tiktok/internal/config"
	"tiktok/internal/errno"
	"tiktok/internal/queue"
	"tiktok/internal/storage"
)

// The video pipeline in the distributed deployment: NATS (the machine's
// server with JetStream) going away and coming back, and a media worker
// killed in the middle of a transcode while another runs.

// upload publishes file as the app does and returns the reply's code.
func upload(t *testing.T, base, token, title, file string) int64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("token", token)
	w.WriteField("title", title)
	fw, _ := w.CreateFormFile("data", filepath.Base(file))
	fw.Write(b)
	w.Close()
	res, err := (&http.Client{Timeout: 3 * time.Minute}).Post(base+"/douyin/publish/action/", w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r reply
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("publish: %s", raw)
	}
	return r.code()
}

func bucket(t *testing.T, cfg *config.Config) *storage.MinIO {
	t.Helper()
	m := cfg.Storage.MinIO
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := storage.NewMinIO(ctx, m.Endpoint, m.AccessKey, m.SecretKey, m.Bucket, m.UseSSL, m.PublicURL)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func count(t *testing.T, s *storage.MinIO, prefix string) int {
	t.Helper()
	n, err := s.Count(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// settle waits until the job stream is empty: every job done and cleaned up.
func settle(t *testing.T, cfg *config.Config) {
	t.Helper()
	nc, err := queue.Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	q, err := queue.New(nc, queue.OptionsFrom(cfg))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Minute, "the job stream empty", func() bool {
		n, err := q.Pending(context.Background())
		return err == nil && n == 0
	})
}

func titles(t *testing.T, base string, user int64) []string {
	r, _ := call(t, "GET", base+"/douyin/publish/list/", url.Values{"user_id": {strconv.FormatInt(user, 10)}})
	var out []string
	for _, v := range r["video_list"].([]any) {
		out = append(out, v.(map[string]any)["title"].(string))
	}
	return out
}

// The machine's NATS, as scripts/lib.sh (ensure_nats) starts it.
func natsUp() bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:4222", time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func startNATS(t *testing.T) {
	t.Helper()
	out, err := exec.Command("start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/nats-server", "--",
		"-a", "127.0.0.1", "-p", "4222", "-js", "-sd", "/var/lib/nats-server", "-l", "/var/log/nats-server.log").CombinedOutput()
	if err != nil {
		t.Fatalf("start nats: %v: %s", err, out)
	}
	eventually(t, 20*time.Second, "NATS back", natsUp)
}

// TestNATSDownAndBack: with NATS stopped a publish answers 10010 and stores
// nothing, everything else keeps working; with NATS back, publishing works
// again with nothing restarted.
func TestNATSDownAndBack(t *testing.T) {
	processesOnly(t)
	cfg, base := setup(t)
	store := bucket(t, cfg)
	uid, token := register(t, base, "natsdown")
	video := filepath.Join(t.TempDir(), "v.mp4")
	if err := mediatest.Sized(context.Background(), video, 360, 640, 25, 1); err != nil {
		t.Fatal(err)
	}
	if c := upload(t, base, token, "before", video); c != 0 {
		t.Fatalf("publish with NATS up: %d", c)
	}
	settle(t, cfg)
	objects := count(t, store, "")
	out, err := exec.Command("start-stop-daemon", "--stop", "--retry", "10", "--exec", "/usr/sbin/nats-server").CombinedOutput()
	if err != nil {
		t.Fatalf("stop nats: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if !natsUp() {
			startNATS(t)
		}
	})
	eventually(t, 10*time.Second, "NATS stopped", func() bool { return !natsUp() })
	time.Sleep(500 * time.Millisecond) // the roles notice the connection is gone
	start := time.Now()
	if c := upload(t, base, token, "during", video); c != int64(errno.CodeServiceUnavailable) {
		t.Fatalf("publish with NATS down: %d, want 10010", c)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("publish with NATS down took %v", took)
	}
	if n := count(t, store, ""); n != objects {
		t.Fatalf("a refused publish stored %d objects", n-objects)
	}
	// Everything else works.
	q := url.Values{"token": {token}, "user_id": {strconv.FormatInt(uid, 10)}}
	for _, p := range []string{"/douyin/feed/", "/douyin/user/", "/douyin/publish/list/", "/douyin/favorite/list/",
		"/douyin/publish/uploads/"} {
		if r, _ := call(t, "GET", base+p, q); r.code() != 0 {
			t.Fatalf("%s with NATS down: %v", p, r)
		}
	}
	if got := titles(t, base, uid); fmt.Sprint(got) != "[before]" {
		t.Fatalf("publish list %v", got)
	}
	startNATS(t)
	// Each attempt counts against the user's publish budget (10 at once):
	// a few, spaced past the roles' one-second reconnection.
	ok := false
	for i := 0; i < 6 && !ok; i++ {
		time.Sleep(2 * time.Second)
		ok = upload(t, base, token, "after", video) == 0
	}
	if !ok {
		t.Fatal("publishing does not work again after NATS came back")
	}
	settle(t, cfg)
	if got := titles(t, base, uid); fmt.Sprint(got) != "[after before]" {
		t.Fatalf("publish list %v", got)
	}
}

// TestMediaWorkerKilledMidTranscode: with two media workers, the one
// transcoding is killed (SIGKILL); its job goes to the other after
// queue.ack_wait: one video, no orphan objects, the original removed.
func TestMediaWorkerKilledMidTranscode(t *testing.T) {
	processesOnly(t)
	cfg, base := setup(t)
	store := bucket(t, cfg)
	settle(t, cfg)
	startRole(t, "media-2", "media")
	t.Cleanup(func() {
		for _, name := range []string{"media", "media-2"} {
			if !alive(name) {
				os.Remove(filepath.Join(runDir, "pids", name+".pid"))
				if name == "media" {
					startRole(t, "media", "media")
				}
			} else if name == "media-2" {
				stopRole(t, "media-2")
			}
		}
	})
	uid, token := register(t, base, "killed")
	// Long enough to transcode for seconds, small enough (under 2 MB) for the
	// suite's 8 MiB upload limit.
	video := filepath.Join(t.TempDir(), "long.mp4")
	if err := mediatest.FFmpeg(context.Background(), video, "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=20",
		"-f", "lavfi", "-i", "sine=duration=20", "-c:v", "libx264", "-preset", "veryfast", "-crf", "45",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"); err != nil {
		t.Fatal(err)
	}
	before := count(t, store, "")
	done := make(chan int64, 1)
	go func() { done <- upload(t, base, token, "survivor", video) }()
	// The worker whose child is the transcoding ffmpeg.
	var victim string
	eventually(t, 60*time.Second, "a worker transcoding", func() bool {
		for _, name := range []string{"media", "media-2"} {
			if pid := pidOf(name); pid > 0 && transcoding(pid) {
				victim = name
				return true
			}
		}
		return false
	})
	time.Sleep(time.Second) // well into the transcode
	syscall.Kill(pidOf(victim), syscall.SIGKILL)
	t.Logf("killed %s mid-transcode", victim)
	if c := <-done; c != 0 {
		t.Fatalf("publish answered %d", c)
	}
	eventually(t, 2*time.Minute, "the video ready on the other worker", func() bool {
		return fmt.Sprint(titles(t, base, uid)) == "[survivor]"
	})
	settle(t, cfg)
	if n := count(t, store, ""); n != before+2 {
		t.Fatalf("%d new objects, want a video and a cover", n-before)
	}
	if n := count(t, store, storage.OriginalsPrefix); n != 0 {
		t.Fatalf("%d originals left", n)
	}
}

func pidOf(name string) int {
	b, err := os.ReadFile(filepath.Join(runDir, "pids", name+".pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func alive(name string) bool {
	pid := pidOf(name)
	return pid > 0 && syscall.Kill(pid, 0) == nil && !zombie(pid)
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}

// transcoding reports whether pid has an ffmpeg child writing an MP4.
func transcoding(pid int) bool {
	out, _ := exec.Command("pgrep", "-a", "-P", strconv.Itoa(pid)).Output()
	return strings.Contains(string(out), "libx264")
}
