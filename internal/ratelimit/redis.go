package ratelimit

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"tiktok/internal/logx"
)

// Redis keeps every budget in Redis (redis_rate's GCRA script, run
// atomically with Redis's clock), so all gateway instances share it.
type Redis struct {
	rdb *redis.Client
	rl  *redis_rate.Limiter
	// local decides while Redis is unreachable: each instance then limits on
	// its own, which still bounds an attacker, instead of not at all.
	local     *Memory
	downUntil atomic.Int64 // unix ns
}

// keyPrefix namespaces the limiter's keys (redis_rate adds "rate:").
const keyPrefix = "tiktok:"

// NewRedis connects lazily to addr; timeout bounds each call.
func NewRedis(addr string, db int, timeout time.Duration) *Redis {
	if timeout <= 0 {
		timeout = 100 * time.Millisecond
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db, MaxRetries: -1,
		DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout, PoolTimeout: timeout})
	return &Redis{rdb: rdb, rl: redis_rate.NewLimiter(rdb), local: NewMemory()}
}

// Close releases the connections.
func (r *Redis) Close() error { return r.rdb.Close() }

// downFor is how long a failed call sends decisions to memory before Redis
// is tried again: a dead Redis costs one timeout a second, not one a request.
const downFor = time.Second

// AllowN: see Limiter. A refund (n < 0) that would bring the budget back
// past full is not stored by redis_rate's script, so the key keeps the
// reservation until it expires, at most one interval: a successful login
// can leave one failure counted for that long, never fewer counted.
func (r *Redis) AllowN(ctx context.Context, key string, l Limit, n int) Result {
	if l.Off() || n == 0 {
		return allowed
	}
	if time.Now().UnixNano() < r.downUntil.Load() {
		return r.local.AllowN(ctx, key, l, n)
	}
	res, err := r.rl.AllowN(ctx, keyPrefix+key, redis_rate.Limit{Rate: l.Rate, Period: l.Per, Burst: l.burst()}, n)
	if err != nil {
		if r.downUntil.Swap(time.Now().Add(downFor).UnixNano()) < time.Now().UnixNano() {
			logx.Ctx(ctx).Warn("rate limits: redis unavailable, limiting in this process for a second", zap.Error(err))
		}
		return r.local.AllowN(ctx, key, l, n)
	}
	if n < 0 || res.Allowed > 0 {
		return allowed
	}
	return Result{RetryAfter: res.RetryAfter}
}
