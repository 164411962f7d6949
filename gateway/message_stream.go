package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/nats-io/nats.go"

	"tiktok/domain/chatpush"
	"tiktok/internal/auth"
	"tiktok/internal/errno"
	"tiktok/internal/metrics"
)

// StreamChats lets the gateway stream chats: it subscribes on nc to the
// messages of the users with a stream open here. Without it the stream
// endpoint answers 10010 and clients poll. Close ends the streams.
func (g *Gateway) StreamChats(nc *nats.Conn) {
	g.chats = chatpush.NewHub(nc, chatpush.OptionsFrom(g.cfg))
}

// Close ends the open chat streams (their clients poll, then reconnect to
// another instance): without it a server's graceful shutdown would wait on
// streams that never go idle. Register it with http.Server.RegisterOnShutdown.
func (g *Gateway) Close() {
	if g.chats != nil {
		g.chats.Close()
	}
}

// Retry-After of a refused stream: a user's slot frees when one of its tabs
// closes, the instance's when anyone's does.
const (
	retryUserBusy = 30
	retryFull     = 10
)

// messageStream is GET /douyin/message/stream/ (beyond the app's contract;
// docs/ARCHITECTURE.md, Chat push): the viewer's incoming messages as
// Server-Sent Events, as they are sent. A refusal is the usual JSON reply
// (10001 for a token in the URL, 10002, 10008 past a bound, 10010 without
// NATS); success is text/event-stream:
//
//	event: ready      the stream is live: poll once now, then rely on it;
//	                  data: {"heartbeat_ms": the heartbeat's period}
//	event: message    id: the message's create_time, data: the API's Message
//	event: end        data: {"reason": ...}; the client polls and reconnects
//	: ping            a heartbeat every push.heartbeat
//
// Nothing is replayed (Last-Event-ID is not read): a client catches up
// through the chat's polling path, whose cursor the ids are.
func (g *Gateway) messageStream(c *gin.Context) {
	s, token, err := g.openStream(c)
	if err != nil {
		reply(c, &Status{}, err)
		return
	}
	defer s.Leave()
	metrics.ChatStreams.Inc()
	defer metrics.ChatStreams.Dec()
	g.writeStream(c, s, token)
}

// openStream authenticates the viewer and joins the hub.
func (g *Gateway) openStream(c *gin.Context) (*chatpush.Stream, string, error) {
	if _, ok := c.GetQuery("token"); ok {
		// An EventSource cannot send headers, which is how a token ends up
		// in a URL, and so in access logs and history: refused outright.
		return nil, "", errno.BadParam("send the token in the Authorization header, not in the URL")
	}
	viewer, err := g.requireViewer(c)
	if err != nil {
		return nil, "", err
	}
	if g.chats == nil {
		return nil, "", errno.New(errno.CodeServiceUnavailable, "chat push unavailable, poll instead")
	}
	s, err := g.chats.Join(c.Request.Context(), viewer)
	switch {
	case err == nil:
		return s, outerToken(c), nil
	case errors.Is(err, chatpush.ErrUserBusy):
		metrics.RateLimitRefusals.WithLabelValues("push_per_user").Inc()
		c.Header("Retry-After", strconv.Itoa(retryUserBusy))
		return nil, "", errno.New(errno.CodeRateLimited, "too many chat streams open, poll instead")
	case errors.Is(err, chatpush.ErrFull):
		metrics.RateLimitRefusals.WithLabelValues("push_connections").Inc()
		c.Header("Retry-After", strconv.Itoa(retryFull))
		return nil, "", errno.New(errno.CodeRateLimited, "too many chat streams open, poll instead")
	default:
		return nil, "", errno.New(errno.CodeServiceUnavailable, "chat push unavailable, poll instead")
	}
}

// writeStream writes s's events until the stream ends, the client leaves,
// its token stops being valid or the stream reaches push.max_age.
func (g *Gateway) writeStream(c *gin.Context, s *chatpush.Stream, token string) {
	p := g.cfg.Push
	heartbeat, maxAge := p.Heartbeat, p.MaxAge
	if heartbeat <= 0 {
		heartbeat = 15 * time.Second
	}
	if maxAge <= 0 {
		maxAge = 10 * time.Minute
	}
	w := c.Writer
	rc := http.NewResponseController(w)
	// Each write gets its own deadline: the server's write_timeout counts
	// from the request and would cut every stream after 30 s. (Reading has
	// no deadline already: net/http clears it once a bodiless request is in.)
	send := func(ev string) bool {
		var d time.Time
		if p.WriteTimeout > 0 {
			d = time.Now().Add(p.WriteTimeout)
		}
		_ = rc.SetWriteDeadline(d)
		if _, err := io.WriteString(w, ev); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	end := func(reason string) {
		data, _ := json.Marshal(map[string]string{"reason": reason})
		send("event: end\ndata: " + string(data) + "\n\n")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // a proxy passes each event on at once
	w.WriteHeader(http.StatusOK)
	// retry: an EventSource's wait before reconnecting, as the chat's poll;
	// heartbeat_ms: how long a client may hear nothing before it gives the
	// stream up (twice that, with a margin).
	if !send(fmt.Sprintf("retry: 2000\nevent: ready\ndata: {\"heartbeat_ms\":%d}\n\n", heartbeat.Milliseconds())) {
		return
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	age := time.NewTimer(maxAge)
	defer age.Stop()
	ctx := c.Request.Context()
	for {
		select {
		case m := <-s.Events():
			// JSON never holds a raw line break, which would end the field.
			data, _ := json.Marshal(m)
			if !send(fmt.Sprintf("id: %d\nevent: message\ndata: %s\n\n", m.CreateTime, data)) {
				return
			}
		case <-s.Ended():
			end(s.Reason())
			return
		case <-age.C:
			end("max age")
			return
		case <-beat.C:
			// Logged out or expired since: the stream ends with the token.
			// A check that cannot be made (the user service down) is not a
			// refusal; the next beat asks again.
			if _, err := g.tokens.Verify(ctxOf(c), token); errors.Is(err, auth.ErrInvalid) {
				end("token no longer valid")
				return
			}
			if !send(": ping\n\n") {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}
