package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is GCRA in this process's memory: exact for one process, which is
// the only instance in the embedded mode.
type Memory struct {
	mu sync.Mutex
	// tat: each key's theoretical arrival time. A key whose time has passed
	// has its whole budget, so it is dropped rather than kept.
	tat   map[string]time.Time
	swept time.Time
	now   func() time.Time
}

func NewMemory() *Memory {
	return &Memory{tat: map[string]time.Time{}, now: time.Now}
}

// sweepEvery bounds how long keys that are full again stay in the map: the
// map holds only keys that acted within their last burst's worth of time.
const sweepEvery = time.Minute

func (m *Memory) AllowN(_ context.Context, key string, l Limit, n int) Result {
	if l.Off() || n == 0 {
		return allowed
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.swept) >= sweepEvery {
		m.sweep(now)
	}
	tat, ok := m.tat[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	newTat := tat.Add(l.interval() * time.Duration(n))
	if n > 0 {
		if allowAt := newTat.Add(-l.interval() * time.Duration(l.burst())); allowAt.After(now) {
			return Result{RetryAfter: allowAt.Sub(now)}
		}
	}
	if newTat.After(now) {
		m.tat[key] = newTat
	} else {
		delete(m.tat, key) // a refund back to a full budget
	}
	return allowed
}

func (m *Memory) sweep(now time.Time) {
	for k, t := range m.tat {
		if !t.After(now) {
			delete(m.tat, k)
		}
	}
	m.swept = now
}

// Len is the number of keys held (for tests).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}
