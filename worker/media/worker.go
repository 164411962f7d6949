// Package media is the media role (`tiktok media`, and the pool `tiktok
// serve` runs in-process): workers that take upload jobs from the queue,
// probe the original within the media bounds, transcode it to H.264/AAC MP4
// with faststart, cut its cover, store both, and have the publish service,
// which owns the videos table, mark the video ready or failed
// (docs/ARCHITECTURE.md, The video pipeline).
//
// Exactly one result per upload: a job is acknowledged only after its video
// is marked (and what no longer belongs to it removed). A worker that dies
// mid-job stops reporting progress and the job is delivered again after
// queue.ack_wait; one that fails retries after queue.backoff; after
// queue.max_deliver attempts the video ends failed. Every delivery starts by
// asking the video's state, and the objects a job writes are named after
// its original (storage.OutputKeys), so a redelivered or duplicated job
// writes the same objects again, or cleans up by the state it finds.
package media

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/cloudwego/kitex/client/callopt"
	"go.uber.org/zap"

	mtool "tiktok/domain/media"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/queue"
	"tiktok/internal/storage"
	ppb "tiktok/kitex_gen/publish"
)

// Videos is what a worker asks of the publish service (its Kitex client
// fits).
type Videos interface {
	VideoState(ctx context.Context, req *ppb.VideoStateRequest, opts ...callopt.Option) (*ppb.VideoStateResponse, error)
	MarkReady(ctx context.Context, req *ppb.MarkReadyRequest, opts ...callopt.Option) (*ppb.VideoStateResponse, error)
	MarkFailed(ctx context.Context, req *ppb.MarkFailedRequest, opts ...callopt.Option) (*ppb.VideoStateResponse, error)
}

// Options are what a Worker is built on.
type Options struct {
	// Queue is where the jobs come from (required).
	Queue *queue.Queue
	// Videos marks the processed videos: the publish service (required).
	Videos Videos
	// Storage holds the originals, and the videos and covers made of them
	// (required).
	Storage storage.Storage
	// Workers is how many jobs the process works on at once
	// (transcode.workers; 0: one per two cores, at least one).
	Workers int
	// KeepOriginal keeps the upload's original once its video is ready.
	KeepOriginal bool
	// Limits bound the probe; Output is the transcode's.
	Limits mtool.Limits
	Output mtool.Output
	// TempDir holds each job's files while it runs ("": the system's).
	TempDir string
}

// Worker runs the media role's job loops.
type Worker struct {
	q      *queue.Queue
	videos Videos
	store  storage.Storage
	opts   Options
	runner *mtool.Runner
	// process makes a job's video and cover (replaceable in tests).
	process func(ctx context.Context, job queue.Job) (videoKey, coverKey string, err error)
}

// New returns a Worker taking jobs from o.Queue; it fails when a required
// dependency is missing.
func New(o Options) (*Worker, error) {
	switch {
	case o.Queue == nil:
		return nil, errors.New("media worker: no job queue")
	case o.Videos == nil:
		return nil, errors.New("media worker: no publish client")
	case o.Storage == nil:
		return nil, errors.New("media worker: no object storage")
	}
	if o.Workers <= 0 {
		o.Workers = max(1, runtime.NumCPU()/2)
	}
	// The pool has one slot per job loop: a loop runs its steps in turn, so
	// no run ever queues behind another job's.
	l := o.Limits
	l.Workers, l.Queue = o.Workers, o.Workers
	w := &Worker{q: o.Queue, videos: o.Videos, store: o.Storage, opts: o, runner: mtool.New(l)}
	w.process = w.transcode
	return w, nil
}

// Run works on jobs until ctx ends, then lets the jobs in hand finish their
// current step and gives them back (they are delivered again at once).
func (w *Worker) Run(ctx context.Context) {
	defer watchDepth(w.q)()
	w.sweepTemp()
	var wg sync.WaitGroup
	for range w.opts.Workers {
		wg.Go(func() { w.loop(ctx) })
	}
	wg.Wait()
}

// poll is how long one pull waits for a job before asking again.
const poll = 5 * time.Second

