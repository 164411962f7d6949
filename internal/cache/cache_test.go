package cache

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func testCache(t *testing.T) *Cache {
	c := New(Options{Addr: "127.0.0.1:6379", DB: 9, TTL: time.Minute})
	if err := c.rdb.Ping(context.Background()).Err(); err != nil {
		t.Skip("no Redis at 127.0.0.1:6379")
	}
	c.rdb.FlushDB(context.Background())
	t.Cleanup(func() { c.rdb.FlushDB(context.Background()); c.Close() })
	return c
}

func TestBatchCachesHitsMissesAndAbsence(t *testing.T) {
	c := testCache(t)
	ctx := context.Background()
	loads := 0
	load := func(_ context.Context, ids []int64) (map[int64]int64, error) {
		loads++
		out := map[int64]int64{}
		for _, id := range ids {
			if id != 3 { // 3 does not exist
				out[id] = id * 10
			}
		}
		return out, nil
	}
	for i := 0; i < 2; i++ {
		got, err := Batch(ctx, c, "t", []int64{1, 2, 3}, load)
		if err != nil || got[1] != 10 || got[2] != 20 || len(got) != 2 {
			t.Fatalf("got %v %v", got, err)
		}
	}
	if loads != 1 {
		t.Fatalf("second lookup must come from the cache, loads=%d", loads)
	}
	// After an invalidation the value is reloaded, and a racing fill of the
	// old value (SET NX) cannot replace the tombstone.
	c.Invalidate(ctx, Key("t", 1))
	c.setMany(ctx, map[string]string{Key("t", 1): "999"})
	got, _ := Batch(ctx, c, "t", []int64{1}, load)
	if got[1] != 10 || loads != 2 {
		t.Fatalf("after invalidate: %v loads=%d", got, loads)
	}
}

func TestRedisDownFallsThrough(t *testing.T) {
	c := New(Options{Addr: "127.0.0.1:1", TTL: time.Minute, Timeout: 50 * time.Millisecond})
	defer c.Close()
	start := time.Now()
	for i := 0; i < 20; i++ {
		got, err := Batch(context.Background(), c, "t", []int64{1}, func(context.Context, []int64) (map[int64]int64, error) {
			return map[int64]int64{1: 5}, nil
		})
		if err != nil || got[1] != 5 {
			t.Fatal(got, err)
		}
		c.Invalidate(context.Background(), "t:1")
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("a dead Redis cost %v for 20 lookups", took)
	}
	var nilCache *Cache
	got, _ := Batch(context.Background(), nilCache, "t", []int64{1}, func(context.Context, []int64) (map[int64]int64, error) {
		return map[int64]int64{1: 7}, nil
	})
	if got[1] != 7 {
		t.Fatal("nil cache must load")
	}
	_ = redis.Nil
}

func TestNumbersOneRoundTripManyKinds(t *testing.T) {
	c := testCache(t)
	ctx := context.Background()
	loads := map[string]int{}
	loader := func(name string, mul int64) func(context.Context, []int64) (map[int64]int64, error) {
		return func(_ context.Context, ids []int64) (map[int64]int64, error) {
			loads[name]++
			out := map[int64]int64{}
			for _, id := range ids {
				out[id] = id * mul
			}
			return out, nil
		}
	}
	for i := 0; i < 2; i++ {
		a := &Group{Prefix: "a", IDs: []int64{1, 2}, Load: loader("a", 10)}
		b := &Group{Prefix: "b", IDs: []int64{2, 3}, Load: loader("b", 100)}
		if err := Numbers(ctx, c, a, b); err != nil {
			t.Fatal(err)
		}
		if a.Out[2] != 20 || b.Out[3] != 300 || len(a.Out) != 2 {
			t.Fatalf("a %v b %v", a.Out, b.Out)
		}
	}
	if loads["a"] != 1 || loads["b"] != 1 {
		t.Fatalf("second round must hit the cache: %v", loads)
	}
	c.Invalidate(ctx, Key("b", 3))
	b := &Group{Prefix: "b", IDs: []int64{3}, Load: loader("b", 100)}
	if err := Numbers(ctx, nil, b); err != nil || b.Out[3] != 300 {
		t.Fatal("nil cache must load")
	}
}

func TestGetFillAndTombstone(t *testing.T) {
	c := testCache(t)
	ctx := context.Background()
	var v []int
	if c.Get(ctx, "w", &v) {
		t.Fatal("hit on an empty cache")
	}
	c.Fill(ctx, "w", []int{1, 2})
	if !c.Get(ctx, "w", &v) || len(v) != 2 {
		t.Fatalf("fill then get: %v", v)
	}
	c.Invalidate(ctx, "w")
	c.Fill(ctx, "w", []int{9}) // a racing fill of an old value loses to the tombstone
	if c.Get(ctx, "w", &v) && len(v) == 1 {
		t.Fatal("tombstone overwritten")
	}
	var nilCache *Cache
	nilCache.Fill(ctx, "w", 1)
	if nilCache.Get(ctx, "w", &v) {
		t.Fatal("nil cache hit")
	}
}
