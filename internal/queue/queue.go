// Package queue is the video pipeline's job queue on NATS JetStream: the
// connection every role that needs NATS shares (Connect, or the embedded
// server of `tiktok serve`), the stream and consumer the code creates at
// start (Ensure), publishing a job (Publish), taking one (Next), and the
// state notices that wake a publish waiting for its video (Notify, Watch).
//
// Names, created or updated by Ensure (docs/ARCHITECTURE.md, The video
// pipeline):
//
//	stream   MEDIA_JOBS      subject tiktok.media.jobs, work-queue retention
//	                         (a job is removed once acknowledged), file storage,
//	                         duplicates within 2 min dropped by Nats-Msg-Id
//	consumer media-workers   durable pull consumer every media worker shares,
//	                         explicit acks, ack_wait, max_deliver (+ give-up
//	                         deliveries, see GiveUpDeliveries)
//	subject  tiktok.media.state.<video id>   core NATS: a video was marked
//	                         ready or failed (no payload guarantees; the
//	                         videos table is the truth)
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"tiktok/internal/config"
	"tiktok/internal/logx"
)

const (
	// Stream holds the jobs; Subject is where they are published.
	Stream  = "MEDIA_JOBS"
	Subject = "tiktok.media.jobs"
	// Consumer is the durable pull consumer all media workers share.
	Consumer = "media-workers"
	// StatePrefix + video id: a video's state changed (Notify, Watch).
	StatePrefix = "tiktok.media.state."
	// duplicates: a job published twice within it (the same Nats-Msg-Id,
	// a publish retried after a lost acknowledgement) is stored once.
	duplicates = 2 * time.Minute
)

// GiveUpDeliveries are the deliveries a job may get past max_deliver. A
// worker does no work on those: it marks the video failed and acknowledges
// (a job that killed its worker max_deliver times must still end failed, and
// that bookkeeping may itself need a retry or two, e.g. publish restarting).
const GiveUpDeliveries = 10

// ErrUnavailable means NATS cannot take the job now (down, restarting, or
// not answering within queue.timeout); the caller answers 10010.
var ErrUnavailable = errors.New("job queue unavailable")

// Options are the queue: section of the configuration.
type Options struct {
	Timeout    time.Duration
	AckWait    time.Duration
	MaxDeliver int
	Backoff    []time.Duration
	// suffix names a private stream, consumer and subjects (tests on a
	// shared NATS server).
	suffix string
}

// OptionsFrom reads cfg's queue: section; zero values take the defaults.
func OptionsFrom(cfg *config.Config) Options {
	q := cfg.Queue
	o := Options{Timeout: q.Timeout, AckWait: q.AckWait, MaxDeliver: q.MaxDeliver, Backoff: q.Backoff}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.MaxDeliver <= 0 {
		o.MaxDeliver = 5
	}
	if len(o.Backoff) == 0 {
		o.Backoff = []time.Duration{2 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute}
	}
	return o
}

// Delay is the wait before the next delivery after a job's n-th failed
// attempt (n from 1): the n-th backoff value, the last one repeating.
func (o Options) Delay(n int) time.Duration {
	if len(o.Backoff) == 0 {
		return time.Second
	}
	return o.Backoff[min(max(n, 1), len(o.Backoff))-1]
}

// Connect connects a role to the NATS server at queue.url. It does not fail
// when the server is down: the connection keeps trying, every second, for
// ever, so a role starts during a NATS outage and works once NATS is back,
// with nothing restarted (a publish meanwhile answers 10010). Other users of
// NATS in the same role (chat push) share the connection it returns.
func Connect(cfg *config.Config, opts ...nats.Option) (*nats.Conn, error) {
	timeout := OptionsFrom(cfg).Timeout
	return nats.Connect(cfg.Queue.URL, append(connOptions(timeout), opts...)...)
}

func connOptions(timeout time.Duration) []nats.Option {
	return []nats.Option{
		nats.Timeout(timeout),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logx.L().Warn("nats disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logx.L().Info("nats reconnected", zap.String("url", nc.ConnectedUrlRedacted()))
		}),
	}
}

