package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tiktok/domain/media/mediatest"
	"tiktok/internal/config"
)

func TestProbeAndCover(t *testing.T) {
	if err := Check(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := context.Background()
	v := filepath.Join(dir, "v.mp4")
	if err := MakeSample(ctx, v, "testsrc2", 2); err != nil {
		t.Fatal(err)
	}
	info, err := Probe(ctx, v)
	if err != nil || info.Width != 360 || info.Height != 640 || info.Duration < 1.5 || info.ContentType != "video/mp4" || info.Ext != ".mp4" {
		t.Fatalf("probe: %+v %v", info, err)
	}
	jpg := filepath.Join(dir, "c.jpg")
	if err := Cover(ctx, v, jpg, info); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(jpg)
	if !bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatal("cover is not a JPEG")
	}
	// A text file named .mp4, and a JPEG named .mp4, are not videos.
	txt := filepath.Join(dir, "t.mp4")
	os.WriteFile(txt, []byte("hello, I am not a video"), 0o644)
	if _, err := Probe(ctx, txt); !errors.Is(err, ErrNotVideo) {
		t.Fatalf("text accepted: %v", err)
	}
	img := filepath.Join(dir, "i.mp4")
	os.WriteFile(img, b, 0o644)
	if _, err := Probe(ctx, img); !errors.Is(err, ErrNotVideo) {
		t.Fatalf("jpeg accepted: %v", err)
	}
}

// hostile caches the hostile files for the tests of one binary.
var hostile = sync.OnceValues(func() (map[string]string, error) {
	d, err := os.MkdirTemp("", "media-hostile-")
	if err != nil {
		return nil, err
	}
	return mediatest.Hostile(context.Background(), d)
})

func hostileFile(t *testing.T, name string) string {
	t.Helper()
	files, err := hostile()
	if err != nil {
		t.Fatal(err)
	}
	return files[name]
}

// Each accepted container is probed with its own content type and gets a
// real JPEG cover.
func TestAcceptedContainers(t *testing.T) {
	files, err := mediatest.Accepted(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := New(DefaultLimits())
	for name, want := range map[string]string{"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"} {
		info, err := r.Probe(context.Background(), files[name])
		if err != nil || info.ContentType != want || info.Ext != "."+name || info.Width != 320 || info.Height != 240 {
			t.Errorf("%s: %+v %v", name, info, err)
			continue
		}
		jpg := filepath.Join(t.TempDir(), "c.jpg")
		if err := r.Cover(context.Background(), files[name], jpg, info); err != nil {
			t.Errorf("%s cover: %v", name, err)
		}
	}
}

// Every file of the finding is refused, for its own reason, by Probe alone:
// from the bytes and the declarations, before any decoder runs. The runs
// that do happen (header-only ffprobe) stay small whatever the file claims.
func TestHostileFilesRefusedBeforeDecoding(t *testing.T) {
	cases := []struct {
		name string
		want error
	}{
		{"mjpeg-avi-16000", ErrContainer},
		{"mjpeg-mov-16000", ErrTooLarge},
		{"one-frame-8192", ErrTooLarge},
		{"one-frame", ErrOneFrame},
		{"one-frame-webm", ErrOneFrame},
		{"m4a-cover-art", ErrNoVideo},
		{"mp3-cover-art", ErrContainer},
		{"avi", ErrContainer},
		{"mkv", ErrContainer},
		{"mpegts", ErrContainer},
		{"mp4-html", ErrStructure},
		{"too-long", ErrTooLong},
	}
	r := New(DefaultLimits())
	for _, c := range cases {
		_, err := r.Probe(context.Background(), hostileFile(t, c.name))
		if !errors.Is(err, c.want) || !errors.Is(err, ErrNotVideo) {
			t.Errorf("%s: want %v, got %v", c.name, c.want, err)
		}
	}
	// ffprobe alone is about 55 MB; decoding one 16000x16000 frame took 1 GB.
	t.Logf("peak RSS of the probes: %d MB", r.PeakRSS()>>20)
	if rss := r.PeakRSS(); rss == 0 || rss > 150<<20 {
		t.Fatalf("peak RSS of the probes: %d MB", rss>>20)
	}
}

// A smaller bound applies as configured.
func TestDurationBound(t *testing.T) {
	v := filepath.Join(t.TempDir(), "v.mp4")
	if err := MakeSample(context.Background(), v, "testsrc2", 2); err != nil {
		t.Fatal(err)
	}
	l := DefaultLimits()
	l.MaxDuration = time.Second
	if _, err := New(l).Probe(context.Background(), v); !errors.Is(err, ErrTooLong) {
		t.Fatalf("2 s video under a 1 s bound: %v", err)
	}
	l = DefaultLimits()
	l.MaxSide = 320
	if _, err := New(l).Probe(context.Background(), v); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("360x640 video under a 320 side bound: %v", err)
	}
}

