package media

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client/callopt"
	"github.com/nats-io/nats.go/jetstream"

	mtool "tiktok/domain/media"
	"tiktok/domain/media/mediatest"
	"tiktok/internal/queue"
	"tiktok/internal/storage"
	ppb "tiktok/kitex_gen/publish"
)

// videos is the publish service's side as the worker sees it: rows with
// states, each marked once.
type videos struct {
	mu   sync.Mutex
	rows map[int64]*ppb.VideoStateResponse
	// readyCalls counts MarkReady calls that moved a video.
	readyCalls atomic.Int64
	// down makes every call fail as an unreachable service would.
	down atomic.Bool
}

var errDown = errors.New("dial tcp: connection refused")

func newVideos() *videos { return &videos{rows: map[int64]*ppb.VideoStateResponse{}} }

func (v *videos) add(id int64, original string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rows[id] = &ppb.VideoStateResponse{Found: true, State: ppb.VideoState_PROCESSING, OriginalKey: original}
}

func (v *videos) get(id int64) ppb.VideoStateResponse {
	v.mu.Lock()
	defer v.mu.Unlock()
	if r, ok := v.rows[id]; ok {
		return *r
	}
	return ppb.VideoStateResponse{}
}

func (v *videos) VideoState(_ context.Context, req *ppb.VideoStateRequest, _ ...callopt.Option) (*ppb.VideoStateResponse, error) {
	if v.down.Load() {
		return nil, errDown
	}
	r := v.get(req.VideoId)
	return &r, nil
}

