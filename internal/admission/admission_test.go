package admission

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestGateBoundsAndQueues(t *testing.T) {
	g := New(2, 1, time.Second)
	r1, ok1 := g.Enter(context.Background())
	r2, ok2 := g.Enter(context.Background())
	if !ok1 || !ok2 || g.InFlight() != 2 {
		t.Fatalf("two slots: %v %v, in flight %d", ok1, ok2, g.InFlight())
	}
	// The third waits; the fourth finds the queue full and is refused at once.
	got := make(chan bool)
	go func() {
		r, ok := g.Enter(context.Background())
		if ok {
			defer r()
		}
		got <- ok
	}()
	for g.Waiting() != 1 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if _, ok := g.Enter(context.Background()); ok || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("a full queue admitted or made wait: %v after %v", ok, time.Since(start))
	}
	r1()
	if !<-got {
		t.Fatal("the waiting request was not admitted when a slot came free")
	}
	r2()
	if g.InFlight() != 0 || g.Waiting() != 0 {
		t.Fatalf("left: %d in flight, %d waiting", g.InFlight(), g.Waiting())
	}
}

func TestGateWaitEnds(t *testing.T) {
	g := New(1, 4, 50*time.Millisecond)
	r, _ := g.Enter(context.Background())
	defer r()
	start := time.Now()
	if _, ok := g.Enter(context.Background()); ok {
		t.Fatal("admitted past a held slot")
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > time.Second {
		t.Fatalf("refused after %v, want the 50ms wait", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := g.Enter(ctx); ok {
		t.Fatal("admitted a request whose client left")
	}
	if g.Waiting() != 0 {
		t.Fatalf("%d still counted as waiting", g.Waiting())
	}
}

func TestGateUnderContention(t *testing.T) {
	g := New(3, 100, time.Second)
	var mu sync.Mutex
	in, most := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, ok := g.Enter(context.Background())
			if !ok {
				t.Error("refused with room in the queue")
				return
			}
			mu.Lock()
			in++
			most = max(most, in)
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			in--
			mu.Unlock()
			r()
		}()
	}
	wg.Wait()
	if most > 3 {
		t.Fatalf("%d at once through a gate of 3", most)
	}
}

func TestNilGateAdmitsAll(t *testing.T) {
	g := New(0, 0, 0)
	r, ok := g.Enter(context.Background())
	if !ok {
		t.Fatal("no bound refused")
	}
	r()
}
