package cache

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"tiktok/internal/metrics"
)

// counts are a cache's counters; the metrics are the process's, so tests
// compare before and after.
type counts struct{ near, redis, misses, fills, invalidations float64 }

func countsOf(name string) counts {
	return counts{
		near:          testutil.ToFloat64(metrics.CacheHits.WithLabelValues(name, "near")),
		redis:         testutil.ToFloat64(metrics.CacheHits.WithLabelValues(name, "redis")),
		misses:        testutil.ToFloat64(metrics.CacheMisses.WithLabelValues(name)),
		fills:         testutil.ToFloat64(metrics.CacheFills.WithLabelValues(name)),
		invalidations: testutil.ToFloat64(metrics.CacheInvalidations.WithLabelValues(name)),
	}
}

func (a counts) minus(b counts) counts {
	return counts{a.near - b.near, a.redis - b.redis, a.misses - b.misses, a.fills - b.fills,
		a.invalidations - b.invalidations}
}

// named runs f on every backend, each cache labelled with a name of its own.
func named(t *testing.T, f func(t *testing.T, c *Cache, name string, near bool)) {
	t.Run("local", func(t *testing.T) {
		f(t, New(Options{Local: true, TTL: time.Minute, Service: "mtest-local"}), "mtest-local", false)
	})
	t.Run("redis", func(t *testing.T) {
		c := New(Options{Addr: testRedis, DB: 9, TTL: time.Minute, Service: "mtest-redis"})
		t.Cleanup(c.Close)
		rdb := c.be.(redisBackend).rdb
		needRedis(t, func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
		rdb.FlushDB(context.Background())
		t.Cleanup(func() { rdb.FlushDB(context.Background()) })
		f(t, c, "mtest-redis", false)
	})
	t.Run("near", func(t *testing.T) { f(t, testNear(t, "mtest-near"), "mtest-near", true) })
}

func TestMetricsCountLookups(t *testing.T) {
	named(t, func(t *testing.T, c *Cache, name string, near bool) {
		ctx := context.Background()
		load := func(_ context.Context, ids []int64) (map[int64]int64, error) {
			return map[int64]int64{1: 10, 2: 20}, nil // 3 does not exist
		}
		step := func(what string, want counts, do func()) {
			t.Helper()
			before := countsOf(name)
			do()
			if got := countsOf(name).minus(before); got != want {
				t.Fatalf("%s: %+v, want %+v", what, got, want)
			}
		}
		batch := func() {
			if _, err := Batch(ctx, c, "t", []int64{1, 2, 3}, load); err != nil {
				t.Fatal(err)
			}
		}
		// All three missed and filled (the absent one as absent).
		step("first batch", counts{misses: 3, fills: 3}, batch)
		step("second batch", counts{redis: 3}, batch)
		if near {
			// The second read kept them in memory; the third is served there.
			step("third batch", counts{near: 3}, batch)
			if got := testutil.ToFloat64(metrics.CacheNearEntries.WithLabelValues(name)); got != 3 {
				t.Fatalf("near entries %v, want 3", got)
			}
		}
		step("invalidate", counts{invalidations: 2}, func() { c.Invalidate(ctx, Key("t", 1), Key("t", 2)) })
		if near {
			if got := testutil.ToFloat64(metrics.CacheNearEntries.WithLabelValues(name)); got != 1 {
				t.Fatalf("near entries after invalidating two %v, want 1", got)
			}
		}
		numbers := func() {
			a := &Group{Prefix: "a", IDs: []int64{1, 2}, Load: load}
			b := &Group{Prefix: "b", IDs: []int64{1}, Load: load}
			if err := Numbers(ctx, c, a, b); err != nil {
				t.Fatal(err)
			}
		}
		step("numbers", counts{misses: 3, fills: 3}, numbers)
		step("numbers again", counts{redis: 3}, numbers)
		step("get on nothing", counts{misses: 1}, func() { Get[int](ctx, c, "g") })
		step("fill", counts{fills: 1}, func() { c.Fill(ctx, "g", 5) })
		step("get", counts{redis: 1}, func() { Get[int](ctx, c, "g") })
	})
}

func TestMetricsNearEntriesGoWithTheCache(t *testing.T) {
	c := testNear(t, "mtest-near-close")
	g := metrics.CacheNearEntries.WithLabelValues("mtest-near-close")
	c.Fill(context.Background(), "k", 1)
	getInt(c, "k")
	if got := testutil.ToFloat64(g); got != 1 {
		t.Fatalf("near entries %v, want 1", got)
	}
	rdbOf(c).FlushDB(context.Background()) // its cleanup cannot, once closed
	c.Close()
	if got := testutil.ToFloat64(g); got != 0 {
		t.Fatalf("near entries after close %v, want 0", got)
	}
}

// The circuit gauge is 1 from the error that pauses Redis until the pause
// is over, with no call needed to bring it back to 0.
func TestMetricsCircuitOpen(t *testing.T) {
	ctx := context.Background()
	f := &flaky{backend: newLocal()}
	c := newCache(f, "mtest-circuit", time.Hour)
	g := metrics.CacheCircuitOpen.WithLabelValues("mtest-circuit")
	if got := testutil.ToFloat64(g); got != 0 {
		t.Fatalf("circuit %v on a new cache", got)
	}
	f.down = true
	before := countsOf("mtest-circuit")
	if _, ok := Get[int](ctx, c, "k"); ok {
		t.Fatal("hit on a backend that is down")
	}
	if got := testutil.ToFloat64(g); got != 1 {
		t.Fatalf("circuit %v after an error, want 1", got)
	}
	// While it is open, reads go to the database: misses.
	Get[int](ctx, c, "k")
	if d := countsOf("mtest-circuit").minus(before); d != (counts{misses: 2}) {
		t.Fatalf("counted %+v, want 2 misses", d)
	}
	f.down = false
	eventually(t, "circuit closed", func() bool { return testutil.ToFloat64(g) == 0 })
	if !c.usable() {
		t.Fatal("circuit shown closed while the cache is still paused")
	}
}

// Two occasional timeouts do not open it (they do not pause the cache).
func TestMetricsCircuitIgnoresAnOccasionalTimeout(t *testing.T) {
	c := newCache(newLocal(), "mtest-circuit-timeout", time.Hour)
	c.failed(context.Background(), timeoutErr{})
	c.failed(context.Background(), timeoutErr{})
	if got := testutil.ToFloat64(metrics.CacheCircuitOpen.WithLabelValues("mtest-circuit-timeout")); got != 0 {
		t.Fatalf("circuit %v after two timeouts", got)
	}
}