// A container that declares a small picture whose frames are 16000x16000
// passes the probe; the decoder's pixel bound (-max_pixels) then refuses
// the frame without allocating it.
func TestCoverDecoderBound(t *testing.T) {
	dir := t.TempDir()
	avi := filepath.Join(dir, "liar.avi")
	if err := mediatest.MJPEGAVI(avi, mediatest.FlatJPEG(16000, 16000), 320, 240, 2, 2); err != nil {
		t.Fatal(err)
	}
	mov := filepath.Join(dir, "liar.mov")
	if err := mediatest.Remux(context.Background(), avi, mov); err != nil {
		t.Fatal(err)
	}
	r := New(DefaultLimits())
	info, err := r.Probe(context.Background(), mov)
	if err != nil || info.Width != 320 {
		t.Fatalf("probe: %+v %v", info, err)
	}
	err = r.Cover(context.Background(), mov, filepath.Join(dir, "c.jpg"), info)
	if !errors.Is(err, ErrUndecoded) {
		t.Fatalf("cover of a 16000x16000 frame: %v", err)
	}
	t.Logf("peak RSS of probe and cover: %d MB", r.PeakRSS()>>20)
	if rss := r.PeakRSS(); rss > 150<<20 {
		t.Fatalf("peak RSS: %d MB", rss>>20)
	}
}

// The address-space cap stops a run that would decode a 16000x16000 frame
// (1 GB without it), whatever the run.
func TestMemoryCap(t *testing.T) {
	l := DefaultLimits()
	l.MemoryBytes = 512 << 20
	r := New(l)
	_, err := r.run(context.Background(), "ffmpeg", "-nostdin", "-v", "error", "-threads", "1",
		"-i", hostileFile(t, "mjpeg-avi-16000"), "-f", "null", "-")
	if !errors.Is(err, errFailed) {
		t.Fatalf("decoding under a 512 MB cap: %v", err)
	}
	t.Logf("peak RSS under the cap: %d MB", r.PeakRSS()>>20)
	if rss := r.PeakRSS(); rss == 0 || rss > 512<<20 {
		t.Fatalf("peak RSS %d MB above the cap", rss>>20)
	}
	// The default cap leaves room for a normal run.
	if _, err := New(DefaultLimits()).run(context.Background(), "ffprobe", "-version"); err != nil {
		t.Fatal(err)
	}
}

func TestDeadline(t *testing.T) {
	l := DefaultLimits()
	l.Timeout = 200 * time.Millisecond
	start := time.Now()
	_, err := New(l).run(context.Background(), "sleep", "10")
	if !errors.Is(err, ErrTooSlow) || !errors.Is(err, ErrNotVideo) {
		t.Fatalf("want ErrTooSlow, got %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the run outlived its deadline: %v", d)
	}
	// The caller's own cancellation is not the file's fault.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	l.Timeout = time.Minute
	if _, err := New(l).run(ctx, "sleep", "10"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the caller's deadline, got %v", err)
	}
}

// A full pool queues up to Queue jobs for QueueWait each, then refuses.
func TestPoolBound(t *testing.T) {
	l := DefaultLimits()
	l.Workers, l.Queue, l.QueueWait = 1, 1, 200*time.Millisecond
	r := New(l)
	release, err := r.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error)
	go func() {
		_, err := r.acquire(context.Background())
		waited <- err
	}()
	for r.waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// The queue is full: refused at once.
	if _, err := r.acquire(context.Background()); !errors.Is(err, ErrBusy) {
		t.Fatalf("beyond the queue: %v", err)
	}
	// The queued job gives up after QueueWait.
	start := time.Now()
	if err := <-waited; !errors.Is(err, ErrBusy) || time.Since(start) > 2*time.Second {
		t.Fatalf("queued job: %v after %v", err, time.Since(start))
	}
	// A slot freed within the wait is taken.
	go func() { time.Sleep(50 * time.Millisecond); release() }()
	rel, err := r.acquire(context.Background())
	if err != nil {
		t.Fatalf("slot freed within the wait: %v", err)
	}
	rel()
}

