package cache

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testNear is a Redis cache with memory in front, subscribed and ready.
// The near memory lives on Redis's channel, so these tests need Redis.
func testNear(t *testing.T, service string) *Cache {
	t.Helper()
	c := New(Options{Addr: testRedis, DB: 9, TTL: time.Minute, Service: service, NearTTL: time.Minute})
	t.Cleanup(c.Close)
	n := c.be.(*near)
	needRedis(t, func(ctx context.Context) error { return n.rdb.Ping(ctx).Err() })
	n.rdb.FlushDB(context.Background())
	t.Cleanup(func() { n.rdb.FlushDB(context.Background()) })
	eventually(t, "subscribed", func() bool { return n.live.Load() })
	return c
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting: %s", what)
}

func rdbOf(c *Cache) *redis.Client { return c.be.(*near).rdb }

func getInt(c *Cache, key string) (int, bool) {
	v, ok := Get[int](context.Background(), c, key)
	if !ok {
		return 0, false
	}
	return *v, true
}

// A value read once is served from memory (a change made behind the cache's
// back is not seen) until an instance of the service invalidates it: the
// writer sees its own invalidation at once, the other instance as soon as
// the message arrives.
func TestNearMemoryUntilInvalidated(t *testing.T) {
	ctx := context.Background()
	a, b := testNear(t, "svc"), testNear(t, "svc")
	a.Fill(ctx, "k", 1)
	if v, ok := getInt(a, "k"); !ok || v != 1 {
		t.Fatalf("a: %v %v", v, ok)
	}
	if v, ok := getInt(b, "k"); !ok || v != 1 {
		t.Fatalf("b: %v %v", v, ok)
	}
	rdbOf(a).Set(ctx, "k", "2", time.Minute)
	if v, _ := getInt(a, "k"); v != 1 {
		t.Fatalf("a read Redis again: %d", v)
	}
	b.Invalidate(ctx, "k")
	if _, ok := getInt(b, "k"); ok {
		t.Fatal("the writer read its old value after its own invalidation")
	}
	eventually(t, "a drops k", func() bool { _, ok := getInt(a, "k"); return !ok })
	// Another service's channel is not this one's.
	c := testNear(t, "other")
	a.Fill(ctx, "j", 7)
	getInt(a, "j")
	c.Invalidate(ctx, "x")
	time.Sleep(50 * time.Millisecond)
	rdbOf(a).Set(ctx, "j", "8", time.Minute)
	if v, _ := getInt(a, "j"); v != 7 {
		t.Fatalf("memory dropped by another service's message: %d", v)
	}
}

// Tombstones are never kept in memory: once the tombstone expires in Redis,
// the refilled value is read.
func TestNearKeepsNoTombstone(t *testing.T) {
	ctx := context.Background()
	c := testNear(t, "svc")
	c.tomb = 50 * time.Millisecond
	c.Invalidate(ctx, "t")
	if _, ok := getInt(c, "t"); ok {
		t.Fatal("tombstone read as a value")
	}
	time.Sleep(80 * time.Millisecond)
	c.Fill(ctx, "t", 3)
	if v, ok := getInt(c, "t"); !ok || v != 3 {
		t.Fatalf("after the tombstone: %v %v", v, ok)
	}
}

// While the invalidation channel is down memory is not used (messages may be
// missed), and it is used again once the subscription is back.
func TestNearOffWhileTheChannelIsDown(t *testing.T) {
	ctx := context.Background()
	c := testNear(t, "svc")
	n := c.be.(*near)
	c.Fill(ctx, "k", 1)
	getInt(c, "k")
	n.rdb.ClientKillByFilter(ctx, "TYPE", "pubsub")
	n.rdb.Set(ctx, "k", "2", time.Minute) // a write whose message this process missed
	eventually(t, "memory cleared and resubscribed", func() bool { v, _ := getInt(c, "k"); return v == 2 && n.live.Load() })
	// The read that saw 2 may have come just before the subscription was
	// back, when nothing is kept: read once more now that it is live.
	if v, _ := getInt(c, "k"); v != 2 {
		t.Fatalf("read after resubscribing: %d", v)
	}
	n.rdb.Set(ctx, "k", "3", time.Minute)
	if v, _ := getInt(c, "k"); v != 2 {
		t.Fatalf("memory not used again after resubscribing: %d", v)
	}
}

// A value fetched before a drop is not stored after it: the fill race.
func TestNearDropOvertakesAFetch(t *testing.T) {
	ctx := context.Background()
	c := testNear(t, "svc")
	n := c.be.(*near)
	n.rdb.Set(ctx, "k", "1", time.Minute)
	n.fetched = func() { n.drop([]string{"k"}) } // the tombstone lands while the old value is in flight
	getInt(c, "k")
	n.fetched = nil
	n.rdb.Set(ctx, "k", "2", time.Minute)
	if v, _ := getInt(c, "k"); v != 2 {
		t.Fatalf("a value fetched before the drop was kept: %d", v)
	}
}