// Job is one upload to process: the video's row (owned by the publish
// service, state processing) and the uploaded original in storage.
type Job struct {
	VideoID  int64  `json:"video_id"`
	AuthorID int64  `json:"author_id"`
	Original string `json:"original"`
}

// Queue is the job queue on one connection. It is safe for concurrent use.
type Queue struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	opts Options
	// The names in use: the package's constants (plus Options.suffix).
	stream, subject, consumer, statePrefix string

	mu      sync.Mutex
	ensured bool
	cons    jetstream.Consumer
}

// New returns the queue on nc. Nothing is sent until the first call; the
// stream and consumer are created then (Ensure).
func New(nc *nats.Conn, opts Options) (*Queue, error) {
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(opts.Timeout))
	if err != nil {
		return nil, err
	}
	x := opts.suffix
	return &Queue{nc: nc, js: js, opts: opts, stream: Stream + x, subject: Subject + x, consumer: Consumer + x,
		statePrefix: strings.TrimSuffix(StatePrefix, ".") + x + "."}, nil
}

// Conn is the queue's connection.
func (q *Queue) Conn() *nats.Conn { return q.nc }

// Options are the queue's options.
func (q *Queue) Options() Options { return q.opts }

// Up reports whether the connection to NATS is established now.
func (q *Queue) Up() bool { return q.nc.IsConnected() }

// Ensure creates or updates the stream and the consumer. It is idempotent
// and remembered until a call fails for a reason that suggests they are gone
// (a NATS server that lost its storage), then done again.
func (q *Queue) Ensure(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ensured {
		return nil
	}
	if !q.nc.IsConnected() {
		return ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(ctx, 4*q.opts.Timeout)
	defer cancel()
	_, err := q.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        q.stream,
		Description: "video pipeline: one job per upload, removed once a media worker acknowledges it",
		Subjects:    []string{q.subject},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  duplicates,
	})
	if err != nil {
		return fmt.Errorf("%w: stream %s: %v", ErrUnavailable, q.stream, err)
	}
	c, err := q.js.CreateOrUpdateConsumer(ctx, q.stream, jetstream.ConsumerConfig{
		Durable:       q.consumer,
		Description:   "media workers: transcode, cover, mark the video",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.opts.AckWait,
		MaxDeliver:    q.opts.MaxDeliver + GiveUpDeliveries,
		FilterSubject: q.subject,
		MaxAckPending: 1000,
	})
	if err != nil {
		return fmt.Errorf("%w: consumer %s: %v", ErrUnavailable, q.consumer, err)
	}
	q.cons, q.ensured = c, true
	return nil
}

// forget makes the next call Ensure again.
func (q *Queue) forget() {
	q.mu.Lock()
	q.ensured = false
	q.mu.Unlock()
}

// Publish stores job in the stream, once: a second publish of the same
// video's job within two minutes is dropped by NATS. It fails with
// ErrUnavailable, at once when NATS is known to be down and else within
// queue.timeout; the job may then still have been stored (a lost
// acknowledgement), which the worker handles (a job whose video is gone is
// acknowledged and its objects removed).
func (q *Queue) Publish(ctx context.Context, job Job) error {
	if err := q.Ensure(ctx); err != nil {
		return err
	}
	data, err := json.Marshal(job)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, q.opts.Timeout)
	defer cancel()
	_, err = q.js.Publish(ctx, q.subject, data, jetstream.WithMsgID("video-"+strconv.FormatInt(job.VideoID, 10)),
		jetstream.WithExpectStream(q.stream), jetstream.WithRetryAttempts(0))
	if err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
			q.forget() // a server without the stream: create it again next time
		}
		return fmt.Errorf("%w: publish: %v", ErrUnavailable, err)
	}
	return nil
}

// Notify tells the publishes waiting on video id that its state changed.
// Core NATS, at most once: a waiter that misses it reads the row anyway.
func (q *Queue) Notify(id int64) {
	if err := q.nc.Publish(q.statePrefix+strconv.FormatInt(id, 10), nil); err != nil {
		logx.L().Debug("state notice not sent", zap.Int64("video", id), zap.Error(err))
	}
}

