// Package cache is the Redis read cache of the services' hot lookups. It is
// strictly optional: with Redis down every call falls through to the
// database and the request still succeeds; with no Redis configured the
// cache is either not used at all or, in the one-process mode (Options.Local),
// kept in this process's memory by the same rules.
//
// Consistency: a write replaces the keys it affects by short-lived
// tombstones, and fills use SET NX, so a reader that loaded the old value just
// before the write cannot put it back; the writer's next read goes to the
// database. Entries also expire (TTL), which bounds staleness should an
// invalidation be lost while Redis was unreachable.
package cache

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"tiktok/internal/logx"
	"tiktok/internal/metrics"
)

const tombstone = "\x00"

type Cache struct {
	be   backend
	ttl  time.Duration
	tomb time.Duration
	// downUntil: after a Redis error, calls skip Redis until this time
	// (unix ns), so a dead Redis costs one timeout a second, not one a call.
	downUntil atomic.Int64
	owed      atomic.Bool
	// timeouts counts the Redis timeouts of the second timeoutSec.
	timeouts   atomic.Int32
	timeoutSec atomic.Int64
	// memo keeps the decoded form of values read, keyed by their stored text:
	// a hot key (the newest videos, a comment list) is decoded once, not on
	// every read, and a changed value is simply a different text.
	memo memo
	// pending holds invalidations that failed (Redis unreachable). No read
	// uses Redis again until they are written, so a lost invalidation cannot
	// leave this process reading a value older than its own write.
	pendingMu sync.Mutex
	pending   map[string]struct{}
	// Hits and Misses count lookups, for tests and tuning.
	Hits, Misses atomic.Int64
	// met are this cache's metric series, looked up once in newCache so a
	// call costs no search of the label map.
	met cacheMetrics
	// circuitOpen mirrors tiktok_cache_circuit_open; circuitMu orders its
	// transitions, so racing ones leave it matching downUntil.
	circuitMu   sync.Mutex
	circuitOpen bool
}

// cacheMetrics are the series of one cache (label cache = Options.Service).
type cacheMetrics struct {
	nearHits, hits, misses, fills, invalidations prometheus.Counter
	circuit                                      prometheus.Gauge
}

func newCacheMetrics(name string) cacheMetrics {
	m := cacheMetrics{
		nearHits:      metrics.CacheHits.WithLabelValues(name, "near"),
		hits:          metrics.CacheHits.WithLabelValues(name, "redis"),
		misses:        metrics.CacheMisses.WithLabelValues(name),
		fills:         metrics.CacheFills.WithLabelValues(name),
		invalidations: metrics.CacheInvalidations.WithLabelValues(name),
		circuit:       metrics.CacheCircuitOpen.WithLabelValues(name),
	}
	m.circuit.Set(0)
	return m
}

// newCache is a cache on be, its series labelled name.
func newCache(be backend, name string, ttl time.Duration) *Cache {
	return &Cache{be: be, ttl: ttl, tomb: 2 * time.Second, met: newCacheMetrics(name)}
}

// backend stores the text values: Redis in production, a map in this
// process in the embedded mode (which is one process, so its invalidations
// reach every reader).
type backend interface {
	// mget returns each key's value, ok[i] false when absent; mem is how
	// many of the found were served from this process's near memory.
	mget(ctx context.Context, keys []string) (vals []string, ok []bool, mem int, err error)
	// setNX stores the values of keys that hold nothing.
	setNX(ctx context.Context, kv map[string]string, ttl time.Duration) error
	// set stores val under every key.
	set(ctx context.Context, keys []string, val string, ttl time.Duration) error
	close()
}

type Options struct {
	Addr     string
	DB       int
	TTL      time.Duration
	Timeout  time.Duration
	PoolSize int
	// Local: with no Addr, cache in this process instead of not at all.
	Local bool
	// Service names the service that owns this cache, and so its Redis
	// invalidation channel, InvalidationChannel(Service). With Addr, Service
	// and NearTTL > 0, values read are also kept in this process's memory for
	// up to NearTTL, and invalidations are published on that channel so that
	// every instance of the service drops them (see near).
	Service string
	NearTTL time.Duration
}

