package ratelimit

import (
	"context"
	"testing"
	"time"
)

// clock is a Memory whose time the test moves.
func clocked() (*Memory, *time.Time) {
	m := NewMemory()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	return m, &now
}

func TestMemoryBurstThenRate(t *testing.T) {
	m, now := clocked()
	ctx := context.Background()
	l := Limit{Rate: 5, Per: time.Minute, Burst: 3} // one every 12 s, three at once
	for i := 0; i < 3; i++ {
		if !m.AllowN(ctx, "k", l, 1).Allowed {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	r := m.AllowN(ctx, "k", l, 1)
	if r.Allowed || r.RetryAfter != 12*time.Second || r.RetryAfterSeconds() != 12 {
		t.Fatalf("past the burst: %+v", r)
	}
	// A refusal costs nothing: asking again at once gets the same answer.
	if r2 := m.AllowN(ctx, "k", l, 1); r2 != r {
		t.Fatalf("refusals must not consume: %+v then %+v", r, r2)
	}
	*now = now.Add(11 * time.Second)
	if r := m.AllowN(ctx, "k", l, 1); r.Allowed || r.RetryAfter != time.Second {
		t.Fatalf("11 s later: %+v", r)
	}
	*now = now.Add(time.Second)
	if !m.AllowN(ctx, "k", l, 1).Allowed {
		t.Fatal("one interval later one event is allowed")
	}
	if m.AllowN(ctx, "k", l, 1).Allowed {
		t.Fatal("and only one")
	}
	// After burst x interval the whole budget is back.
	*now = now.Add(36 * time.Second)
	for i := 0; i < 3; i++ {
		if !m.AllowN(ctx, "k", l, 1).Allowed {
			t.Fatalf("refilled burst: event %d refused", i)
		}
	}
}

func TestMemoryKeysAreIndependent(t *testing.T) {
	m, _ := clocked()
	ctx := context.Background()
	l := Limit{Rate: 1, Per: time.Hour, Burst: 1}
	if !m.AllowN(ctx, "a", l, 1).Allowed || m.AllowN(ctx, "a", l, 1).Allowed {
		t.Fatal("a: one per hour")
	}
	if !m.AllowN(ctx, "b", l, 1).Allowed {
		t.Fatal("b is not a's budget")
	}
}

func TestMemoryRefund(t *testing.T) {
	m, now := clocked()
	ctx := context.Background()
	l := Limit{Rate: 2, Per: time.Minute, Burst: 2}
	m.AllowN(ctx, "k", l, 1)
	m.AllowN(ctx, "k", l, 1)
	if m.AllowN(ctx, "k", l, 1).Allowed {
		t.Fatal("budget spent")
	}
	if !m.AllowN(ctx, "k", l, -1).Allowed {
		t.Fatal("a refund is always allowed")
	}
	if !m.AllowN(ctx, "k", l, 1).Allowed || m.AllowN(ctx, "k", l, 1).Allowed {
		t.Fatal("a refund gives back exactly one event")
	}
	// Refunds never raise the budget past full.
	*now = now.Add(time.Hour)
	for i := 0; i < 5; i++ {
		m.AllowN(ctx, "k", l, -1)
	}
	if m.Len() != 0 {
		t.Fatal("a full budget is not stored")
	}
	n := 0
	for m.AllowN(ctx, "k", l, 1).Allowed {
		n++
	}
	if n != 2 {
		t.Fatalf("after refunds on a full budget: %d events at once, want the burst of 2", n)
	}
}

func TestMemoryAllOrNothing(t *testing.T) {
	m, _ := clocked()
	ctx := context.Background()
	l := Limit{Rate: 10, Per: time.Second, Burst: 5}
	if m.AllowN(ctx, "k", l, 6).Allowed {
		t.Fatal("6 events do not fit a burst of 5")
	}
	if !m.AllowN(ctx, "k", l, 5).Allowed {
		t.Fatal("the refusal must not have consumed")
	}
}

func TestMemoryOff(t *testing.T) {
	m, _ := clocked()
	for _, l := range []Limit{{}, {Rate: 0, Per: time.Second, Burst: 1}, {Rate: 1, Per: 0, Burst: 1}} {
		for i := 0; i < 100; i++ {
			if !m.AllowN(context.Background(), "k", l, 1).Allowed {
				t.Fatalf("%+v is off but refused", l)
			}
		}
	}
	if m.Len() != 0 {
		t.Fatal("an off limit stores nothing")
	}
	// Burst 0 means 1: the limit still lets events through at its rate.
	l := Limit{Rate: 1, Per: time.Second}
	if !m.AllowN(context.Background(), "z", l, 1).Allowed || m.AllowN(context.Background(), "z", l, 1).Allowed {
		t.Fatal("burst 0 acts as 1")
	}
}

func TestMemorySweepsFullKeys(t *testing.T) {
	m, now := clocked()
	ctx := context.Background()
	l := Limit{Rate: 1, Per: time.Second, Burst: 1}
	for i := 0; i < 1000; i++ {
		m.AllowN(ctx, string(rune('a'+i%26))+time.Duration(i).String(), l, 1)
	}
	if m.Len() != 1000 {
		t.Fatalf("held %d keys", m.Len())
	}
	*now = now.Add(2 * sweepEvery)
	m.AllowN(ctx, "last", l, 1)
	if m.Len() != 1 {
		t.Fatalf("keys back to full must be swept; %d held", m.Len())
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory()
	l := Limit{Rate: 1, Per: time.Hour, Burst: 50}
	got := make(chan bool, 200)
	for i := 0; i < 200; i++ {
		go func() { got <- m.AllowN(context.Background(), "k", l, 1).Allowed }()
	}
	n := 0
	for i := 0; i < 200; i++ {
		if <-got {
			n++
		}
	}
	if n != 50 {
		t.Fatalf("200 concurrent events on a burst of 50: %d allowed", n)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, 45 * time.Second: 45} {
		if got := (Result{RetryAfter: d}).RetryAfterSeconds(); got != want {
			t.Errorf("%v: %d, want %d", d, got, want)
		}
	}
}
