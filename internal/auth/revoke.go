package auth

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"tiktok/internal/logx"
)

// Revocations are shared between gateway instances through Redis: a sorted
// set holds every revoked token id scored by its expiry, so each entry lives
// as long as its token would have (expired entries are dropped by every write
// and ignored by every read), and a channel announces each new one. An instance loads the set each time its
// subscription is confirmed (at start and after every reconnect, so what was
// announced while it was away is not missed) and adds what the channel says
// to its own revoked set, which it keeps whatever happens to Redis.
const (
	RevokedKey     = "tiktok:revoked"
	RevokedChannel = "tiktok:revoke"
)

type redisRevocations struct {
	t      *Tokens
	rdb    *redis.Client
	ps     *redis.PubSub
	cancel context.CancelFunc
	done   chan struct{}
	// loaded is closed once the set has first been loaded.
	loaded     chan struct{}
	loadedOnce sync.Once

	// pending are revocations made here that Redis has not taken yet
	// (it was down); they are written again until it does.
	mu      sync.Mutex
	pending []revocation
}

type revocation struct {
	jti     string
	expires int64 // unix s
}

// ShareRevocations makes t share revocations with every process using the
// same Redis: it loads the revocations made before, follows new ones, and
// writes its own there. It returns once the revocations are loaded (so a
// gateway starting never accepts a token logged out earlier), or after
// loadWait if Redis does not answer: the load then happens when it does.
// Close stops it.
func (t *Tokens) ShareRevocations(addr string, db int, timeout time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db, DialTimeout: timeout, ReadTimeout: timeout,
		WriteTimeout: timeout, PoolSize: 4, MaxRetries: -1})
	r := &redisRevocations{t: t, rdb: rdb, cancel: cancel, done: make(chan struct{}), loaded: make(chan struct{})}
	r.ps = rdb.Subscribe(ctx, RevokedChannel)
	t.shared = r
	go r.listen(ctx)
	select {
	case <-r.loaded:
	case <-time.After(loadWait):
		logx.L().Warn("revocations not loaded from Redis yet; continuing, they load when it answers")
	}
}

// loadWait bounds how long a start waits for Redis.
const loadWait = 3 * time.Second

// Close stops sharing revocations (the ones known stay in force here).
func (t *Tokens) Close() {
	if r := t.shared; r != nil {
		r.cancel()
		r.ps.Close() // ends a receive in progress
		<-r.done
		r.rdb.Close()
	}
}

// publish writes a revocation made here; if Redis cannot take it now, it is
// kept and written when Redis answers again.
func (r *redisRevocations) publish(ctx context.Context, jti string, expires int64) {
	rv := revocation{jti, expires}
	if err := r.write(ctx, []revocation{rv}); err != nil {
		logx.Ctx(ctx).Warn("revocation not yet shared; retrying while Redis is away", zap.Error(err))
		r.mu.Lock()
		r.pending = append(r.pending, rv)
		r.mu.Unlock()
	}
}

// write adds revocations to the set, drops its expired entries and announces
// the new ones, in one transaction.
func (r *redisRevocations) write(ctx context.Context, rs []revocation) error {
	now := time.Now()
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, rv := range rs {
			p.ZAdd(ctx, RevokedKey, redis.Z{Score: float64(rv.expires), Member: rv.jti})
		}
		p.ZRemRangeByScore(ctx, RevokedKey, "-inf", strconv.FormatInt(now.Unix(), 10))
		for _, rv := range rs {
			p.Publish(ctx, RevokedChannel, rv.jti+" "+strconv.FormatInt(rv.expires, 10))
		}
		return nil
	})
	return err
}

// flush writes the pending revocations.
func (r *redisRevocations) flush(ctx context.Context) {
	r.mu.Lock()
	rs := r.pending
	r.pending = nil
	r.mu.Unlock()
	if len(rs) == 0 {
		return
	}
	if err := r.write(ctx, rs); err != nil {
		r.mu.Lock()
		r.pending = append(rs, r.pending...)
		r.mu.Unlock()
	}
}

// load adds every revocation in Redis to this process's set.
func (r *redisRevocations) load(ctx context.Context) error {
	zs, err := r.rdb.ZRangeByScoreWithScores(ctx, RevokedKey,
		&redis.ZRangeBy{Min: "(" + strconv.FormatInt(time.Now().Unix(), 10), Max: "+inf"}).Result()
	if err != nil {
		return err
	}
	for _, z := range zs {
		if jti, ok := z.Member.(string); ok {
			r.t.revokeLocal(jti, int64(z.Score))
		}
	}
	return nil
}

// listen follows the channel: a subscription confirmation (also after a
// reconnect) writes what is pending and loads the set; a message is a
// revocation. Quiet spells retry what is pending and check the connection.
func (r *redisRevocations) listen(ctx context.Context) {
	defer close(r.done)
	live, loaded := false, false
	catchUp := func() {
		r.flush(ctx)
		if err := r.load(ctx); err != nil {
			logx.L().Warn("revocations not loaded; retrying", zap.Error(err))
			return
		}
		loaded = true
		r.loadedOnce.Do(func() { close(r.loaded) })
	}
	for ctx.Err() == nil {
		msg, err := r.ps.ReceiveTimeout(ctx, 5*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if r.ps.Ping(ctx) == nil {
					r.flush(ctx)
					if !loaded {
						catchUp()
					}
					continue
				}
			}
			if live {
				logx.L().Warn("revocation channel lost; logouts on other gateways reach this one once it is back", zap.Error(err))
			}
			live, loaded = false, false
			// Receive reconnects and resubscribes; do not spin while Redis is away.
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				live = true
				catchUp()
			}
		case *redis.Message:
			jti, exp, ok := strings.Cut(m.Payload, " ")
			if n, err := strconv.ParseInt(exp, 10, 64); ok && err == nil {
				r.t.revokeLocal(jti, n)
			}
		}
	}
}