// New connects lazily. With no addr it returns an in-process cache when
// o.Local is set, else nil (a valid, always-missing cache).
func New(o Options) *Cache {
	if o.TTL <= 0 {
		o.TTL = 30 * time.Second
	}
	if o.Addr == "" {
		if !o.Local {
			return nil
		}
		return newCache(newLocal(), o.Service, o.TTL)
	}
	if o.Timeout <= 0 {
		o.Timeout = 100 * time.Millisecond
	}
	rdb := redis.NewClient(&redis.Options{
		Addr: o.Addr, DB: o.DB, PoolSize: o.PoolSize, MaxRetries: -1,
		DialTimeout: o.Timeout, ReadTimeout: o.Timeout, WriteTimeout: o.Timeout, PoolTimeout: o.Timeout,
	})
	rdb.AddHook(traceHook{})
	var be backend = redisBackend{rdb}
	if o.Service != "" && o.NearTTL > 0 {
		be = newNear(redisBackend{rdb}, InvalidationChannel(o.Service), o.NearTTL,
			metrics.CacheNearEntries.WithLabelValues(o.Service))
	}
	return newCache(be, o.Service, o.TTL)
}

// usable says whether to use the backend now: it is not in its pause after
// an error, and no failed invalidation is still owed.
func (c *Cache) usable() bool {
	if c == nil || time.Now().UnixNano() < c.downUntil.Load() {
		return false
	}
	if c.owed.Load() {
		return c.replay()
	}
	return true
}

