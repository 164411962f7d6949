package publish

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"tiktok/domain/media"
	"tiktok/domain/media/mediatest"
	"tiktok/internal/errno"
	"tiktok/internal/metrics"
	"tiktok/internal/queue"
	"tiktok/internal/storage"
	"tiktok/internal/testdb"
	kbase "tiktok/kitex_gen/base"
	ppb "tiktok/kitex_gen/publish"
)

// Only ready videos are shown: the feed's pages, a user's list, look-ups
// by id, work counts. Processing and failed ones are their uploader's
// uploads; the quota counts what is or will be published.
func TestOnlyReadyVideosAreShown(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *store) {
		ctx := context.Background()
		s := bare(t, st)
		now := time.Now().UnixMilli()
		rows := map[string]*Video{
			"ready":      {AuthorID: 1, Title: "r", VideoKey: "videos/r.mp4", CoverKey: "covers/r.jpg"},
			"processing": {AuthorID: 1, Title: "p", OriginalKey: "originals/p", State: stateProcessing},
			"failed":     {AuthorID: 1, Title: "f", OriginalKey: "originals/f", State: stateFailed, Failure: "bad"},
		}
		ids := map[string]int64{}
		for _, name := range []string{"ready", "processing", "failed"} {
			v := rows[name]
			if err := st.insert(st.db, v, now); err != nil {
				t.Fatal(err)
			}
			ids[name] = v.ID
		}
		onlyReady := func(what string, vs []Video) {
			t.Helper()
			if len(vs) != 1 || vs[0].ID != ids["ready"] {
				t.Errorf("%s: %+v, want only the ready video", what, vs)
			}
		}
		vs, err := st.before(ctx, now+10, 30)
		if err != nil {
			t.Fatal(err)
		}
		onlyReady("feed", vs)
		vs, _ = st.byAuthor(ctx, 1)
		onlyReady("publish list", vs)
		m, _ := st.byIDs(ctx, []int64{ids["ready"], ids["processing"], ids["failed"]})
		if len(m) != 1 {
			t.Errorf("by id: %v", m)
		}
		if n, _ := st.workCounts(ctx, []int64{1}); n[1] != 1 {
			t.Errorf("work count %d, want 1", n[1])
		}
		if over, _ := st.overQuota(st.db, 1, now, uploadRules{dailyQuota: 3}); over {
			t.Error("a failed upload counted in the quota")
		}
		if over, _ := st.overQuota(st.db, 1, now, uploadRules{dailyQuota: 2}); !over {
			t.Error("a processing upload not counted in the quota")
		}
		up, err := s.Uploads(ctx, &ppb.UploadsRequest{AuthorId: 1})
		if err != nil || len(up.Uploads) != 2 {
			t.Fatalf("uploads %v %v", up, err)
		}
		for _, u := range up.Uploads {
			if u.State == ppb.VideoState_FAILED && u.Reason != "bad" {
				t.Errorf("failed without its reason: %+v", u)
			}
		}
		if up, _ := s.Uploads(ctx, &ppb.UploadsRequest{AuthorId: 2}); len(up.Uploads) != 0 {
			t.Error("another author's uploads shown")
		}
	})
}

