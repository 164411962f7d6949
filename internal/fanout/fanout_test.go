package fanout

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestRunsAllAndReturnsTheFirstError(t *testing.T) {
	g := New()
	var n atomic.Int32
	boom := errors.New("boom")
	for i := 0; i < 5; i++ {
		g.Go(func() error { n.Add(1); return nil })
	}
	g.Go(func() error { return boom })
	if err := g.Wait(); !errors.Is(err, boom) || n.Load() != 5 {
		t.Fatalf("err=%v n=%d", err, n.Load())
	}
}

func TestPanicBecomesAnError(t *testing.T) {
	g := New()
	g.Go(func() error { panic("bad") })
	if err := g.Wait(); err == nil {
		t.Fatal("panic lost")
	}
}

func TestNoCallsNoError(t *testing.T) {
	if err := New().Wait(); err != nil {
		t.Fatalf("err=%v", err)
	}
}