func (w *Worker) loop(ctx context.Context) {
	for ctx.Err() == nil {
		d, err := w.q.Next(ctx, poll)
		switch {
		case err == nil:
			w.handle(ctx, d)
		case errors.Is(err, queue.ErrNoJob), ctx.Err() != nil:
		case errors.Is(err, queue.ErrBadJob):
			logx.L().Error("malformed job dropped", zap.Error(err))
		default:
			// NATS down or restarting: the connection comes back by itself.
			logx.L().Debug("no job queue", zap.Error(err))
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// handle takes one delivery to its end, and counts it by its outcome.
func (w *Worker) handle(ctx context.Context, d *queue.Delivery) {
	start := time.Now()
	observeJob(w.work(ctx, d), time.Since(start))
}

// work takes one delivery to its end: acknowledged once the video is
// marked and cleaned up, or given back to be delivered again. It answers
// what the delivery did to the video, an outcome constant ("" for a job
// dropped as not the publish service's). Marking decides: a video this
// delivery marked counts ready or failed even when its clean-up gives the
// job back, so each video is counted once; the delivery that then finishes
// the clean-up is a duplicate.
func (w *Worker) work(ctx context.Context, d *queue.Delivery) string {
	job := d.Job
	log := logx.L().With(zap.Int64("video", job.VideoID), zap.Int("delivery", d.N))
	// Bookkeeping is not cut by a shutdown: a job half marked is worse than
	// a second's delay (each call has its own bound).
	bctx := context.WithoutCancel(ctx)
	retry := func(why string, err error) {
		log.Warn("job given back", zap.String("step", why), zap.Error(err))
		if rerr := d.Retry(w.q.Options().Delay(d.N)); rerr != nil {
			log.Warn("job not given back; it comes back after ack_wait", zap.Error(rerr))
		}
	}
	if !storage.IsOriginalKey(job.Original) {
		log.Error("job names no original: dropped", zap.String("original", job.Original))
		_ = d.Ack(bctx)
		return ""
	}
	videoKey, coverKey := storage.OutputKeys(job.Original)
	var st *ppb.VideoStateResponse
	err := w.ask(ctx, d, log, func(c context.Context) (err error) {
		st, err = w.videos.VideoState(c, &ppb.VideoStateRequest{VideoId: job.VideoID})
		return err
	})
	if err != nil {
		retry("state", err)
		return outcomeRetry
	}
	switch {
	case st.Found && st.OriginalKey != job.Original:
		// Not this video's job (nothing the publish service sent): touch
		// nothing.
		log.Error("job does not match its video: dropped", zap.String("original", job.Original))
		_ = d.Ack(bctx)
		return ""
	case !st.Found || st.State == ppb.VideoState_FAILED:
		// Undone by its publish, or failed by an earlier delivery: nothing
		// of it may stay. (Undone is no failure of the pipeline: counted
		// with the jobs that had nothing left to do.)
		w.finish(bctx, d, log, job.Original, videoKey, coverKey)
		return outcomeDuplicate
	case st.State == ppb.VideoState_READY:
		w.finish(bctx, d, log, w.original(job))
		return outcomeDuplicate
	case d.N > w.q.Options().MaxDeliver:
		return w.fail(ctx, d, log, "the video could not be processed")
	}
	stop := d.KeepAlive(w.q.Options().AckWait)
	vk, ck, err := w.process(ctx, job)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, mtool.ErrNotVideo):
		return w.fail(ctx, d, log, mtool.Reason(err))
	case ctx.Err() != nil:
		// Shutting down: another worker takes it now.
		_ = d.Retry(0)
		return outcomeRetry
	case d.N >= w.q.Options().MaxDeliver:
		log.Error("job failed on its last delivery", zap.Error(err))
		return w.fail(ctx, d, log, "the video could not be processed")
	default:
		retry("process", err)
		return outcomeRetry
	}
	var r *ppb.VideoStateResponse
	err = w.ask(ctx, d, log, func(c context.Context) (err error) {
		r, err = w.videos.MarkReady(c, &ppb.MarkReadyRequest{VideoId: job.VideoID, VideoKey: vk, CoverKey: ck})
		return err
	})
	if err != nil {
		retry("mark ready", err) // the objects stay: a redelivery writes them again or removes them
		return outcomeRetry
	}
	if r.Found && r.State == ppb.VideoState_READY {
		// "video ready" is the publish service's line: it made the video
		// ready, once, whichever delivery asked.
		w.finish(bctx, d, log, w.original(job))
		return outcomeReady
	}
	// Failed (or undone) meanwhile by another delivery: ours go too.
	w.finish(bctx, d, log, job.Original, vk, ck)
	return outcomeDuplicate
}

// fail marks the video failed, then removes its objects, unless another
// delivery made it ready first (then only the original goes). ctx ends
// only the wait for an unreachable publish service (shutdown). It answers
// the job's outcome.
func (w *Worker) fail(ctx context.Context, d *queue.Delivery, log *zap.Logger, reason string) string {
	job := d.Job
	var r *ppb.VideoStateResponse
	err := w.ask(ctx, d, log, func(c context.Context) (err error) {
		r, err = w.videos.MarkFailed(c, &ppb.MarkFailedRequest{VideoId: job.VideoID, Reason: reason})
		return err
	})
	if err != nil {
		log.Warn("job given back", zap.String("step", "mark failed"), zap.Error(err))
		_ = d.Retry(w.q.Options().Delay(d.N))
		return outcomeRetry
	}
	if r.Found && r.State == ppb.VideoState_READY {
		w.finish(context.WithoutCancel(ctx), d, log, w.original(job))
		return outcomeDuplicate
	}
	log.Info("video failed", zap.String("reason", reason))
	outcome := outcomeFailed
	if !r.Found {
		outcome = outcomeDuplicate // undone by its publish meanwhile, as in work
	}
	videoKey, coverKey := storage.OutputKeys(job.Original)
	w.finish(context.WithoutCancel(ctx), d, log, job.Original, videoKey, coverKey)
	return outcome
}

// ask makes a call to the publish service, holding the job (reporting
// progress) and trying again after each backoff delay for as long as
// publish is unreachable or failing inside, so an outage of publish costs
// the job none of its deliveries. A refusal is returned at once; so is the
// end of ctx (shutdown), after which the job is given back. Each call is
// bounded by rpc.timeout, and never cut by the shutdown itself.
func (w *Worker) ask(ctx context.Context, d *queue.Delivery, log *zap.Logger, call func(context.Context) error) error {
	var stop func()
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	for n := 1; ; n++ {
		err := call(context.WithoutCancel(ctx))
		if code, _ := errno.From(err); err == nil || (code != errno.CodeServiceUnavailable && code != errno.CodeInternal) {
			return err
		}
		if stop == nil {
			stop = d.KeepAlive(w.q.Options().AckWait)
		}
		log.Warn("publish service unavailable; holding the job", zap.Error(err))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.q.Options().Delay(n)):
		}
	}
}

