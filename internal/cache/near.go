package cache

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"tiktok/internal/logx"
)

// near keeps the values this process read from Redis in its own memory, so a
// hot key costs no Redis round trip (on a feed page those round trips were a
// third of the machine's CPU: Redis itself and every service's client side).
//
// Every invalidation is published on the service's channel right after its
// tombstones are written, and every process of the service, the writer
// included, drops those keys when the message arrives; the writer also drops
// them itself before and after writing the tombstones, so its own next read
// cannot see the old value. Memory is used only while the subscription is
// live: when it drops (Redis restarting, say), memory is cleared and reads go
// to Redis until it is back, since messages may have been missed meanwhile.
// Entries also expire after nearTTL, a bound on any gap this reasoning misses.
//
// The fill race: a reader that fetched a value from Redis just before a
// tombstone replaced it must not store it after the drop. Every drop bumps
// gen under the lock, and a reader stores only if gen has not moved since
// before its fetch, checked under the same lock.
type near struct {
	redisBackend
	channel string
	ttl     time.Duration

	mu  sync.RWMutex
	m   map[string]localEntry
	gen uint64 // guarded by mu
	// entries shows len(m), set under mu on every change.
	entries prometheus.Gauge

	live   atomic.Bool
	ps     *redis.PubSub
	cancel context.CancelFunc
	// fetched, in tests, runs between a Redis read and its storing.
	fetched func()
	done    chan struct{}
}

// nearMax bounds the entries; past it memory starts over.
const nearMax = 200_000

// InvalidationChannel is the Redis channel of a service's invalidations.
func InvalidationChannel(service string) string { return "tiktok:invalidate:" + service }

func newNear(r redisBackend, channel string, ttl time.Duration, entries prometheus.Gauge) *near {
	ctx, cancel := context.WithCancel(context.Background())
	n := &near{redisBackend: r, channel: channel, ttl: ttl, m: map[string]localEntry{}, cancel: cancel,
		done: make(chan struct{}), entries: entries}
	entries.Set(0)
	n.ps = r.rdb.Subscribe(ctx, channel)
	go n.listen(ctx)
	return n
}

// listen follows the channel: a subscription confirmation (also after a
// reconnect) makes memory usable, an error makes it unusable, a message drops
// its keys. Quiet spells are checked with a ping.
func (n *near) listen(ctx context.Context) {
	defer close(n.done)
	ps := n.ps
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, 15*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if isTimeout(err) {
				if perr := ps.Ping(ctx); perr == nil {
					continue
				}
			}
			if n.live.Swap(false) {
				logx.L().Warn("cache invalidation channel lost, reading Redis only", zap.Error(err))
			}
			n.dropAll()
			// Receive reconnects and resubscribes; do not spin while Redis is away.
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				n.dropAll()
				n.live.Store(true)
			}
		case *redis.Message:
			n.drop(strings.Split(m.Payload, "\n"))
		}
	}
}

func (n *near) drop(keys []string) {
	n.mu.Lock()
	for _, k := range keys {
		delete(n.m, k)
	}
	n.gen++
	n.entries.Set(float64(len(n.m)))
	n.mu.Unlock()
}

func (n *near) dropAll() {
	n.mu.Lock()
	clear(n.m)
	n.gen++
	n.entries.Set(0)
	n.mu.Unlock()
}

func (n *near) mget(ctx context.Context, keys []string) ([]string, []bool, int, error) {
	if !n.live.Load() {
		return n.redisBackend.mget(ctx, keys)
	}
	now := time.Now().UnixNano()
	out, ok := make([]string, len(keys)), make([]bool, len(keys))
	var missing []int
	n.mu.RLock()
	gen := n.gen
	for i, k := range keys {
		if e, found := n.m[k]; found && e.expires > now {
			out[i], ok[i] = e.val, true
		} else {
			missing = append(missing, i)
		}
	}
	n.mu.RUnlock()
	mem := len(keys) - len(missing)
	if len(missing) == 0 {
		return out, ok, mem, nil
	}
	ask := make([]string, len(missing))
	for j, i := range missing {
		ask[j] = keys[i]
	}
	vals, got, _, err := n.redisBackend.mget(ctx, ask)
	if err != nil {
		return nil, nil, 0, err
	}
	if n.fetched != nil {
		n.fetched()
	}
	n.mu.Lock()
	// Store only what no drop can have overtaken, and never a tombstone
	// (it is short-lived in Redis and would hide the refilled value here).
	if n.gen == gen && n.live.Load() {
		if len(n.m)+len(ask) > nearMax {
			clear(n.m)
		}
		for j, k := range ask {
			if got[j] && vals[j] != tombstone {
				n.m[k] = localEntry{vals[j], now + int64(n.ttl)}
			}
		}
		n.entries.Set(float64(len(n.m)))
	}
	n.mu.Unlock()
	for j, i := range missing {
		out[i], ok[i] = vals[j], got[j]
	}
	return out, ok, mem, nil
}

// set writes the tombstones and publishes the keys, in that order in one
// round trip, dropping them here before and after.
func (n *near) set(ctx context.Context, keys []string, val string, ttl time.Duration) error {
	n.drop(keys)
	_, err := n.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Set(ctx, k, val, ttl)
		}
		p.Publish(ctx, n.channel, strings.Join(keys, "\n"))
		return nil
	})
	n.drop(keys)
	return err
}

func (n *near) close() {
	n.cancel()
	n.ps.Close() // ends a receive in progress
	<-n.done
	n.dropAll() // the memory goes with the cache (and its gauge to 0)
	n.redisBackend.close()
}
