package user

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"tiktok/internal/errno"
	"tiktok/internal/metrics"
	"tiktok/internal/testdb"
)

// The gate runs at most n hashes at once, lets queue more wait, and refuses
// the rest at once with 10008.
func TestHashGateBoundsConcurrency(t *testing.T) {
	g := newHashGate(2, 3)
	release := make(chan struct{})
	var running, peak atomic.Int32
	var refused atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := g.do(context.Background(), func() {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				<-release
				running.Add(-1)
			})
			var e *errno.Error
			if err != nil {
				if !errors.As(err, &e) || e.Code != errno.CodeRateLimited {
					t.Errorf("refusal is not 10008: %v", err)
				}
				refused.Add(1)
			}
		}()
	}
	// Two run, three wait: the other five are refused without waiting.
	deadline := time.Now().Add(5 * time.Second)
	for refused.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if refused.Load() != 5 || running.Load() != 2 {
		t.Fatalf("refused %d, running %d; want 5 and 2", refused.Load(), running.Load())
	}
	close(release)
	wg.Wait()
	if peak.Load() != 2 || refused.Load() != 5 {
		t.Fatalf("peak %d running, %d refused", peak.Load(), refused.Load())
	}
	// Empty again: the next one runs.
	if err := g.do(context.Background(), func() {}); err != nil {
		t.Fatal(err)
	}
}

// A waiter whose caller gave up leaves the queue.
func TestHashGateWaiterGivesUp(t *testing.T) {
	g := newHashGate(1, 1)
	hold := make(chan struct{})
	go g.do(context.Background(), func() { <-hold })
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.do(ctx, func() { t.Error("ran without a slot") }); err == nil {
		t.Fatal("a waiter past its deadline must be refused")
	}
	close(hold)
	if err := g.do(context.Background(), func() {}); err != nil {
		t.Fatalf("after the holder finished: %v", err)
	}
}

func TestHashGateDefaultsToCores(t *testing.T) {
	g := newHashGate(0, -1)
	if cap(g.slots) < 1 || cap(g.tickets) != cap(g.slots) {
		t.Fatalf("slots %d tickets %d", cap(g.slots), cap(g.tickets))
	}
}

// A storm of logins on a service bounded to one hash and no queue: the
// excess is refused with 10008, never a wrong answer, and the right
// password works once the storm is over.
func TestLoginStormIsBounded(t *testing.T) {
	o := options(testdb.Open(t, "user", Schema))
	o.PasswordHashes, o.PasswordHashQueue = 1, 0
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := register(s, "ann", "secret123"); err != nil {
		t.Fatal(err)
	}
	var limited, wrong atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := login(s, "ann", "wrong1234")
			switch code(err) {
			case errno.CodeRateLimited:
				limited.Add(1)
			case errno.CodeUnauthorized:
				wrong.Add(1)
			default:
				t.Errorf("storm login: %v", err)
			}
		}()
	}
	wg.Wait()
	if limited.Load() == 0 || wrong.Load() == 0 {
		t.Fatalf("20 logins at once, one slot: %d refused, %d checked", limited.Load(), wrong.Load())
	}
	if _, err := login(s, "ann", "secret123"); err != nil {
		t.Fatalf("right password after the storm: %v", err)
	}
}

// The gate's gauges follow hashes running and waiting, and a refusal for a
// full queue is counted. The metrics are the process's: compared with
// before.
func TestHashGateMetrics(t *testing.T) {
	inFlight := func() float64 { return testutil.ToFloat64(metrics.PasswordHashInFlight) }
	waiting := func() float64 { return testutil.ToFloat64(metrics.PasswordHashWaiting) }
	refusals := func() float64 { return testutil.ToFloat64(metrics.PasswordHashRefusals) }
	f0, w0, r0 := inFlight(), waiting(), refusals()
	g := newHashGate(1, 1)
	hold := make(chan struct{})
	started := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = g.do(context.Background(), func() { close(started); <-hold }) }()
	<-started
	go func() { defer wg.Done(); _ = g.do(context.Background(), func() { <-hold }) }()
	deadline := time.Now().Add(5 * time.Second)
	for waiting() != w0+1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if inFlight() != f0+1 || waiting() != w0+1 {
		t.Fatalf("in flight +%v, waiting +%v; want 1 and 1", inFlight()-f0, waiting()-w0)
	}
	if err := g.do(context.Background(), func() { t.Error("ran past a full queue") }); err == nil {
		t.Fatal("a full queue must refuse")
	}
	if refusals() != r0+1 {
		t.Fatalf("refusals +%v, want 1", refusals()-r0)
	}
	close(hold)
	wg.Wait()
	if inFlight() != f0 || waiting() != w0 || refusals() != r0+1 {
		t.Fatalf("after: in flight +%v, waiting +%v, refusals +%v; want 0, 0, 1",
			inFlight()-f0, waiting()-w0, refusals()-r0)
	}
}
