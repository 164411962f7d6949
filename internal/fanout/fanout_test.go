package fanout

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunsAllAndReturnsTheFirstError(t *testing.T) {
	g, ctx := WithContext(context.Background())
	var n atomic.Int32
	boom := errors.New("boom")
	for i := 0; i < 5; i++ {
		g.Go(func() error { n.Add(1); return nil })
	}
	g.Go(func() error { return boom })
	g.Go(func() error {
		select { // the failure cancels the others' context
		case <-ctx.Done():
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("not cancelled")
		}
	})
	if err := g.Wait(); !errors.Is(err, boom) || n.Load() != 5 {
		t.Fatalf("err=%v n=%d", err, n.Load())
	}
}

func TestPanicBecomesAnError(t *testing.T) {
	g, _ := WithContext(context.Background())
	g.Go(func() error { panic("bad") })
	if err := g.Wait(); err == nil {
		t.Fatal("panic lost")
	}
}

func TestNoCallsNoError(t *testing.T) {
	g, ctx := WithContext(context.Background())
	if err := g.Wait(); err != nil || ctx.Err() == nil {
		t.Fatalf("err=%v, context must be released", err)
	}
}
