package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// The anonymous page is built once for any number of concurrent readers,
// reused while fresh, rebuilt once stale or reset; a build that a reset
// overtook answers the readers that came before the reset but is not kept,
// and readers after the reset get a build of their own.
func TestSharedPage(t *testing.T) {
	var s sharedPage
	ctx := context.Background()
	get := func(build func(context.Context) (*feedResp, error)) (*feedResp, error) {
		return s.get(ctx, ctx, time.Hour, build)
	}
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
			p, err := get(build)
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
	a, _ := get(build)
	a.StatusMsg = "mine"
	if b, _ := get(build); b.StatusMsg != "" || builds.Load() != 1 {
		t.Fatalf("shared: %+v after %d builds", b, builds.Load())
	}
	s.reset()
	if p, _ := get(build); p.NextTime != 2 {
		t.Fatalf("after reset: %+v", p)
	}
	s.mu.Lock()
	s.expires = time.Now().Add(-time.Millisecond)
	s.mu.Unlock()
	if p, _ := get(build); p.NextTime != 3 {
		t.Fatalf("stale: %+v", p)
	}

	// Overtaken by a reset.
	s.reset()
	started, slow := make(chan struct{}), make(chan struct{})
	got := make(chan int64, 2)
	old := func(context.Context) (*feedResp, error) { close(started); <-slow; return &feedResp{NextTime: 100}, nil }
	go func() { p, _ := get(old); got <- p.NextTime }()
	<-started
	go func() { p, _ := get(build); got <- p.NextTime }() // joins the old build: came before the reset
	time.Sleep(200 * time.Millisecond)
	s.reset()
	if p, _ := get(build); p.NextTime != 4 { // after the reset: a build of its own
		t.Fatalf("a reader after the reset got %+v", p)
	}
	close(slow)
	if a, b := <-got, <-got; a != 100 || b != 100 {
		t.Fatalf("the readers of the overtaken build got %d and %d", a, b)
	}
	if p, _ := get(build); p.NextTime != 4 {
		t.Fatalf("the overtaken build replaced the newer page: %+v", p)
	}

	// A failed build is not kept; a panic ends the build for its waiters.
	s.reset()
	if _, err := get(func(context.Context) (*feedResp, error) { return nil, errors.New("down") }); err == nil {
		t.Fatal("the failure was not answered")
	}
	if p, _ := get(build); p.NextTime != 5 {
		t.Fatalf("after a failed build: %+v", p)
	}
	s.reset()
	inPanic := make(chan struct{})
	waiterErr := make(chan error, 1)
	go func() {
		defer func() { recover() }()
		get(func(context.Context) (*feedResp, error) {
			close(inPanic)
			time.Sleep(300 * time.Millisecond)
			panic("boom")
		})
	}()
	<-inPanic
	go func() { _, err := get(build); waiterErr <- err }()
	select {
	case err := <-waiterErr:
		if err == nil {
			t.Fatal("the waiter of a panicked build got a page")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter of a panicked build still waits")
	}
	if p, err := get(build); err != nil || p.NextTime != 6 {
		t.Fatalf("after a panicked build: %+v, %v", p, err)
	}
	// A waiter whose client left stops waiting.
	s.reset()
	hold := make(chan struct{})
	go get(func(context.Context) (*feedResp, error) { <-hold; return &feedResp{}, nil })
	time.Sleep(20 * time.Millisecond)
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.get(gone, ctx, time.Hour, build); !errors.Is(err, context.Canceled) {
		t.Fatalf("a gone client's wait: %v", err)
	}
	close(hold)
}

// The writer that drops the page on a write's reply still gives
// http.ResponseController the connection: the publish sets its deadlines
// through it.
func TestResetOnReplyKeepsDeadlines(t *testing.T) {
	var ok atomic.Bool
	r := gin.New()
	r.POST("/", func(c *gin.Context) {
		c.Writer = &resetOnReply{ResponseWriter: c.Writer, c: c, page: &sharedPage{}}
		ok.Store(http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(time.Minute)) == nil)
		c.String(200, "ok")
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	res, err := http.Post(srv.URL+"/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if !ok.Load() {
		t.Fatal("SetWriteDeadline did not reach the connection")
	}
}
