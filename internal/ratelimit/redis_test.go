package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tiktok/internal/testenv"
)

const testRedis = "127.0.0.1:6379"

func needRedis(t *testing.T) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: testRedis})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	testenv.Need(t, "redis at "+testRedis, c.Ping(ctx).Err())
}

// uniqueKey keeps runs (and parallel packages) off each other's budgets.
func uniqueKey(t *testing.T) string {
	return fmt.Sprintf("test:%s:%d", t.Name(), time.Now().UnixNano())
}

// Two limiters on the same Redis are two gateway instances: together they
// allow the burst once, not once each.
func TestRedisInstancesShareTheBudget(t *testing.T) {
	needRedis(t)
	a, b := NewRedis(testRedis, 0, time.Second), NewRedis(testRedis, 0, time.Second)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	key := uniqueKey(t)
	l := Limit{Rate: 1, Per: time.Hour, Burst: 10}
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(lim *Redis) {
			defer wg.Done()
			if lim.AllowN(ctx, key, l, 1).Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}([]*Redis{a, b}[i%2])
	}
	wg.Wait()
	if allowed != 10 {
		t.Fatalf("40 events through two instances on a burst of 10: %d allowed", allowed)
	}
	r := b.AllowN(ctx, key, l, 1)
	if r.Allowed || r.RetryAfter <= 0 || r.RetryAfter > time.Hour {
		t.Fatalf("spent budget on the other instance: %+v (want a refusal, retry within the hour)", r)
	}
	// A refund through one instance is seen by the other.
	a.AllowN(ctx, key, l, -1)
	if !b.AllowN(ctx, key, l, 1).Allowed {
		t.Fatal("refund through a not seen by b")
	}
}

func TestRedisRecovers(t *testing.T) {
	needRedis(t)
	r := NewRedis(testRedis, 0, time.Second)
	defer r.Close()
	ctx := context.Background()
	key := uniqueKey(t)
	l := Limit{Rate: 10, Per: time.Second, Burst: 2} // one every 100 ms
	r.AllowN(ctx, key, l, 1)
	r.AllowN(ctx, key, l, 1)
	res := r.AllowN(ctx, key, l, 1)
	if res.Allowed || res.RetryAfter > 100*time.Millisecond {
		t.Fatalf("third event: %+v", res)
	}
	time.Sleep(res.RetryAfter + 10*time.Millisecond)
	if !r.AllowN(ctx, key, l, 1).Allowed {
		t.Fatal("allowed again after RetryAfter")
	}
}

// With Redis unreachable, decisions fall back to this process's memory:
// still limited, never an error.
func TestRedisDownFallsBackToMemory(t *testing.T) {
	r := NewRedis("127.0.0.1:1", 0, 50*time.Millisecond)
	defer r.Close()
	ctx := context.Background()
	l := Limit{Rate: 1, Per: time.Hour, Burst: 3}
	n := 0
	for i := 0; i < 10; i++ {
		if r.AllowN(ctx, "k", l, 1).Allowed {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("redis down: %d of 10 allowed, want the burst of 3 from memory", n)
	}
}
