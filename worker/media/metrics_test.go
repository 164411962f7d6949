package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	mtool "tiktok/domain/media"
	"tiktok/internal/metrics"
	"tiktok/internal/queue"
	"tiktok/internal/storage"
	ppb "tiktok/kitex_gen/publish"
)

// outcomes are the job counters and the duration histogram's sample counts,
// by outcome; the metrics are the process's, so tests compare before and
// after.
type outcomes map[string][2]float64

func outcomesNow(t *testing.T) outcomes {
	t.Helper()
	out := outcomes{}
	for o := range jobMetrics {
		out[o] = [2]float64{testutil.ToFloat64(metrics.MediaJobs.WithLabelValues(o)), durationCount(t, o)}
	}
	return out
}

// durationCount is how many jobs of outcome the histogram holds.
func durationCount(t *testing.T, outcome string) float64 {
	t.Helper()
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "tiktok_media_job_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return 0
}

// waitOutcomes waits until the jobs counted since before are want (both
// the counter and the histogram), and fails with what was counted if not.
func waitOutcomes(t *testing.T, before outcomes, want map[string]float64) {
	t.Helper()
	var got map[string]float64
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		now := outcomesNow(t)
		got = map[string]float64{}
		ok := true
		for o := range jobMetrics {
			n, d := now[o][0]-before[o][0], now[o][1]-before[o][1]
			if n != 0 {
				got[o] = n
			}
			if n != want[o] || d != want[o] {
				ok = false
			}
		}
		if ok {
			return
		}
	}
	t.Fatalf("jobs counted %v, want %v", got, want)
}

// publishBytes queues a job for an original holding body (for a worker
// whose process is a stand-in: nothing decodes it).
func (r *rig) publishBytes(t *testing.T, body string) (int64, string) {
	t.Helper()
	key := storage.NewOriginalKey()
	if _, err := r.store.Put(context.Background(), key, strings.NewReader(body), 0, ""); err != nil {
		t.Fatal(err)
	}
	r.nextID++
	r.videos.add(r.nextID, key)
	if err := r.q.Publish(context.Background(), queue.Job{VideoID: r.nextID, AuthorID: 1, Original: key}); err != nil {
		t.Fatal(err)
	}
	return r.nextID, key
}

// Each job is counted once by its outcome: ready, failed (refused as not a
// video, or out of deliveries), retry for each delivery given back, and
// duplicate for a job whose video was already marked.
func TestJobOutcomesCounted(t *testing.T) {
	r := newRig(t)
	r.w.process = func(ctx context.Context, job queue.Job) (string, string, error) {
		switch body := mustRead(t, r.store, job.Original); body {
		case "ok":
			vk, ck := storage.OutputKeys(job.Original)
			_, _ = r.store.Put(ctx, vk, strings.NewReader("v"), 0, "")
			_, _ = r.store.Put(ctx, ck, strings.NewReader("c"), 0, "")
			return vk, ck, nil
		case "not a video":
			return "", "", mtool.ErrContainer
		default:
			return "", "", errors.New("worker blew up")
		}
	}
	r.start(t)

	before := outcomesNow(t)
	id, original := r.publishBytes(t, "ok")
	r.waitFor(t, id, ppb.VideoState_READY)
	waitOutcomes(t, before, map[string]float64{outcomeReady: 1})

	// The same job again (no dedup id): its video is ready already.
	before = outcomesNow(t)
	js, err := jetstream.New(r.q.Conn())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(queue.Job{VideoID: id, AuthorID: 1, Original: original})
	if _, err := js.Publish(context.Background(), queue.Subject, data); err != nil {
		t.Fatal(err)
	}
	waitOutcomes(t, before, map[string]float64{outcomeDuplicate: 1})

	before = outcomesNow(t)
	id, _ = r.publishBytes(t, "not a video")
	r.waitFor(t, id, ppb.VideoState_FAILED)
	waitOutcomes(t, before, map[string]float64{outcomeFailed: 1})

	// A poison job: given back on each delivery but the last, which fails it.
	before = outcomesNow(t)
	id, _ = r.publishBytes(t, "poison")
	r.waitFor(t, id, ppb.VideoState_FAILED)
	waitOutcomes(t, before, map[string]float64{outcomeRetry: float64(r.q.Options().MaxDeliver - 1), outcomeFailed: 1})
}

func mustRead(t *testing.T, s *storage.Local, key string) string {
	t.Helper()
	src, err := s.Source(context.Background(), key)
	if err != nil {
		t.Error(err)
		return ""
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Error(err)
	}
	return string(b)
}

const depthText = `
# HELP tiktok_media_queue_in_progress_jobs Media jobs delivered to a worker and not yet acknowledged.
# TYPE tiktok_media_queue_in_progress_jobs gauge
tiktok_media_queue_in_progress_jobs %d
# HELP tiktok_media_queue_pending_jobs Media jobs waiting for a worker.
# TYPE tiktok_media_queue_pending_jobs gauge
tiktok_media_queue_pending_jobs %d
`

// The depth gauges are read from the consumer at each scrape: jobs waiting,
// jobs in a worker's hands; nothing at all once NATS cannot be asked.
func TestQueueDepthCollector(t *testing.T) {
	r := newRig(t)
	c := &queueDepth{pending: depth.pending, inProgress: depth.inProgress}
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Fatalf("%d series with no queue", n)
	}
	defer c.watch(r.q)()
	r.publishBytes(t, "a")
	r.publishBytes(t, "b")
	expect := func(pending, inProgress int) {
		t.Helper()
		want := strings.NewReader(fmt.Sprintf(depthText, inProgress, pending))
		if err := testutil.CollectAndCompare(c, want); err != nil {
			t.Fatal(err)
		}
	}
	expect(2, 0)
	d, err := r.q.Next(context.Background(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	expect(1, 1)
	if err := d.Ack(context.Background()); err != nil {
		t.Fatal(err)
	}
	expect(1, 0)
	r.q.Conn().Close()
	if n := testutil.CollectAndCount(c); n != 0 {
		t.Fatalf("%d series with NATS gone, want none", n)
	}
}

// A running worker registers the process's depth collector, once, on the
// default registry, however many workers run; the collector asks the latest
// running worker's queue, and a stopped worker's no more.
func TestQueueDepthRegisteredByWorkers(t *testing.T) {
	a, b := newRig(t), newRig(t)
	asking := func(q *queue.Queue) func() bool { return func() bool { return depth.queue() == q } }
	a.start(t)
	eventually(t, "a's queue asked", asking(a.q))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.w.Run(ctx); close(done) }()
	eventually(t, "b's queue asked", asking(b.q))
	// Series once b's loop made the consumer.
	eventually(t, "depth on the default registry", func() bool {
		n, err := testutil.GatherAndCount(prometheus.DefaultGatherer,
			"tiktok_media_queue_pending_jobs", "tiktok_media_queue_in_progress_jobs")
		return err == nil && n == 2
	})
	cancel()
	<-done
	if !asking(a.q)() {
		t.Fatal("the depth is not asked of the worker still running")
	}
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting: %s", what)
}