// A video is marked once: the first MarkReady or MarkFailed moves it, every
// later one answers the state it found. Ready stamps the publish time.
func TestMarkedOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *store) {
		ctx := context.Background()
		s := bare(t, st)
		at := time.Now().Add(-time.Hour).UnixMilli()
		mk := func() int64 {
			v := &Video{AuthorID: 5, Title: "x", OriginalKey: "originals/x", State: stateProcessing}
			if err := st.insert(st.db, v, at); err != nil {
				t.Fatal(err)
			}
			return v.ID
		}
		a := mk()
		r, err := s.MarkReady(ctx, &ppb.MarkReadyRequest{VideoId: a, VideoKey: "videos/x.mp4", CoverKey: "covers/x.jpg"})
		if err != nil || r.State != ppb.VideoState_READY || r.VideoKey != "videos/x.mp4" {
			t.Fatalf("ready: %+v %v", r, err)
		}
		if v, _ := st.byID(ctx, a); v.CreatedAtMs < time.Now().Add(-time.Minute).UnixMilli() {
			t.Errorf("publish time %d not stamped at ready", v.CreatedAtMs)
		}
		if r, _ := s.MarkFailed(ctx, &ppb.MarkFailedRequest{VideoId: a, Reason: "late"}); r.State != ppb.VideoState_READY {
			t.Errorf("a ready video failed: %+v", r)
		}
		b := mk()
		if r, _ := s.MarkFailed(ctx, &ppb.MarkFailedRequest{VideoId: b, Reason: "no"}); r.State != ppb.VideoState_FAILED {
			t.Errorf("fail: %+v", r)
		}
		r, _ = s.MarkReady(ctx, &ppb.MarkReadyRequest{VideoId: b, VideoKey: "videos/y.mp4", CoverKey: "covers/y.jpg"})
		if r.State != ppb.VideoState_FAILED || r.VideoKey != "" {
			t.Errorf("a failed video made ready: %+v", r)
		}
		if r, _ := s.MarkReady(ctx, &ppb.MarkReadyRequest{VideoId: 999999, VideoKey: "videos/z.mp4", CoverKey: "covers/z.jpg"}); r.Found {
			t.Error("a missing video found")
		}
		if _, err := s.MarkReady(ctx, &ppb.MarkReadyRequest{VideoId: b, VideoKey: "../x", CoverKey: "covers/y.jpg"}); err == nil {
			t.Error("a key outside videos/ accepted")
		}
		// Two videos made ready in the same millisecond get distinct times.
		c, d := mk(), mk()
		fixed := time.Now()
		s.now = func() time.Time { return fixed }
		for _, id := range []int64{c, d} {
			if _, err := s.MarkReady(ctx, &ppb.MarkReadyRequest{VideoId: id, VideoKey: "videos/c.mp4", CoverKey: "covers/c.jpg"}); err != nil {
				t.Fatal(err)
			}
		}
		vc, _ := st.byID(ctx, c)
		vd, _ := st.byID(ctx, d)
		if vc.CreatedAtMs == vd.CreatedAtMs {
			t.Error("two ready videos share a publish time")
		}
	})
}

