// Package fanout runs the parallel calls of one request, like errgroup, but on
// long-lived goroutines: a fresh goroutine per call grew its stack through
// the deep RPC client stack every time (runtime.copystack was 8% of the
// gateway's profile, also with a pool whose workers exit when idle).
package fanout

import (
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

// Group is a set of calls; Wait returns the first error. The calls share no
// cancellable context: they are RPCs, each bounded on its own (rpc.Detach),
// and a cancellable context per request would make Kitex move every call to
// its timeout pool.
type Group struct {
	wg   sync.WaitGroup
	once sync.Once
	err  error
}

func New() *Group { return &Group{} }

// Go runs f on a pooled goroutine. A panic in f becomes its error.
func (g *Group) Go(f func() error) {
	g.wg.Add(1)
	submit(func() {
		defer g.wg.Done()
		err := run(f)
		if err != nil {
			g.once.Do(func() { g.err = err })
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
	return g.err
}
