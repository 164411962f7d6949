package media

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"tiktok/internal/logx"
	"tiktok/internal/metrics"
	"tiktok/internal/queue"
)

// Job outcomes, the outcome label of tiktok_media_jobs_total and
// tiktok_media_job_duration_seconds.
const (
	outcomeReady     = "ready"     // this delivery marked the video ready
	outcomeFailed    = "failed"    // this delivery marked the video failed
	outcomeRetry     = "retry"     // given back (or left) for redelivery, the video not marked
	outcomeDuplicate = "duplicate" // nothing left to do: the video was marked (or undone) before
)

// jobSeries are one outcome's series, looked up once (jobMetrics), so a
// job costs no search of the label maps.
type jobSeries struct {
	jobs     prometheus.Counter
	duration prometheus.Observer
}

var jobMetrics = func() map[string]jobSeries {
	m := map[string]jobSeries{}
	for _, o := range []string{outcomeReady, outcomeFailed, outcomeRetry, outcomeDuplicate} {
		m[o] = jobSeries{metrics.MediaJobs.WithLabelValues(o), metrics.MediaJobDuration.WithLabelValues(o)}
	}
	return m
}()

// observeJob counts a job that took d and ended in outcome ("": a job
// dropped as not the publish service's, which none of the outcomes fits).
func observeJob(outcome string, d time.Duration) {
	if m, ok := jobMetrics[outcome]; ok {
		m.jobs.Inc()
		m.duration.Observe(d.Seconds())
	}
}

// depthTimeout bounds the consumer-info request of a scrape: a NATS that
// does not answer must not hold up the other metrics.
const depthTimeout = time.Second

// queueDepth exports the media-workers consumer's backlog, asked of
// JetStream at each scrape (a worker sees only its own jobs; the backlog is
// every worker's). One per process, on the default registry, registered by
// the first worker that runs: the embedded mode runs its worker beside
// everything else, and tests run several. It asks the queue of the latest
// worker still running (they share the consumer, so any one answers).
type queueDepth struct {
	mu                  sync.Mutex
	running             []*queue.Queue // guarded by mu
	pending, inProgress *prometheus.Desc
}

var depth = &queueDepth{
	pending: prometheus.NewDesc("tiktok_media_queue_pending_jobs",
		"Media jobs waiting for a worker.", nil, nil),
	inProgress: prometheus.NewDesc("tiktok_media_queue_in_progress_jobs",
		"Media jobs delivered to a worker and not yet acknowledged.", nil, nil),
}

func (d *queueDepth) Describe(ch chan<- *prometheus.Desc) {
	ch <- d.pending
	ch <- d.inProgress
}

// Collect exports nothing when the backlog cannot be read (no worker, NATS
// down, the consumer not made yet): a missing series, not a stale value.
func (d *queueDepth) Collect(ch chan<- prometheus.Metric) {
	q := d.queue()
	if q == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), depthTimeout)
	defer cancel()
	pending, inProgress, err := q.Depth(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(d.pending, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(d.inProgress, prometheus.GaugeValue, float64(inProgress))
}

// queue is the queue to ask: the latest running worker's, or nil.
func (d *queueDepth) queue() *queue.Queue {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.running) == 0 {
		return nil
	}
	return d.running[len(d.running)-1]
}

// watch makes d ask q while q's worker runs, until the returned stop.
func (d *queueDepth) watch(q *queue.Queue) (stop func()) {
	d.mu.Lock()
	d.running = append(d.running, q)
	d.mu.Unlock()
	return func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if i := slices.Index(d.running, q); i >= 0 {
			d.running = slices.Delete(d.running, i, i+1)
		}
	}
}

// watchDepth registers the process's depth collector, once, and has it ask
// q while the worker runs (until stop).
func watchDepth(q *queue.Queue) (stop func()) {
	if err := prometheus.Register(depth); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
		// Only a clashing metric name gets here: worth a log, not the worker.
		logx.L().Error("media queue depth metrics not registered", zap.Error(err))
	}
	return depth.watch(q)
}
