package cache

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

type redisBackend struct{ rdb *redis.Client }

func (r redisBackend) mget(ctx context.Context, keys []string) ([]string, []bool, int, error) {
	vals, err := r.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, nil, 0, err
	}
	out, ok := make([]string, len(vals)), make([]bool, len(vals))
	for i, v := range vals {
		out[i], ok[i] = v.(string)
	}
	return out, ok, 0, nil
}

func (r redisBackend) setNX(ctx context.Context, kv map[string]string, ttl time.Duration) error {
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k, v := range kv {
			p.SetNX(ctx, k, v, ttl)
		}
		return nil
	})
	return err
}

func (r redisBackend) set(ctx context.Context, keys []string, val string, ttl time.Duration) error {
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Set(ctx, k, val, ttl)
		}
		return nil
	})
	return err
}

func (r redisBackend) close() { r.rdb.Close() }

// local is the in-process backend: the same SET NX, tombstone and expiry
// rules as Redis, on a map. Expired entries are swept as writes arrive.
type local struct {
	mu     sync.RWMutex
	m      map[string]localEntry
	writes int
}

type localEntry struct {
	val     string
	expires int64 // unix ns
}

func newLocal() *local { return &local{m: map[string]localEntry{}} }

// mget: the local backend stands in for Redis, so none of its hits is a
// near-memory one.
func (l *local) mget(_ context.Context, keys []string) ([]string, []bool, int, error) {
	now := time.Now().UnixNano()
	out, ok := make([]string, len(keys)), make([]bool, len(keys))
	l.mu.RLock()
	for i, k := range keys {
		if e, found := l.m[k]; found && e.expires > now {
			out[i], ok[i] = e.val, true
		}
	}
	l.mu.RUnlock()
	return out, ok, 0, nil
}

func (l *local) setNX(_ context.Context, kv map[string]string, ttl time.Duration) error {
	now := time.Now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, v := range kv {
		if e, found := l.m[k]; !found || e.expires <= now {
			l.m[k] = localEntry{v, now + int64(ttl)}
		}
	}
	l.sweep(now, len(kv))
	return nil
}

func (l *local) set(_ context.Context, keys []string, val string, ttl time.Duration) error {
	now := time.Now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.m[k] = localEntry{val, now + int64(ttl)}
	}
	l.sweep(now, len(keys))
	return nil
}

// sweep drops expired entries once per half a map-size worth of writes, so memory
// follows what is live at an amortised constant cost per write.
func (l *local) sweep(now int64, n int) {
	l.writes += n
	if l.writes < 1024 || l.writes < len(l.m)/2 {
		return
	}
	l.writes = 0
	for k, e := range l.m {
		if e.expires <= now {
			delete(l.m, k)
		}
	}
}

func (l *local) close() {}

// memo maps a key to its last decoded value and the text it came from.
type memo struct {
	mu sync.RWMutex
	m  map[string]memoEntry
}

type memoEntry struct {
	raw string
	val any
}

// memoMax bounds the memo; past it the memo starts over.
const memoMax = 1 << 16

// decode returns raw decoded as T, reusing the previous decoding of key when
// its text is the same.
func decode[T any](m *memo, key, raw string) (*T, error) {
	m.mu.RLock()
	e, ok := m.m[key]
	m.mu.RUnlock()
	if ok && e.raw == raw {
		if v, ok := e.val.(*T); ok {
			return v, nil
		}
	}
	v := new(T)
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.m == nil || len(m.m) >= memoMax {
		m.m = make(map[string]memoEntry)
	}
	m.m[key] = memoEntry{raw, v}
	m.mu.Unlock()
	return v, nil
}