// Watch returns a channel that receives a value each time video id's state
// changes (Notify), and the function that stops watching. Subscribe before
// reading the state, so a change between the read and the wait is not
// missed.
func (q *Queue) Watch(id int64) (<-chan struct{}, func(), error) {
	ch := make(chan struct{}, 1)
	sub, err := q.nc.Subscribe(q.statePrefix+strconv.FormatInt(id, 10), func(*nats.Msg) {
		select {
		case ch <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return ch, func() { _ = sub.Unsubscribe() }, nil
}

// Delivery is one delivery of a job to a worker.
type Delivery struct {
	Job Job
	// N is the delivery's number, from 1; N > Options.MaxDeliver means the
	// attempts are spent (a give-up delivery).
	N   int
	msg jetstream.Msg
}

// ErrNoJob means no job came within the wait.
var ErrNoJob = errors.New("no job")

// ErrBadJob is a message that is not a job (it is terminated: no worker
// can do anything with it).
var ErrBadJob = errors.New("malformed job")

// Next waits up to wait for a job. ErrNoJob: none came; ErrUnavailable:
// NATS is down or the consumer missing (retry after a pause).
func (q *Queue) Next(ctx context.Context, wait time.Duration) (*Delivery, error) {
	if err := q.Ensure(ctx); err != nil {
		return nil, err
	}
	q.mu.Lock()
	c := q.cons
	q.mu.Unlock()
	fctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	msg, err := c.Next(jetstream.FetchContext(fctx))
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
		return nil, ErrNoJob
	case errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, nats.ErrNoResponders):
		q.forget()
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	d := &Delivery{msg: msg, N: 1}
	if md, err := msg.Metadata(); err == nil {
		d.N = int(md.NumDelivered)
	}
	if err := json.Unmarshal(msg.Data(), &d.Job); err != nil || d.Job.VideoID <= 0 {
		_ = msg.Term() // (no reason: servers before 2.11 do not parse one)
		return nil, fmt.Errorf("%w: %q", ErrBadJob, msg.Data())
	}
	return d, nil
}

// Ack acknowledges the job and waits for NATS to confirm: the job is done
// (its video marked) and will not be delivered again.
func (d *Delivery) Ack(ctx context.Context) error { return d.msg.DoubleAck(ctx) }

// Retry gives the job back, to be delivered again after delay.
func (d *Delivery) Retry(delay time.Duration) error { return d.msg.NakWithDelay(delay) }

// KeepAlive tells NATS, every third of ackWait until stop is called, that
// the job is still being worked on, so it is not given to another worker.
// A worker that dies stops telling, and the job is delivered again once
// ackWait passes.
func (d *Delivery) KeepAlive(ackWait time.Duration) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	go func() {
		t := time.NewTicker(max(ackWait/3, 10*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = d.msg.InProgress()
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

// Pending is how many jobs the stream holds: queued, or in a worker's hands
// (an acknowledged job is removed).
func (q *Queue) Pending(ctx context.Context) (uint64, error) {
	if err := q.Ensure(ctx); err != nil {
		return 0, err
	}
	s, err := q.js.Stream(ctx, q.stream)
	if err != nil {
		return 0, err
	}
	return s.CachedInfo().State.Msgs, nil
}

// Depth is the shared consumer's backlog: jobs waiting for a worker
// (pending) and jobs delivered and not yet acknowledged (in progress), from
// one consumer-info request. It creates nothing (unlike Ensure), so a
// monitor asking it cannot make the stream; it fails at once while NATS is
// unreachable, and else within ctx.
func (q *Queue) Depth(ctx context.Context) (pending, inProgress uint64, err error) {
	if !q.nc.IsConnected() {
		return 0, 0, ErrUnavailable
	}
	c, err := q.js.Consumer(ctx, q.stream, q.consumer)
	if err != nil {
		return 0, 0, err
	}
	info := c.CachedInfo() // the answer to the request just made
	return info.NumPending, uint64(info.NumAckPending), nil
}