// original is the original's key when it goes once its video is ready.
func (w *Worker) original(job queue.Job) string {
	if w.opts.KeepOriginal {
		return ""
	}
	return job.Original
}

// finish removes keys, then acknowledges the job; a removal that fails gives
// the job back instead, so the next delivery removes them again (the video
// is marked, so it does nothing else).
func (w *Worker) finish(ctx context.Context, d *queue.Delivery, log *zap.Logger, keys ...string) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for _, k := range keys {
		if k == "" {
			continue
		}
		if err := w.store.Delete(ctx, k); err != nil {
			log.Warn("job given back", zap.String("step", "remove "+k), zap.Error(err))
			_ = d.Retry(w.q.Options().Delay(d.N))
			return
		}
	}
	if err := d.Ack(ctx); err != nil {
		// It comes back after ack_wait, finds the video marked, and is
		// acknowledged then.
		log.Warn("job not acknowledged", zap.Error(err))
	}
}

// tempPrefix names the folders of jobs in progress.
const tempPrefix = "tiktok-transcode-"

// transcode probes the original, transcodes it, cuts the cover from the
// result and stores both under the original's output keys.
func (w *Worker) transcode(ctx context.Context, job queue.Job) (videoKey, coverKey string, err error) {
	src, err := w.store.Source(ctx, job.Original)
	if err != nil {
		return "", "", err
	}
	// Probed again here, whatever the publish service found: the bounds
	// hold before anything is decoded.
	if _, err := w.runner.Probe(ctx, src); err != nil {
		return "", "", err
	}
	tmp, err := os.MkdirTemp(w.opts.TempDir, tempPrefix)
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(tmp)
	out, cover := filepath.Join(tmp, "video.mp4"), filepath.Join(tmp, "cover.jpg")
	if err := w.runner.Transcode(ctx, src, out, w.opts.Output); err != nil {
		return "", "", err
	}
	info, err := w.runner.Probe(ctx, out)
	if err != nil {
		return "", "", err
	}
	if err := w.runner.Cover(ctx, out, cover, info); err != nil {
		return "", "", err
	}
	videoKey, coverKey = storage.OutputKeys(job.Original)
	if err := put(ctx, w.store, videoKey, out, "video/mp4"); err != nil {
		return "", "", err
	}
	if err := put(ctx, w.store, coverKey, cover, "image/jpeg"); err != nil {
		return "", "", err
	}
	return videoKey, coverKey, nil
}

func put(ctx context.Context, s storage.Storage, key, file, contentType string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = s.Put(ctx, key, f, 0, contentType)
	return err
}

// sweepTemp removes the job folders a killed worker left, once they are
// older than the longest a transcode may run.
func (w *Worker) sweepTemp() {
	dir := w.opts.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	old, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	cutoff := time.Now().Add(-2 * max(w.opts.Output.Timeout, time.Hour))
	for _, p := range old {
		if st, err := os.Stat(p); err == nil && st.ModTime().Before(cutoff) {
			_ = os.RemoveAll(p)
		}
	}
}
