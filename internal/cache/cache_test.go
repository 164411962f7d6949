package cache

import (
	"cmp"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"tiktok/internal/testenv"
)

// testRedis is the Redis the Redis-backed runs use; TIKTOK_TEST_REDIS points
// them elsewhere (at an address where nothing listens, say, to check that
// the in-process runs go on without Redis).
var testRedis = cmp.Or(os.Getenv("TIKTOK_TEST_REDIS"), "127.0.0.1:6379")

// needRedis stops t unless Redis answers: a skip outside CI, a failure in CI.
func needRedis(t *testing.T, ping func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	testenv.Need(t, "Redis at "+testRedis, ping(ctx))
}

// testCache is a Redis-backed cache on an emptied database 9.
func testCache(t *testing.T) *Cache {
	t.Helper()
	c := New(Options{Addr: testRedis, DB: 9, TTL: time.Minute})
	t.Cleanup(c.Close)
	rdb := c.be.(redisBackend).rdb
	needRedis(t, func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
	rdb.FlushDB(context.Background())
	t.Cleanup(func() { rdb.FlushDB(context.Background()) })
	return c
}

// localCache is the in-process cache of `tiktok serve` without Redis.
func localCache() *Cache { return New(Options{Local: true, TTL: time.Minute}) }

// backends runs f on every backend, each a subtest: the Redis cache, the
// Redis cache with the near memory in front (both need Redis) and the
// in-process one (which needs nothing, so it runs everywhere). They keep the
// same rules.
func backends(t *testing.T, f func(t *testing.T, c *Cache)) {
	t.Run("local", func(t *testing.T) { f(t, localCache()) })
	t.Run("redis", func(t *testing.T) { f(t, testCache(t)) })
	t.Run("near", func(t *testing.T) { f(t, testNear(t, "test")) })
}

func TestBatchCachesHitsMissesAndAbsence(t *testing.T) {
	backends(t, testBatchCachesHitsMissesAndAbsence)
}

func testBatchCachesHitsMissesAndAbsence(t *testing.T, c *Cache) {
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
}

func TestNumbersOneRoundTripManyKinds(t *testing.T) {
	backends(t, testNumbersOneRoundTripManyKinds)
	b := &Group{Prefix: "b", IDs: []int64{3}, Load: func(_ context.Context, ids []int64) (map[int64]int64, error) {
		return map[int64]int64{3: 300}, nil
	}}
	if err := Numbers(context.Background(), nil, b); err != nil || b.Out[3] != 300 {
		t.Fatal("nil cache must load")
	}
}

func testNumbersOneRoundTripManyKinds(t *testing.T, c *Cache) {
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
	// An invalidated number is loaded again, alone.
	c.Invalidate(ctx, Key("b", 3))
	a := &Group{Prefix: "a", IDs: []int64{1, 2}, Load: loader("a", 10)}
	b := &Group{Prefix: "b", IDs: []int64{2, 3}, Load: loader("b", 100)}
	if err := Numbers(ctx, c, a, b); err != nil || b.Out[3] != 300 || a.Out[1] != 10 {
		t.Fatalf("after invalidate: a %v b %v %v", a.Out, b.Out, err)
	}
	if loads["a"] != 1 || loads["b"] != 2 {
		t.Fatalf("only the invalidated kind must load again: %v", loads)
	}
}

func TestGetFillAndTombstone(t *testing.T) {
	backends(t, func(t *testing.T, c *Cache) {
		ctx := context.Background()
		if _, ok := Get[[]int](ctx, c, "w"); ok {
			t.Fatal("hit on an empty cache")
		}
		c.Fill(ctx, "w", []int{1, 2})
		v, ok := Get[[]int](ctx, c, "w")
		if !ok || len(*v) != 2 {
			t.Fatalf("fill then get: %v", v)
		}
		c.Invalidate(ctx, "w")
		c.Fill(ctx, "w", []int{9}) // a racing fill of an old value loses to the tombstone
		if v, ok := Get[[]int](ctx, c, "w"); ok {
			t.Fatalf("tombstone overwritten: %v", *v)
		}
	})
	var nilCache *Cache
	nilCache.Fill(context.Background(), "w", 1)
	if _, ok := Get[[]int](context.Background(), nilCache, "w"); ok {
		t.Fatal("nil cache hit")
	}
}

func TestDecodedOnceWhileTheTextIsTheSame(t *testing.T) {
	backends(t, func(t *testing.T, c *Cache) {
		ctx := context.Background()
		c.Fill(ctx, "w", []int{1, 2})
		a, _ := Get[[]int](ctx, c, "w")
		b, _ := Get[[]int](ctx, c, "w")
		if a != b {
			t.Fatal("the same text must give the same decoded value")
		}
		c.Invalidate(ctx, "w")
		// Past the tombstone a new value is filled and read afresh.
		c.be.set(ctx, []string{"w"}, "[3]", time.Minute)
		d, ok := Get[[]int](ctx, c, "w")
		if !ok || len(*d) != 1 || (*d)[0] != 3 || len(*a) != 2 {
			t.Fatalf("changed value: %v (old %v)", d, a)
		}
	})
}

func TestBatchOnEveryBackend(t *testing.T) {
	backends(t, func(t *testing.T, c *Cache) {
		ctx := context.Background()
		loads := 0
		load := func(_ context.Context, ids []int64) (map[int64]string, error) {
			loads++
			return map[int64]string{1: "one"}, nil
		}
		for i := 0; i < 2; i++ {
			got, err := Batch(ctx, c, "b", []int64{1, 2}, load)
			if err != nil || got[1] != "one" || len(got) != 1 {
				t.Fatalf("got %v %v", got, err)
			}
		}
		if loads != 1 {
			t.Fatalf("loads=%d", loads)
		}
	})
}

func TestLocalEntriesExpire(t *testing.T) {
	c := New(Options{Local: true, TTL: 20 * time.Millisecond})
	ctx := context.Background()
	c.Fill(ctx, "e", 1)
	if _, ok := Get[int](ctx, c, "e"); !ok {
		t.Fatal("miss right after fill")
	}
	time.Sleep(30 * time.Millisecond)
	if _, ok := Get[int](ctx, c, "e"); ok {
		t.Fatal("expired entry served")
	}
	// Writes sweep expired entries away.
	l := c.be.(*local)
	for i := 0; i < 2000; i++ {
		c.Fill(ctx, Key("x", int64(i)), i)
	}
	time.Sleep(30 * time.Millisecond)
	for i := 0; i < 2000; i++ {
		c.Fill(ctx, Key("y", int64(i)), i)
	}
	l.mu.RLock()
	n := len(l.m)
	l.mu.RUnlock()
	if n > 2000 {
		t.Fatalf("%d entries kept, expired ones not swept", n)
	}
}

// flaky is a backend that fails while down.
type flaky struct {
	backend
	down bool
}

var errDown = errors.New("down")

func (f *flaky) mget(ctx context.Context, keys []string) ([]string, []bool, int, error) {
	if f.down {
		return nil, nil, 0, errDown
	}
	return f.backend.mget(ctx, keys)
}

func (f *flaky) set(ctx context.Context, keys []string, val string, ttl time.Duration) error {
	if f.down {
		return errDown
	}
	return f.backend.set(ctx, keys, val, ttl)
}

func TestInvalidationLostToAnOutageIsWrittenBeforeTheNextRead(t *testing.T) {
	ctx := context.Background()
	f := &flaky{backend: newLocal()}
	c := newCache(f, "test", time.Hour)
	c.Fill(ctx, "k", 1)
	f.down = true
	c.Invalidate(ctx, "k") // the write committed; Redis did not hear of it
	if _, ok := Get[int](ctx, c, "k"); ok {
		t.Fatal("read from a backend that is down")
	}
	f.down = false
	c.downUntil.Store(0) // the pause after the error is over
	if v, ok := Get[int](ctx, c, "k"); ok {
		t.Fatalf("old value %d served after the outage", *v)
	}
	if c.owed.Load() {
		t.Fatal("owed invalidation not written")
	}
	c.Fill(ctx, "k2", 2)
	if v, ok := Get[int](ctx, c, "k2"); !ok || *v != 2 {
		t.Fatal("cache not back in use")
	}
}

func TestImmutableRemembersRecordsButNotAbsence(t *testing.T) {
	ctx := context.Background()
	im := NewImmutable[string](2)
	var asked [][]int64
	exists := map[int64]string{1: "a", 2: "b"}
	load := func(_ context.Context, ids []int64) (map[int64]string, error) {
		asked = append(asked, ids)
		out := map[int64]string{}
		for _, id := range ids {
			if v, ok := exists[id]; ok {
				out[id] = v
			}
		}
		return out, nil
	}
	got, _ := im.Batch(ctx, nil, "u", []int64{1, 3}, load)
	if got[1] != "a" || len(got) != 1 {
		t.Fatalf("got %v", got)
	}
	exists[3] = "c" // created after the first look-up
	got, _ = im.Batch(ctx, nil, "u", []int64{1, 3}, load)
	if got[3] != "c" || len(asked) != 2 || len(asked[1]) != 1 || asked[1][0] != 3 {
		t.Fatalf("got %v, asked %v: 1 must be remembered, 3 looked up again", got, asked)
	}
	// Past its bound it starts afresh rather than growing.
	im.Batch(ctx, nil, "u", []int64{2}, load)
	if len(im.m) > 2 {
		t.Fatalf("%d records kept, bound 2", len(im.m))
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestAnOccasionalTimeoutDoesNotPauseTheCache(t *testing.T) {
	c := newCache(newLocal(), "test", time.Hour)
	ctx := context.Background()
	c.failed(ctx, timeoutErr{})
	c.failed(ctx, timeoutErr{})
	if !c.usable() {
		t.Fatal("two timeouts paused the cache")
	}
	c.failed(ctx, timeoutErr{})
	if c.usable() {
		t.Fatal("three timeouts in a second must pause it")
	}
	c.downUntil.Store(0)
	c.failed(ctx, errDown)
	if c.usable() {
		t.Fatal("any other error pauses it at once")
	}
}