// replay writes the owed invalidations; true once none is left.
func (c *Cache) replay() bool {
	c.pendingMu.Lock()
	defer c.pendingMu.Unlock()
	if len(c.pending) == 0 {
		return true
	}
	keys := make([]string, 0, len(c.pending))
	for k := range c.pending {
		keys = append(keys, k)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.be.set(ctx, keys, tombstone, c.tomb); err != nil {
		c.failed(ctx, err)
		return false
	}
	clear(c.pending)
	c.owed.Store(false)
	logx.L().Info("redis back, owed invalidations written", zap.Int("keys", len(keys)))
	return true
}

// failed pauses the use of Redis for a second after an error. A timeout
// alone does not: on a saturated machine a call can outlast the bound now
// and then, and sending every read to the database for a second then made
// the overload worse (a benchmark run fell to half its rate). Timeouts pause
// it from the third within a second.
func (c *Cache) failed(ctx context.Context, err error) {
	if err == nil || errors.Is(err, redis.Nil) {
		return
	}
	if isTimeout(err) {
		sec := time.Now().Unix()
		if c.timeoutSec.Swap(sec) != sec {
			c.timeouts.Store(0)
		}
		if c.timeouts.Add(1) < 3 {
			return
		}
	}
	if c.downUntil.Swap(time.Now().Add(time.Second).UnixNano()) < time.Now().UnixNano() {
		logx.Ctx(ctx).Warn("redis unavailable, using the database alone for a second", zap.Error(err))
	}
	c.openCircuit()
}

// openCircuit shows the circuit open until downUntil passes. A timer, not
// the next call, closes it, so an idle cache does not keep showing 1.
func (c *Cache) openCircuit() {
	c.circuitMu.Lock()
	defer c.circuitMu.Unlock()
	if c.circuitOpen {
		return // its timer is pending, and follows downUntil
	}
	c.circuitOpen = true
	c.met.circuit.Set(1)
	c.closeCircuitLater()
}

// closeCircuitLater runs closeCircuit once downUntil passes; circuitMu held.
func (c *Cache) closeCircuitLater() {
	time.AfterFunc(max(time.Duration(c.downUntil.Load()-time.Now().UnixNano()), 0), c.closeCircuit)
}

func (c *Cache) closeCircuit() {
	c.circuitMu.Lock()
	defer c.circuitMu.Unlock()
	if time.Now().UnixNano() < c.downUntil.Load() {
		c.closeCircuitLater() // another error extended the pause
		return
	}
	c.circuitOpen = false
	c.met.circuit.Set(0)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Close releases the connections.
func (c *Cache) Close() {
	if c != nil {
		c.be.close()
	}
}

// getMany returns the live values of keys; missing and tombstoned keys are
// absent. mem is how many came from the near memory.
func (c *Cache) getMany(ctx context.Context, keys []string) (_ map[string]string, mem int) {
	if !c.usable() || len(keys) == 0 {
		return nil, 0
	}
	vals, ok, mem, err := c.be.mget(ctx, keys)
	if err != nil {
		c.failed(ctx, err)
		return nil, 0
	}
	out := make(map[string]string, len(keys))
	for i, v := range vals {
		if ok[i] && v != tombstone {
			out[keys[i]] = v
		}
	}
	return out, mem
}

// counted records a lookup: hits found (mem of them in the near memory),
// misses to be read from the database. Once per lookup, not per key.
func (c *Cache) counted(hits, mem, misses int) {
	c.Hits.Add(int64(hits))
	c.Misses.Add(int64(misses))
	// A value from memory that fails to decode is a miss: mem may exceed hits.
	mem = min(mem, hits)
	if mem > 0 {
		c.met.nearHits.Add(float64(mem))
	}
	if hits > mem {
		c.met.hits.Add(float64(hits - mem))
	}
	if misses > 0 {
		c.met.misses.Add(float64(misses))
	}
}

// setMany fills keys that hold nothing (a tombstone is something). Lifetimes
// are spread over ttl..1.25*ttl, so keys filled together (a page's) do not
// all expire, and reload, at once.
func (c *Cache) setMany(ctx context.Context, kv map[string]string) {
	if !c.usable() || len(kv) == 0 {
		return
	}
	ttl := c.ttl + time.Duration(rand.Int64N(int64(c.ttl)/4+1))
	if err := c.be.setNX(ctx, kv, ttl); err != nil {
		c.failed(ctx, err)
		return
	}
	// Keys sent: one a tombstone holds is counted, though SET NX left it.
	c.met.fills.Add(float64(len(kv)))
}

// Invalidate replaces keys by tombstones. Call it after the write committed.
// Keys it cannot reach Redis for are owed, and written before Redis is read
// again.
func (c *Cache) Invalidate(ctx context.Context, keys ...string) {
	if c == nil || len(keys) == 0 {
		return
	}
	c.met.invalidations.Add(float64(len(keys)))
	if c.usable() {
		err := c.be.set(ctx, keys, tombstone, c.tomb)
		if err == nil {
			return
		}
		c.failed(ctx, err)
	}
	c.pendingMu.Lock()
	if c.pending == nil {
		c.pending = make(map[string]struct{})
	}
	for _, k := range keys {
		c.pending[k] = struct{}{}
	}
	c.owed.Store(true)
	c.pendingMu.Unlock()
}

// Key joins a prefix and ids into a cache key.
func Key(prefix string, ids ...int64) string {
	b := []byte(prefix)
	for _, id := range ids {
		b = append(b, ':')
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}

// Batch returns values for ids from the cache, loading the misses with load in
// one call and caching them. Ids that load leaves out are cached as absent.
func Batch[T any](ctx context.Context, c *Cache, prefix string, ids []int64,
	load func(context.Context, []int64) (map[int64]T, error)) (map[int64]T, error) {
	if c == nil {
		return load(ctx, ids)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = Key(prefix, id)
	}
	cached, mem := c.getMany(ctx, keys)
	out := make(map[int64]T, len(ids))
	var missing []int64
	for i, id := range ids {
		s, ok := cached[keys[i]]
		if !ok {
			missing = append(missing, id)
			continue
		}
		if s == "null" {
			continue
		}
		v, err := decode[T](&c.memo, keys[i], s)
		if err != nil {
			missing = append(missing, id)
			continue
		}
		out[id] = *v
	}
	c.counted(len(ids)-len(missing), mem, len(missing))
	if len(missing) == 0 {
		return out, nil
	}
	loaded, err := load(ctx, missing)
	if err != nil {
		return nil, err
	}
	fill := make(map[string]string, len(missing))
	for _, id := range missing {
		v, ok := loaded[id]
		if !ok {
			fill[Key(prefix, id)] = "null"
			continue
		}
		out[id] = v
		if b, err := json.Marshal(v); err == nil {
			fill[Key(prefix, id)] = string(b)
		}
	}
	c.setMany(ctx, fill)
	return out, nil
}

// Group is one kind of number looked up for a list of ids: the cache keys are
// Prefix:id, misses are loaded with Load (one query), results land in Out.
type Group struct {
	Prefix string
	IDs    []int64
	Load   func(context.Context, []int64) (map[int64]int64, error)
	Out    map[int64]int64
}

// Numbers fills every group's Out with one MGET for all of their keys and one
// load per group for the misses, so a page's counters and flags cost one
// Redis round trip, not one per kind. Load must answer every id it is given
// (zero is an answer and is cached as one).
func Numbers(ctx context.Context, c *Cache, groups ...*Group) error {
	var keys []string
	for _, g := range groups {
		if g.Out == nil {
			g.Out = make(map[int64]int64, len(g.IDs))
		}
		for _, id := range g.IDs {
			keys = append(keys, Key(g.Prefix, id))
		}
	}
	var cached map[string]string
	var mem int
	if c != nil {
		cached, mem = c.getMany(ctx, keys)
	}
	// Every group's misses first, so that the lookup is counted once.
	missed := make([][]int64, len(groups))
	var misses, k int
	for gi, g := range groups {
		for _, id := range g.IDs {
			s, ok := cached[keys[k]] // keys holds the groups' ids in this order
			k++
			if !ok {
				missed[gi] = append(missed[gi], id)
				continue
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				missed[gi] = append(missed[gi], id)
				continue
			}
			g.Out[id] = n
		}
		misses += len(missed[gi])
	}
	if c != nil {
		c.counted(len(keys)-misses, mem, misses)
	}
	fill := map[string]string{}
	for gi, g := range groups {
		missing := missed[gi]
		if len(missing) == 0 {
			continue
		}
		loaded, err := g.Load(ctx, missing)
		if err != nil {
			return err
		}
		for _, id := range missing {
			g.Out[id] = loaded[id]
			fill[Key(g.Prefix, id)] = strconv.FormatInt(loaded[id], 10)
		}
	}
	if c != nil {
		c.setMany(ctx, fill)
	}
	return nil
}

// Get returns the live value of key (JSON), decoded; false on a miss, a
// tombstone or any Redis trouble. The value may be shared with other readers
// of the same key: never modify it.
func Get[T any](ctx context.Context, c *Cache, key string) (*T, bool) {
	if c == nil {
		return nil, false
	}
	got, mem := c.getMany(ctx, []string{key})
	s, ok := got[key]
	if !ok {
		c.counted(0, 0, 1)
		return nil, false
	}
	v, err := decode[T](&c.memo, key, s)
	if err != nil {
		c.counted(0, 0, 1) // the caller reads the database
		return nil, false
	}
	c.counted(1, mem, 0)
	return v, true
}

// Fill stores v (JSON) under key unless the key holds something, a tombstone
// included.
func (c *Cache) Fill(ctx context.Context, key string, v any) {
	if c == nil {
		return
	}
	if b, err := json.Marshal(v); err == nil {
		c.setMany(ctx, map[string]string{key: string(b)})
	}
}
