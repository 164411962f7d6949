package chatpush

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"tiktok/internal/config"
	"tiktok/internal/logx"
)

// Options bound a Hub.
type Options struct {
	// Subject is the prefix of the users' subjects ("" is DefaultSubject).
	Subject string
	// PerUser bounds the streams one user holds on this instance, Total
	// those of the instance; a Join past either is refused.
	PerUser, Total int
	// Buffer is how many events a stream may have waiting to be written;
	// one more ends the stream (its client reconnects and catches up by
	// polling) rather than make the NATS delivery wait for a slow reader.
	Buffer int
}

// OptionsFrom reads a hub's bounds from cfg's push: section.
func OptionsFrom(cfg *config.Config) Options {
	p := cfg.Push
	return Options{Subject: p.Subject, PerUser: p.PerUser, Total: p.Connections, Buffer: p.Buffer}
}

// flushWait bounds the round trip that confirms a new subscription.
const flushWait = 5 * time.Second

// Hub holds this gateway instance's chat streams. A user with streams open
// here has one NATS subscription to its subject, shared by its streams and
// dropped with the last of them, so NATS sends each instance only the
// messages of the users connected to it.
type Hub struct {
	nc  *nats.Conn
	opt Options

	mu     sync.Mutex
	users  map[int64]*userSub
	total  int
	closed bool

	stop chan struct{}
	done chan struct{}
}

type userSub struct {
	sub     *nats.Subscription
	streams map[*Stream]struct{}
	ready   chan struct{} // closed once the server has confirmed sub
	err     error         // the confirmation's failure; read after ready
}

// Stream is one open stream of a user: the messages to write and the hub's
// word that it has ended.
type Stream struct {
	hub    *Hub
	user   int64
	us     *userSub
	events chan Message
	ended  chan struct{}
	reason string // why it ended; set before ended closes
	gone   bool   // no longer counted; under hub.mu
}

// NewHub returns a hub on nc (nil: every Join is refused with
// ErrUnavailable). Close stops it.
func NewHub(nc *nats.Conn, opt Options) *Hub {
	if opt.Subject == "" {
		opt.Subject = DefaultSubject
	}
	opt.PerUser, opt.Total, opt.Buffer = max(opt.PerUser, 1), max(opt.Total, 1), max(opt.Buffer, 1)
	h := &Hub{nc: nc, opt: opt, users: map[int64]*userSub{}, stop: make(chan struct{}), done: make(chan struct{})}
	if nc == nil {
		close(h.done)
		return h
	}
	go h.watch()
	return h
}

// Join opens a stream for user. It returns once NATS has confirmed the
// user's subscription, so every message committed after Join returns
// reaches the stream (unless the stream ends); the caller then catches up
// on what came before by polling. Leave must follow.
func (h *Hub) Join(ctx context.Context, user int64) (*Stream, error) {
	h.mu.Lock()
	switch {
	case h.closed || h.nc == nil || !h.nc.IsConnected():
		h.mu.Unlock()
		return nil, ErrUnavailable
	case h.total >= h.opt.Total:
		h.mu.Unlock()
		return nil, ErrFull
	}
	us := h.users[user]
	if us != nil && len(us.streams) >= h.opt.PerUser {
		h.mu.Unlock()
		return nil, ErrUserBusy
	}
	if us == nil {
		us = &userSub{streams: map[*Stream]struct{}{}, ready: make(chan struct{})}
		sub, err := h.nc.Subscribe(Subject(h.opt.Subject, user), func(m *nats.Msg) { h.deliver(user, m) })
		if err != nil {
			h.mu.Unlock()
			return nil, ErrUnavailable
		}
		us.sub = sub
		h.users[user] = us
		go h.confirm(user, us)
	}
	s := &Stream{hub: h, user: user, us: us, events: make(chan Message, h.opt.Buffer), ended: make(chan struct{})}
	us.streams[s] = struct{}{}
	h.total++
	h.mu.Unlock()

	select {
	case <-us.ready:
		if us.err != nil {
			s.Leave()
			return nil, ErrUnavailable
		}
		return s, nil
	case <-ctx.Done():
		s.Leave()
		return nil, ctx.Err()
	}
}

// confirm waits for the server to acknowledge us's subscription (a
// round trip after the SUB); until then a message might miss it.
func (h *Hub) confirm(user int64, us *userSub) {
	us.err = h.nc.FlushTimeout(flushWait)
	if us.err != nil {
		// The next Join starts afresh instead of sharing a doubtful one.
		h.mu.Lock()
		if h.users[user] == us {
			delete(h.users, user)
			_ = us.sub.Unsubscribe()
		}
		h.mu.Unlock()
	}
	close(us.ready)
}

// deliver hands a message from NATS to the user's streams without ever
// waiting: a stream whose buffer is full ends instead.
func (h *Hub) deliver(user int64, m *nats.Msg) {
	var msg Message
	if err := json.Unmarshal(m.Data, &msg); err != nil || msg.ToUserID != user || msg.ID <= 0 {
		logx.L().Warn("chat push: malformed event dropped", zap.String("subject", m.Subject))
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	us := h.users[user]
	if us == nil || us.sub != m.Sub {
		return // a subscription on its way out
	}
	for s := range us.streams {
		select {
		case s.events <- msg:
		default:
			h.end(s, "slow reader")
		}
	}
}

// end removes s from the hub and tells its writer why; the last stream of
// a user takes its subscription with it. Under h.mu.
func (h *Hub) end(s *Stream, reason string) {
	if s.gone {
		return
	}
	s.gone, s.reason = true, reason
	close(s.ended)
	h.total--
	delete(s.us.streams, s)
	if len(s.us.streams) == 0 && h.users[s.user] == s.us {
		delete(h.users, s.user)
		_ = s.us.sub.Unsubscribe()
	}
}

// endAll ends every stream, for reason.
func (h *Hub) endAll(reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, us := range h.users {
		for s := range us.streams {
			h.end(s, reason)
		}
	}
}

// watch ends every stream when the link to NATS drops or has been
// re-established: core NATS does not replay what was published meanwhile,
// so those streams may have missed messages, and their clients must catch
// up by polling (which they do when a stream ends and again when the next
// starts). New streams are refused while the link is down.
func (h *Hub) watch() {
	defer close(h.done)
	changed := h.nc.StatusChanged()
	defer h.nc.RemoveStatusListener(changed)
	// The listener is best effort (nats.go drops a change nobody was
	// waiting for); the tick makes sure none goes unnoticed for long.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	seen := h.nc.Stats().Reconnects
	for {
		select {
		case <-h.stop:
			return
		case <-changed:
		case <-tick.C:
		}
		n := h.nc.Stats().Reconnects
		if n != seen || !h.nc.IsConnected() {
			seen = n
			h.endAll("push link lost")
		}
	}
}

// Streams is how many streams the hub holds.
func (h *Hub) Streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

// Close ends every stream and refuses new ones.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	h.endAll("server shutting down")
	close(h.stop)
	<-h.done
}

// Events are the stream's messages, in the order NATS delivered them.
func (s *Stream) Events() <-chan Message { return s.events }

// Ended is closed when the hub ends the stream (Reason says why).
func (s *Stream) Ended() <-chan struct{} { return s.ended }

// Reason is why the hub ended the stream; valid once Ended is closed.
func (s *Stream) Reason() string {
	<-s.ended
	return s.reason
}

// Leave gives the stream up (its writer is done). Safe to call again.
func (s *Stream) Leave() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.end(s, "left")
}