// testQueue is a job queue on an embedded NATS server.
func testQueue(t *testing.T) (*queue.Queue, *queue.Server) {
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
	q, err := queue.New(nc, queue.Options{Timeout: time.Second, AckWait: time.Second, MaxDeliver: 3,
		Backoff: []time.Duration{10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return q, srv
}

// testService is a publish service on SQLite, objects and a job queue of
// its own; o may set the limits.
func testService(t *testing.T, objects storage.Storage, o Options) (*Service, *queue.Queue, *queue.Server) {
	t.Helper()
	q, srv := testQueue(t)
	o.DB, o.Storage, o.Media, o.Queue = testdb.Open(t, "publish", Schema), objects, media.Default(), q
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, q, srv
}

// bare is a service on st alone, for the calls that need neither storage
// nor the media bounds.
func bare(t *testing.T, st *store) *Service {
	q, _ := testQueue(t)
	return &Service{rows: st, objects: nilStorage{}, now: time.Now, jobs: q}
}

// A required dependency missing is an error at construction, not a nil
// dereference at the first publish.
func TestNewRequiresItsDependencies(t *testing.T) {
	objects, err := storage.NewLocal(t.TempDir(), "http://x/media/")
	if err != nil {
		t.Fatal(err)
	}
	q, _ := testQueue(t)
	full := Options{DB: testdb.Open(t, "publish", Schema), Storage: objects, Media: media.Default(), Queue: q}
	if _, err := New(full); err != nil {
		t.Fatalf("all given: %v", err)
	}
	for name, drop := range map[string]func(*Options){
		"no database": func(o *Options) { o.DB = nil },
		"no storage":  func(o *Options) { o.Storage = nil },
		"no media":    func(o *Options) { o.Media = nil },
		"no queue":    func(o *Options) { o.Queue = nil },
	} {
		o := full
		drop(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: built", name)
		}
	}
}

// pipeline is a publish service on SQLite and local storage with a job
// queue on an embedded NATS server.
func pipeline(t *testing.T, wait time.Duration) (*Service, *queue.Queue, *storage.Local, *queue.Server) {
	t.Helper()
	objects, err := storage.NewLocal(t.TempDir(), "http://x/media/")
	if err != nil {
		t.Fatal(err)
	}
	s, q, srv := testService(t, objects, Options{WaitReady: wait})
	return s, q, objects, srv
}

// upload stores a small real video as an original and returns its key.
func upload(t *testing.T, objects *storage.Local) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "v.mp4")
	if err := mediatest.Sized(context.Background(), f, 160, 120, 10, 1); err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	k := storage.NewOriginalKey()
	if _, err := objects.Put(context.Background(), k, r, 0, ""); err != nil {
		t.Fatal(err)
	}
	return k
}

// CreateVideo records the video processing, queues its job and answers
// when it is ready, 10007 when it failed, or still processing once the wait
// is over.
func TestCreateVideoWaitsForItsJob(t *testing.T) {
	ctx := context.Background()
	s, q, objects, _ := pipeline(t, 10*time.Second)
	published := testutil.ToFloat64(metrics.MediaJobsPublished)
	// A stand-in for the media role: marks each job as told.
	outcome := make(chan string, 3)
	go func() {
		for o := range outcome {
			d, err := q.Next(ctx, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			switch o {
			case "ready":
				vk, ck := storage.OutputKeys(d.Job.Original)
				_, err = s.MarkReady(ctx, &ppb.MarkReadyRequest{VideoId: d.Job.VideoID, VideoKey: vk, CoverKey: ck})
			case "failed":
				_, err = s.MarkFailed(ctx, &ppb.MarkFailedRequest{VideoId: d.Job.VideoID, Reason: "the video could not be decoded"})
			}
			if err != nil {
				t.Error(err)
			}
			_ = d.Ack(ctx)
		}
	}()
	outcome <- "ready"
	r, err := s.CreateVideo(ctx, &ppb.CreateVideoRequest{AuthorId: 1, Title: "ok", VideoKey: upload(t, objects)})
	if err != nil || r.Video.PlayUrl == "" {
		t.Fatalf("ready: %+v %v", r, err)
	}
	outcome <- "failed"
	_, err = s.CreateVideo(ctx, &ppb.CreateVideoRequest{AuthorId: 1, Title: "bad", VideoKey: upload(t, objects)})
	if c, msg := errno.From(err); c != errno.CodeUnsupportedMedia || msg != "the video could not be decoded" {
		t.Fatalf("failed: %v", err)
	}
	close(outcome)
	// Nobody works on it: answered, still processing, once the wait ends.
	s.waitReady = 300 * time.Millisecond
	start := time.Now()
	r, err = s.CreateVideo(ctx, &ppb.CreateVideoRequest{AuthorId: 1, Title: "slow", VideoKey: upload(t, objects)})
	if err != nil || r.Video.PlayUrl != "" || time.Since(start) > 5*time.Second {
		t.Fatalf("processing: %+v %v after %v", r, err, time.Since(start))
	}
	if vs, _ := s.ListByAuthor(ctx, &ppb.ListByAuthorRequest{AuthorId: 1}); len(vs.Videos) != 1 {
		t.Fatalf("publish list %v: only the ready video", vs.Videos)
	}
	if w, _ := s.WorkCounts(ctx, &kbase.IdsRequest{Ids: []int64{1}}); w.Counts[1] != 1 {
		t.Fatalf("work count %v", w.Counts)
	}
	if n := testutil.ToFloat64(metrics.MediaJobsPublished) - published; n != 3 {
		t.Fatalf("%v jobs counted published, want 3", n)
	}
}

// With NATS down a publish answers 10010 at once and keeps nothing: no row,
// no original; CheckUpload refuses before anything is stored.
func TestPublishWithoutQueue(t *testing.T) {
	ctx := context.Background()
	s, q, objects, srv := pipeline(t, time.Second)
	key := upload(t, objects)
	published := testutil.ToFloat64(metrics.MediaJobsPublished)
	srv.Shutdown()
	for q.Up() {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := s.CheckUpload(ctx, &ppb.CheckUploadRequest{AuthorId: 1}); !isCode(err, errno.CodeServiceUnavailable) {
		t.Fatalf("CheckUpload: %v", err)
	}
	_, err := s.CreateVideo(ctx, &ppb.CreateVideoRequest{AuthorId: 1, Title: "t", VideoKey: key})
	if c, _ := errno.From(err); c != errno.CodeServiceUnavailable {
		t.Fatalf("CreateVideo: %v", err)
	}
	if _, err := os.Stat(filepath.Join(objects.Dir, key)); !os.IsNotExist(err) {
		t.Fatal("the original was kept")
	}
	var n int64
	s.rows.db.Model(&Video{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d rows left", n)
	}
	if n := testutil.ToFloat64(metrics.MediaJobsPublished) - published; n != 0 {
		t.Fatalf("%v jobs counted published with NATS down", n)
	}
}

func isCode(err error, code int32) bool {
	c, _ := errno.From(err)
	return c == code
}

// nilStorage stores nothing; its URLs are the keys.
type nilStorage struct{}

func (nilStorage) Put(context.Context, string, io.Reader, int64, string) (int64, error) {
	return 0, nil
}
func (nilStorage) Delete(context.Context, string) error               { return nil }
func (nilStorage) URL(k string) string                                { return k }
func (nilStorage) Source(_ context.Context, k string) (string, error) { return k, nil }