func TestCheckJPEG(t *testing.T) {
	real := mediatest.FlatJPEG(640, 480)
	if err := checkJPEG(real); err != nil {
		t.Fatalf("a real JPEG: %v", err)
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"SOI only":  {0xFF, 0xD8, 0xFF, 0xE0},
		"truncated": real[:len(real)-2],
		"not JPEG":  bytes.Repeat([]byte("<html>"), 100),
		"bad frame": append(append([]byte{0xFF, 0xD8, 0xFF, 0xFE, 0x01, 0x02}, make([]byte, 300)...), 0xFF, 0xD9),
	} {
		if err := checkJPEG(b); !errors.Is(err, ErrBadCover) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The container walks: boxes must tile the file, a WebM Segment must end it.
func TestContainerStructure(t *testing.T) {
	box := func(typ string, body int) []byte {
		b := make([]byte, 8+body)
		b[3] = byte(8 + body)
		copy(b[4:], typ)
		return b
	}
	ftyp := append(box("ftyp", 8)[:8], []byte("isom\x00\x00\x02\x00")...)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	open := append([]byte{0, 0, 0, 0}, []byte("mdat")...) // size 0: to the end of the file
	large := append([]byte{0, 0, 0, 1}, []byte("mdat")...)
	large = append(large, 0, 0, 0, 0, 0, 0, 0, 24)
	large = append(large, make([]byte, 8)...)
	for name, c := range map[string]struct {
		b  []byte
		ok bool
	}{
		"exact":          {cat(ftyp, box("moov", 4), box("mdat", 10)), true},
		"64-bit size":    {cat(ftyp, large), true},
		"junk after":     {cat(ftyp, box("moov", 4), []byte("<html>")), false},
		"box past end":   {cat(ftyp, box("moov", 4)[:10]), false},
		"open-ended box": {cat(ftyp, open, []byte("<html></html>")), false},
		"binary type":    {cat(ftyp, []byte{0, 0, 0, 8, 0, 1, 2, 3}), false},
	} {
		err := walkBoxes(bytes.NewReader(c.b), int64(len(c.b)))
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", name, err)
		}
	}
	ebml := []byte{0x1A, 0x45, 0xDF, 0xA3, 0x87, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm'}
	seg := func(size byte, body int) []byte {
		return append([]byte{0x18, 0x53, 0x80, 0x67, size}, make([]byte, body)...)
	}
	for name, c := range map[string]struct {
		b    []byte
		want string
	}{
		"exact":        {cat(ebml, seg(0x84, 4)), "webm"},
		"junk after":   {cat(ebml, seg(0x84, 4), []byte("<html>")), ""},
		"unknown size": {cat(ebml, seg(0xFF, 4)), ""},
		"no segment":   {ebml, ""},
	} {
		got, err := walkEBML(bytes.NewReader(c.b), int64(len(c.b)))
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("%s: %q %v", name, got, err)
		}
	}
}

// Object storage hands the service a URL (MinIO's presigned GET): the
// structure is read through range requests and the copy through one GET.
func TestProbeOverHTTP(t *testing.T) {
	files, err := mediatest.Accepted(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.mov", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, files["mov"]) })
	mux.HandleFunc("/html.mp4", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, hostileFile(t, "mp4-html")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := New(DefaultLimits())
	info, err := r.Probe(context.Background(), srv.URL+"/ok.mov?X-Amz-Signature=x")
	if err != nil || info.ContentType != "video/quicktime" {
		t.Fatalf("mov over HTTP: %+v %v", info, err)
	}
	if _, err := r.Probe(context.Background(), srv.URL+"/html.mp4"); !errors.Is(err, ErrStructure) {
		t.Fatalf("mp4+html over HTTP: %v", err)
	}
	if _, err := r.Probe(context.Background(), srv.URL+"/missing.mp4"); err == nil || errors.Is(err, ErrNotVideo) {
		t.Fatalf("a missing object is a server fault, not the file's: %v", err)
	}
	rc, err := Open(context.Background(), srv.URL+"/ok.mov")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	want, _ := os.ReadFile(files["mov"])
	if !bytes.Equal(got, want) {
		t.Fatalf("Open read %d bytes of %d", len(got), len(want))
	}
}

// default.yaml's media: section and DefaultLimits agree, and each key is
// read (here from the environment).
func TestLimitsFromConfig(t *testing.T) {
	c, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if got := LimitsFrom(c); got != DefaultLimits() {
		t.Fatalf("default.yaml %+v, DefaultLimits %+v", got, DefaultLimits())
	}
	for k, v := range map[string]string{"TIMEOUT": "5s", "WORKERS": "3", "QUEUE": "4", "QUEUE_WAIT": "1s",
		"MEMORY_BYTES": "536870912", "MAX_SIDE": "1920", "MAX_PIXELS": "2073600", "MAX_DURATION": "1m"} {
		t.Setenv("TIKTOK_MEDIA_"+k, v)
	}
	if c, err = config.Load(""); err != nil {
		t.Fatal(err)
	}
	want := Limits{Timeout: 5 * time.Second, Workers: 3, Queue: 4, QueueWait: time.Second, MemoryBytes: 512 << 20,
		MaxSide: 1920, MaxPixels: 1920 * 1080, MaxDuration: time.Minute}
	if got := LimitsFrom(c); got != want {
		t.Fatalf("from the environment: %+v", got)
	}
	if r := New(want); cap(r.slots) != 3 {
		t.Fatalf("pool of %d", cap(r.slots))
	}
}
