// Package ratelimit answers "may this key act now?" under a rate with bursts,
// by GCRA (the generic cell rate algorithm): each key keeps one timestamp,
// its theoretical arrival time, so a budget costs one small value whatever
// its size. Two implementations share the interface: Redis (every gateway
// instance draws on the same budget; github.com/go-redis/redis_rate) and
// Memory (one process: the embedded mode without Redis, and the fallback
// while Redis is unreachable).
package ratelimit

import (
	"context"
	"math"
	"time"
)

// Limit allows Rate events per Per, in bursts of up to Burst. Rate 0 (or
// Per 0) is no limit.
type Limit struct {
	Rate  int
	Per   time.Duration
	Burst int
}

// Off reports whether l limits nothing.
func (l Limit) Off() bool { return l.Rate <= 0 || l.Per <= 0 }

// interval is the time one event's budget takes to come back.
func (l Limit) interval() time.Duration { return l.Per / time.Duration(l.Rate) }

// burst is at least 1: a limit that never allows an event is not a limit.
func (l Limit) burst() int { return max(l.Burst, 1) }

// Result is a decision.
type Result struct {
	Allowed bool
	// RetryAfter is, when refused, how long until the same request would be
	// allowed.
	RetryAfter time.Duration
}

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least 1:
// the value of an HTTP Retry-After header.
func (r Result) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(r.RetryAfter.Seconds())))
}

// Limiter decides for keys under limits. AllowN takes n events from key's
// budget under l when they fit (all or nothing); n < 0 gives events back
// (always allowed), for an event that turned out not to count.
type Limiter interface {
	AllowN(ctx context.Context, key string, l Limit, n int) Result
}

var allowed = Result{Allowed: true}

// New is the limiter for a configuration: Redis when addr is set (budgets
// shared by every instance), else this process's memory.
func New(addr string, db int, timeout time.Duration) Limiter {
	if addr == "" {
		return NewMemory()
	}
	return NewRedis(addr, db, timeout)
}
