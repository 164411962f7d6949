package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"tiktok/internal/config"
	"tiktok/internal/testenv"
)

// Each test runs against the embedded server (what serve uses) and against
// the machine's NATS server (what the roles use; TIKTOK_TEST_NATS overrides
// its URL), on a stream of its own.
func eachServer(t *testing.T, run func(t *testing.T, q *Queue)) {
	t.Run("embedded", func(t *testing.T) {
		s, err := StartServer(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Shutdown)
		nc, err := s.Connect()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		run(t, newTestQueue(t, nc))
	})
	t.Run("server", func(t *testing.T) {
		url := os.Getenv("TIKTOK_TEST_NATS")
		if url == "" {
			url = "nats://127.0.0.1:4222"
		}
		nc, err := nats.Connect(url, nats.Timeout(time.Second))
		testenv.Need(t, "NATS at "+url, err)
		t.Cleanup(nc.Close)
		q := newTestQueue(t, nc)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = q.js.DeleteStream(ctx, q.stream)
		})
		run(t, q)
	})
}

func newTestQueue(t *testing.T, nc *nats.Conn) *Queue {
	t.Helper()
	o := Options{Timeout: 2 * time.Second, AckWait: time.Second, MaxDeliver: 3,
		Backoff: []time.Duration{50 * time.Millisecond}, suffix: fmt.Sprintf("_test%d", time.Now().UnixNano())}
	q, err := New(nc, o)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestPublishAndTakeOnce(t *testing.T) {
	eachServer(t, func(t *testing.T, q *Queue) {
		ctx := context.Background()
		job := Job{VideoID: 7, AuthorID: 3, Original: "originals/x"}
		for range 2 { // the same video's job twice: stored once
			if err := q.Publish(ctx, job); err != nil {
				t.Fatal(err)
			}
		}
		d, err := q.Next(ctx, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if d.Job != job || d.N != 1 {
			t.Fatalf("got %+v, delivery %d", d.Job, d.N)
		}
		if err := d.Ack(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Next(ctx, 300*time.Millisecond); !errors.Is(err, ErrNoJob) {
			t.Fatalf("a second job after a duplicate publish: %v", err)
		}
		// Work-queue retention: the acknowledged job is gone from the stream.
		info, err := q.js.Stream(ctx, q.stream)
		if err != nil {
			t.Fatal(err)
		}
		if n := info.CachedInfo().State.Msgs; n != 0 {
			t.Fatalf("%d messages left in the stream", n)
		}
	})
}

// A job given back is delivered again, counted; one whose worker went
// silent is delivered again after ack_wait; one kept alive is not.
func TestRedelivery(t *testing.T) {
	eachServer(t, func(t *testing.T, q *Queue) {
		ctx := context.Background()
		if err := q.Publish(ctx, Job{VideoID: 1, Original: "originals/a"}); err != nil {
			t.Fatal(err)
		}
		d, err := q.Next(ctx, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Retry(q.opts.Delay(d.N)); err != nil {
			t.Fatal(err)
		}
		d, err = q.Next(ctx, 2*time.Second)
		if err != nil || d.N != 2 {
			t.Fatalf("after a retry: %v, delivery %+v", err, d)
		}
		// Kept alive for three ack waits: nobody else gets it.
		stop := d.KeepAlive(q.opts.AckWait)
		if _, err := q.Next(ctx, 3*q.opts.AckWait); !errors.Is(err, ErrNoJob) {
			t.Fatalf("a job kept alive was delivered again: %v", err)
		}
		stop()
		// Silent (a dead worker): delivered again after ack_wait.
		start := time.Now()
		d, err = q.Next(ctx, 5*q.opts.AckWait)
		if err != nil || d.N != 3 {
			t.Fatalf("after silence: %v, %+v", err, d)
		}
		if took := time.Since(start); took > 3*q.opts.AckWait {
			t.Fatalf("redelivered after %v, ack_wait %v", took, q.opts.AckWait)
		}
		if err := d.Ack(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// Depth tells jobs waiting from jobs in a worker's hands, and makes
// nothing: before Ensure there is no consumer to ask.
func TestDepth(t *testing.T) {
	eachServer(t, func(t *testing.T, q *Queue) {
		ctx := context.Background()
		if _, _, err := q.Depth(ctx); err == nil {
			t.Fatal("a depth before the consumer exists")
		}
		if q.ensured {
			t.Fatal("Depth made the stream")
		}
		for id := int64(1); id <= 3; id++ {
			if err := q.Publish(ctx, Job{VideoID: id, Original: "originals/d"}); err != nil {
				t.Fatal(err)
			}
		}
		depth := func(wantPending, wantInProgress uint64) {
			t.Helper()
			p, ip, err := q.Depth(ctx)
			if err != nil || p != wantPending || ip != wantInProgress {
				t.Fatalf("depth %d pending, %d in progress (%v); want %d, %d", p, ip, err, wantPending, wantInProgress)
			}
		}
		depth(3, 0)
		d, err := q.Next(ctx, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		depth(2, 1)
		if err := d.Ack(ctx); err != nil {
			t.Fatal(err)
		}
		depth(2, 0)
	})
}

// Past max_deliver the job still comes, GiveUpDeliveries more times at
// most, so a worker can mark its video failed; then never again.
func TestDeliveriesAreBounded(t *testing.T) {
	eachServer(t, func(t *testing.T, q *Queue) {
		ctx := context.Background()
		if err := q.Publish(ctx, Job{VideoID: 2, Original: "originals/b"}); err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			d, err := q.Next(ctx, time.Second)
			if errors.Is(err, ErrNoJob) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
			if d.N != n {
				t.Fatalf("delivery %d numbered %d", n, d.N)
			}
			_ = d.Retry(time.Millisecond)
		}
		if want := q.opts.MaxDeliver + GiveUpDeliveries; n != want {
			t.Fatalf("%d deliveries, want %d", n, want)
		}
	})
}

func TestMalformedJobIsDropped(t *testing.T) {
	eachServer(t, func(t *testing.T, q *Queue) {
		ctx := context.Background()
		if err := q.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := q.js.Publish(ctx, q.subject, []byte("not json")); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Next(ctx, 2*time.Second); !errors.Is(err, ErrBadJob) {
			t.Fatalf("got %v", err)
		}
		if _, err := q.Next(ctx, 2*q.opts.AckWait); !errors.Is(err, ErrNoJob) {
			t.Fatalf("a terminated message came back: %v", err)
		}
	})
}

func TestStateNotices(t *testing.T) {
	eachServer(t, func(t *testing.T, q *Queue) {
		ch, stop, err := q.Watch(42)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		if err := q.nc.Flush(); err != nil {
			t.Fatal(err)
		}
		q.Notify(41)
		q.Notify(42)
		select {
		case <-ch:
		case <-time.After(2 * time.Second):
			t.Fatal("no notice")
		}
		select {
		case <-ch:
			t.Fatal("a notice for another video")
		case <-time.After(100 * time.Millisecond):
		}
	})
}

// Without a server, Connect still returns (the connection keeps trying),
// and the queue answers ErrUnavailable at once instead of hanging.
func TestUnavailableAnswersAtOnce(t *testing.T) {
	cfg := &config.Config{}
	cfg.Queue.URL = "nats://127.0.0.1:1" // nothing listens there
	nc, err := Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	q, err := New(nc, OptionsFrom(cfg))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := q.Publish(context.Background(), Job{VideoID: 1}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v", err)
	}
	if _, err := q.Next(context.Background(), time.Second); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("took %v", took)
	}
	if _, _, err := q.Depth(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("depth: %v", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Fatalf("took %v", took)
	}
	if q.Up() {
		t.Fatal("up without a server")
	}
}

// Jobs survive a restart of the embedded server (its storage is the data
// folder's).
func TestEmbeddedKeepsJobsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := StartServer(dir)
	if err != nil {
		t.Fatal(err)
	}
	nc, _ := s.Connect()
	q := newTestQueue(t, nc)
	if err := q.Publish(context.Background(), Job{VideoID: 9, Original: "originals/z"}); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	s.Shutdown()
	s, err = StartServer(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	nc, _ = s.Connect()
	defer nc.Close()
	q2, _ := New(nc, q.opts)
	d, err := q2.Next(context.Background(), 2*time.Second)
	if err != nil || d.Job.VideoID != 9 {
		t.Fatalf("after restart: %v %+v", err, d)
	}
	_ = d.Ack(context.Background())
}
