// Package fanout runs the parallel calls of one request, like errgroup, but on
// long-lived goroutines: a fresh goroutine per call grew its stack through
// the deep RPC client stack every time (runtime.copystack was 8% of the
// gateway's profile, also with a pool whose workers exit when idle).
package fanout

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// tasks hands work to an idle worker; when none is idle, a new one starts.
// Workers stay while there is work, and leave after idleFor without any.
var tasks = make(chan func())

const idleFor = time.Minute

func submit(f func()) {
	select {
	case tasks <- f:
	default:
		go worker(f)
	}
}

func worker(f func()) {
	t := time.NewTimer(idleFor)
	defer t.Stop()
	for {
		f()
		t.Reset(idleFor)
		select {
		case f = <-tasks:
		case <-t.C:
			return
		}
	}
}

// Group is a set of calls whose first error cancels the others' context.
type Group struct {
	wg     sync.WaitGroup
	once   sync.Once
	err    error
	cancel context.CancelFunc
}

// New returns a Group whose calls share no context: for calls that are
// bounded on their own (RPCs, see rpc.Detach), where cancelling the others
// after a failure saves nothing worth a cancellable context per request.
func New() *Group { return &Group{cancel: func() {}} }

// WithContext returns a Group and the context its calls should use.
func WithContext(ctx context.Context) (*Group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &Group{cancel: cancel}, ctx
}

// Go runs f on a pooled goroutine. A panic in f becomes its error.
func (g *Group) Go(f func() error) {
	g.wg.Add(1)
	submit(func() {
		defer g.wg.Done()
		err := run(f)
		if err != nil {
			g.once.Do(func() {
				g.err = err
				g.cancel()
			})
		}
	})
}

func run(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in parallel call: %v", r)
		}
	}()
	return f()
}

// Wait waits for every call and returns the first error.
func (g *Group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}
