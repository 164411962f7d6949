package gateway

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The anonymous page is built once for any number of concurrent readers,
// reused while fresh, rebuilt once stale or reset, and a build that a
// reset overtook is served to its own reader but not kept.
func TestSharedPage(t *testing.T) {
	var s sharedPage
	ctx := context.Background()
	var builds atomic.Int64
	release := make(chan struct{})
	build := func(context.Context) (*feedResp, error) {
		n := builds.Add(1)
		<-release
		return &feedResp{NextTime: n}, nil
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			p, err := s.get(ctx, time.Hour, build)
			if err != nil || p.NextTime != 1 {
				t.Errorf("page %+v, %v", p, err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Fatalf("%d builds for 20 concurrent readers", n)
	}
	// A copy each: a reply's status written into one is not another's.
	a, _ := s.get(ctx, time.Hour, build)
	a.StatusMsg = "mine"
	if b, _ := s.get(ctx, time.Hour, build); b.StatusMsg != "" || builds.Load() != 1 {
		t.Fatalf("shared: %+v after %d builds", b, builds.Load())
	}
	// Reset: the next reader builds again.
	s.reset()
	if p, _ := s.get(ctx, time.Hour, build); p.NextTime != 2 {
		t.Fatalf("after reset: %+v", p)
	}
	// Stale: rebuilt.
	s.mu.Lock()
	s.expires = time.Now().Add(-time.Millisecond)
	s.mu.Unlock()
	if p, _ := s.get(ctx, time.Hour, build); p.NextTime != 3 {
		t.Fatalf("stale: %+v", p)
	}
	// A build overtaken by a reset (a write committed meanwhile) answers
	// its own reader only.
	s.reset()
	slow := make(chan struct{})
	got := make(chan int64)
	go func() {
		p, _ := s.get(ctx, time.Hour, func(context.Context) (*feedResp, error) { <-slow; return &feedResp{NextTime: 100}, nil })
		got <- p.NextTime
	}()
	time.Sleep(20 * time.Millisecond)
	s.reset()
	close(slow)
	if n := <-got; n != 100 {
		t.Fatalf("the overtaken build's reader got %d", n)
	}
	if p, _ := s.get(ctx, time.Hour, build); p.NextTime != 4 {
		t.Fatalf("the overtaken build was kept: %+v", p)
	}
	// A failed build is not kept.
	s.reset()
	if _, err := s.get(ctx, time.Hour, func(context.Context) (*feedResp, error) { return nil, errors.New("down") }); err == nil {
		t.Fatal("the failure was not answered")
	}
	if p, _ := s.get(ctx, time.Hour, build); p.NextTime != 5 {
		t.Fatalf("after a failed build: %+v", p)
	}
}
