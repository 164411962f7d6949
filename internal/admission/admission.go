// Package admission bounds the requests a process works on at once. Past
// the bound a request waits, in arrival order, for a slot; past the queue,
// or past the longest wait, it is refused at once. Under more clients than
// the machine can serve this keeps the work in flight at what the machine
// finishes quickly, so the requests it takes are answered in time and the
// rest hear "retry later" at once, instead of every request slowing down
// until all of them time out (docs/PERFORMANCE.md, Overload).
package admission

import (
	"context"
	"time"
)

// Gate admits up to n requests at once and lets up to queue more wait for
// at most wait each. The zero of *Gate (nil) admits everything.
type Gate struct {
	slots   chan struct{} // one per request admitted
	tickets chan struct{} // one per request admitted or waiting
	wait    time.Duration
}

// New returns a gate of n slots, queue waiting places and the longest wait;
// nil (no bound) when n <= 0.
func New(n, queue int, wait time.Duration) *Gate {
	if n <= 0 {
		return nil
	}
	return &Gate{slots: make(chan struct{}, n), tickets: make(chan struct{}, n+max(queue, 0)), wait: wait}
}

// Enter waits for a slot. It returns the slot's release, or false when the
// queue is full, the wait ran out or ctx ended first.
func (g *Gate) Enter(ctx context.Context) (release func(), ok bool) {
	if g == nil {
		return func() {}, true
	}
	select {
	case g.tickets <- struct{}{}:
	default:
		return nil, false
	}
	select {
	case g.slots <- struct{}{}: // the common case: no timer
		return g.release, true
	default:
	}
	if g.wait <= 0 {
		<-g.tickets
		return nil, false
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.release, true
	case <-t.C:
	case <-ctx.Done():
	}
	<-g.tickets
	return nil, false
}

func (g *Gate) release() {
	<-g.slots
	<-g.tickets
}

// InFlight is the number of requests admitted now; Waiting those queued.
func (g *Gate) InFlight() int {
	if g == nil {
		return 0
	}
	return len(g.slots)
}

// Waiting is the number of requests waiting for a slot now.
func (g *Gate) Waiting() int {
	if g == nil {
		return 0
	}
	return len(g.tickets) - len(g.slots)
}