func (v *videos) MarkReady(_ context.Context, req *ppb.MarkReadyRequest, _ ...callopt.Option) (*ppb.VideoStateResponse, error) {
	if v.down.Load() {
		return nil, errDown
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	r, ok := v.rows[req.VideoId]
	if !ok {
		return &ppb.VideoStateResponse{}, nil
	}
	if r.State == ppb.VideoState_PROCESSING {
		r.State, r.VideoKey, r.CoverKey = ppb.VideoState_READY, req.VideoKey, req.CoverKey
		v.readyCalls.Add(1)
	}
	out := *r
	return &out, nil
}

func (v *videos) MarkFailed(_ context.Context, req *ppb.MarkFailedRequest, _ ...callopt.Option) (*ppb.VideoStateResponse, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r, ok := v.rows[req.VideoId]
	if !ok {
		return &ppb.VideoStateResponse{}, nil
	}
	if r.State == ppb.VideoState_PROCESSING {
		r.State = ppb.VideoState_FAILED
	}
	out := *r
	return &out, nil
}

type rig struct {
	q      *queue.Queue
	videos *videos
	store  *storage.Local
	w      *Worker
	nextID int64
}

// newRig is a worker on an embedded NATS server and local storage;
// start runs it until the test ends.
func newRig(t *testing.T) *rig {
	t.Helper()
	srv, err := queue.StartServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	q, err := queue.New(nc, queue.Options{Timeout: 2 * time.Second, AckWait: time.Second, MaxDeliver: 3,
		Backoff: []time.Duration{20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.NewLocal(t.TempDir(), "http://x/media/")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{q: q, videos: newVideos(), store: store}
	r.w, err = New(Options{Queue: q, Videos: r.videos, Storage: store, Workers: 2, Limits: mtool.DefaultLimits(),
		Output: mtool.DefaultOutput(), TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A required dependency missing is an error at construction, not a nil
// dereference at the first job.
func TestNewRequiresItsDependencies(t *testing.T) {
	r := newRig(t)
	full := Options{Queue: r.q, Videos: r.videos, Storage: r.store}
	for name, drop := range map[string]func(*Options){
		"no queue":   func(o *Options) { o.Queue = nil },
		"no videos":  func(o *Options) { o.Videos = nil },
		"no storage": func(o *Options) { o.Storage = nil },
	} {
		o := full
		drop(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

func (r *rig) start(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// publish stores file as an original, records its video processing and
// queues its job, as the publish service does.
func (r *rig) publish(t *testing.T, file string) (int64, string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	key := storage.NewOriginalKey()
	if _, err := r.store.Put(context.Background(), key, f, 0, ""); err != nil {
		t.Fatal(err)
	}
	r.nextID++
	r.videos.add(r.nextID, key)
	if err := r.q.Publish(context.Background(), queue.Job{VideoID: r.nextID, AuthorID: 1, Original: key}); err != nil {
		t.Fatal(err)
	}
	return r.nextID, key
}

func (r *rig) waitFor(t *testing.T, id int64, state ppb.VideoState) ppb.VideoStateResponse {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if v := r.videos.get(id); v.State == state {
			return v
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("video %d never %v: %+v", id, state, r.videos.get(id))
	return ppb.VideoStateResponse{}
}

// objects lists what storage holds, once the job is acknowledged (an ack
// comes after the clean-up).
func (r *rig) objects(t *testing.T) []string {
	t.Helper()
	var keys []string
	for i := 0; i < 100; i++ {
		keys = keys[:0]
		_ = filepath.WalkDir(r.store.Dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(r.store.Dir, p)
				keys = append(keys, filepath.ToSlash(rel))
			}
			return nil
		})
		if r.pending(t) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return keys
}

// pending is how many jobs the stream still holds (acknowledged ones are
// removed: work-queue retention).
func (r *rig) pending(t *testing.T) uint64 {
	t.Helper()
	n, err := r.q.Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sample(t *testing.T, w, h int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.mp4")
	if err := mediatest.Sized(context.Background(), p, w, h, 25, 1); err != nil {
		t.Fatal(err)
	}
	return p
}

// An upload becomes a ready video: an H.264/AAC MP4 with its moov first,
// within 1920x1080, and a JPEG cover; the original goes, the job is
// acknowledged.
func TestJobMakesAReadyVideo(t *testing.T) {
	r := newRig(t)
	r.start(t)
	id, original := r.publish(t, sample(t, 2560, 1440))
	v := r.waitFor(t, id, ppb.VideoState_READY)
	wantVideo, wantCover := storage.OutputKeys(original)
	if v.VideoKey != wantVideo || v.CoverKey != wantCover {
		t.Fatalf("keys %s %s", v.VideoKey, v.CoverKey)
	}
	keys := r.objects(t)
	if strings.Join(keys, " ") != wantCover+" "+wantVideo {
		t.Fatalf("storage holds %v, want the cover and the video only", keys)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0",
		filepath.Join(r.store.Dir, wantVideo)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "h264,1920,1080\naac" {
		t.Fatalf("streams %q", got)
	}
	if st, err := os.Stat(filepath.Join(r.store.Dir, wantCover)); err != nil || st.Size() < 256 {
		t.Fatalf("cover %v", err)
	}
	if r.pending(t) != 0 {
		t.Fatal("job not acknowledged")
	}
}

// A file that passes the header checks but cannot be decoded ends failed,
// with a reason, and nothing of it stays.
func TestUndecodableEndsFailed(t *testing.T) {
	r := newRig(t)
	r.start(t)
	p := filepath.Join(t.TempDir(), "zeros.mp4")
	if err := mediatest.Undecodable(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	id, _ := r.publish(t, p)
	r.waitFor(t, id, ppb.VideoState_FAILED)
	if keys := r.objects(t); len(keys) != 0 {
		t.Fatalf("left behind: %v", keys)
	}
}

// A job that fails every time (a poison job) is attempted max_deliver
// times, then its video ends failed and its objects go.
func TestPoisonJobStops(t *testing.T) {
	r := newRig(t)
	var attempts atomic.Int64
	r.w.process = func(ctx context.Context, job queue.Job) (string, string, error) {
		attempts.Add(1)
		// Writes its outputs, then fails: a crash half-way.
		vk, ck := storage.OutputKeys(job.Original)
		_, _ = r.store.Put(ctx, vk, strings.NewReader("partial"), 0, "")
		_, _ = r.store.Put(ctx, ck, strings.NewReader("partial"), 0, "")
		return "", "", errors.New("worker blew up")
	}
	r.start(t)
	id, _ := r.publish(t, sample(t, 160, 120))
	r.waitFor(t, id, ppb.VideoState_FAILED)
	if keys := r.objects(t); len(keys) != 0 {
		t.Fatalf("left behind: %v", keys)
	}
	time.Sleep(500 * time.Millisecond) // no further attempt comes
	if n := attempts.Load(); n != int64(r.q.Options().MaxDeliver) {
		t.Fatalf("%d attempts, want max_deliver = %d", n, r.q.Options().MaxDeliver)
	}
}

// A worker that dies with the job in hand (it stops reporting progress)
// loses it to another after ack_wait: one video, no orphan. A job delivered
// again after its video is ready, or whose video is gone, is acknowledged
// and leaves nothing.
func TestRedeliveryMakesOneVideo(t *testing.T) {
	r := newRig(t)
	id, original := r.publish(t, sample(t, 320, 240))
	// The dead worker: takes the job and never answers.
	if _, err := r.q.Next(context.Background(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	r.start(t)
	r.waitFor(t, id, ppb.VideoState_READY)
	vk, ck := storage.OutputKeys(original)
	if keys := r.objects(t); strings.Join(keys, " ") != ck+" "+vk {
		t.Fatalf("storage %v", keys)
	}
	// The same job once more (a duplicate from the queue): nothing changes.
	js, err := jetstream.New(r.q.Conn())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(queue.Job{VideoID: id, AuthorID: 1, Original: original})
	if _, err := js.Publish(context.Background(), queue.Subject, data); err != nil { // no dedup id
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if keys := r.objects(t); strings.Join(keys, " ") != ck+" "+vk || r.videos.readyCalls.Load() != 1 {
		t.Fatalf("after a duplicate: storage %v, %d marks", keys, r.videos.readyCalls.Load())
	}
	// A job whose video was undone (its publish answered 10010): its
	// original and any output go.
	gone := storage.NewOriginalKey()
	_, _ = r.store.Put(context.Background(), gone, strings.NewReader("x"), 0, "")
	if err := r.q.Publish(context.Background(), queue.Job{VideoID: 999, Original: gone}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if keys := r.objects(t); strings.Join(keys, " ") != ck+" "+vk {
		t.Fatalf("after a job without its video: storage %v", keys)
	}
}

// An outage of the publish service costs a job none of its deliveries: the
// worker holds the job and asks again until publish answers.
func TestPublishOutageCostsNoDelivery(t *testing.T) {
	r := newRig(t)
	var attempts atomic.Int64
	process := r.w.process
	r.w.process = func(ctx context.Context, job queue.Job) (string, string, error) {
		attempts.Add(1)
		vk, ck, err := process(ctx, job)
		r.videos.down.Store(true) // publish goes away before the job is marked
		go func() { time.Sleep(2 * time.Second); r.videos.down.Store(false) }()
		return vk, ck, err
	}
	r.start(t)
	id, original := r.publish(t, sample(t, 160, 120))
	r.waitFor(t, id, ppb.VideoState_READY)
	vk, ck := storage.OutputKeys(original)
	if keys := r.objects(t); strings.Join(keys, " ") != ck+" "+vk {
		t.Fatalf("storage %v", keys)
	}
	if n := attempts.Load(); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
}
