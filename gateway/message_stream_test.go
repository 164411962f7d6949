package gateway

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"tiktok/domain/chatpush"
	"tiktok/domain/chatpush/chatpushtest"
	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/errno"
	"tiktok/internal/httpserver"
)

// streamGateway serves the stream endpoint alone, through the real HTTP
// server and its timeouts (short ones, which a stream must outlive), on a
// hub over the machine's NATS with a subject prefix of its own. shutdown
// shuts the server down gracefully, as the roles do, within 5 s.
func streamGateway(t *testing.T, set func(*config.Config)) (g *Gateway, base string, pub *chatpush.Publisher, shutdown func() error) {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.ReadTimeout, cfg.HTTP.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	// The client's transport may dial a spare connection it never sends on
	// (a pooled one came free first); Shutdown waits on such a connection
	// until its header deadline, so a short one keeps shutdown prompt.
	cfg.HTTP.ReadHeaderTimeout = 300 * time.Millisecond
	if set != nil {
		set(cfg)
	}
	nc, subject := chatpushtest.Connect(t)
	cfg.Push.Subject = subject
	g = &Gateway{cfg: cfg, tokens: auth.New([]byte("0123456789abcdef0123456789abcdef"), time.Hour)}
	g.StreamChats(nc)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/douyin/message/stream/", g.messageStream)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpserver.New(cfg, r)
	srv.RegisterOnShutdown(g.Close)
	go srv.Serve(ln)
	shutdown = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	}
	t.Cleanup(func() { shutdown() })
	return g, "http://" + ln.Addr().String(), chatpush.NewPublisher(nc, cfg.Push.Subject), shutdown
}

// openStream opens a stream on base with token in the header and query in
// the URL; a refusal fills the stream's Status.
func openStream(t *testing.T, base, query, token string) *chatpushtest.Stream {
	t.Helper()
	s, err := chatpushtest.Open(base+"/douyin/message/stream/?"+query, token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// want reads the next event, which must be named event ("ping": a heartbeat).
func want(t *testing.T, s *chatpushtest.Stream, event string) chatpushtest.Event {
	t.Helper()
	e, err := s.Next(5*time.Second, event == "ping")
	if err != nil {
		t.Fatalf("waiting for a %s event: %v", event, err)
	}
	if e.Name != event && (event != "ping" || !e.Ping) {
		t.Fatalf("got %+v, want a %s event", e, event)
	}
	return e
}

func TestMessageStream(t *testing.T) {
	g, base, pub, _ := streamGateway(t, func(c *config.Config) { c.Push.Heartbeat = 200 * time.Millisecond })
	token, _ := g.tokens.Sign(7)

	s := openStream(t, base, "", token)
	if ct := s.Res.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	if cc := s.Res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("cache control %q", cc)
	}
	if e := want(t, s, "ready"); e.Data != `{"heartbeat_ms":200}` {
		t.Fatalf("ready %+v", e)
	}
	// Past the server's read and write timeouts (300 ms): the stream lives on.
	time.Sleep(500 * time.Millisecond)
	m := chatpush.Message{ID: 3, ToUserID: 7, FromUserID: 8, Content: "line one\nline two", CreateTime: 1700000000123}
	pub.Chat(m)
	pub.Chat(chatpush.Message{ID: 4, ToUserID: 8, FromUserID: 7, Content: "not for 7", CreateTime: 1700000000124})
	e := want(t, s, "message")
	if got, err := e.Message(); err != nil || got != m || e.ID != "1700000000123" {
		t.Fatalf("event %+v (%v), want %+v with id its create_time", got, err, m)
	}
	want(t, s, "ping")

	// Logged out: the stream ends at the next heartbeat.
	if err := g.tokens.Revoke(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	e = want(t, s, "end")
	if !strings.Contains(e.Data, "token no longer valid") {
		t.Fatalf("end %+v", e)
	}
	waitStreams(t, g, 0)
}

// waitStreams waits until the hub holds n streams: a handler leaves the hub
// just after its last write.
func waitStreams(t *testing.T, g *Gateway, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for g.chats.Streams() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams, want %d", g.chats.Streams(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMessageStreamRefusals(t *testing.T) {
	g, base, _, _ := streamGateway(t, func(c *config.Config) { c.Push.PerUser, c.Push.Connections = 1, 2 })
	token, _ := g.tokens.Sign(7)
	other, _ := g.tokens.Sign(8)
	third, _ := g.tokens.Sign(9)

	for _, c := range []struct {
		name, query, token string
		code               int32
	}{
		{"no token", "", "", errno.CodeUnauthorized},
		{"forged token", "", "a.b.c", errno.CodeUnauthorized},
		{"token in the URL", "token=" + token, "", errno.CodeBadParam},
		{"token in the URL and the header", "token=" + token, token, errno.CodeBadParam},
	} {
		if s := openStream(t, base, c.query, c.token); s.Status.StatusCode != c.code {
			t.Errorf("%s: %+v, want %d", c.name, s.Status, c.code)
		}
	}

	first := openStream(t, base, "", token)
	want(t, first, "ready")
	busy := openStream(t, base, "", token)
	if busy.Status.StatusCode != errno.CodeRateLimited || busy.Res.Header.Get("Retry-After") != "30" {
		t.Fatalf("a second stream past per_user 1: %+v, Retry-After %q", busy.Status, busy.Res.Header.Get("Retry-After"))
	}
	want(t, openStream(t, base, "", other), "ready")
	full := openStream(t, base, "", third)
	if full.Status.StatusCode != errno.CodeRateLimited || full.Res.Header.Get("Retry-After") == "" {
		t.Fatalf("a stream past connections 2: %+v", full.Status)
	}
	// A client that leaves frees its slot.
	first.Close()
	waitStreams(t, g, 1)
	want(t, openStream(t, base, "", token), "ready")

	g.chats = nil // no NATS: clients poll
	if s := openStream(t, base, "", third); s.Status.StatusCode != errno.CodeServiceUnavailable {
		t.Fatalf("without a hub: %+v", s.Status)
	}
}

func TestMessageStreamEnds(t *testing.T) {
	g, base, _, shutdown := streamGateway(t, func(c *config.Config) { c.Push.MaxAge = 300 * time.Millisecond })
	token, _ := g.tokens.Sign(7)
	s := openStream(t, base, "", token)
	want(t, s, "ready")
	if e := want(t, s, "end"); !strings.Contains(e.Data, "max age") {
		t.Fatalf("end %+v", e)
	}
	// A graceful shutdown ends the open streams (Gateway.Close, registered
	// with the server) instead of waiting for them to go idle, which they
	// never would.
	s = openStream(t, base, "", token)
	want(t, s, "ready")
	done := make(chan error, 1)
	go func() { done <- shutdown() }()
	if e := want(t, s, "end"); !strings.Contains(e.Data, "shutting down") {
		t.Fatalf("end %+v", e)
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown with a stream open: %v", err)
	}
}
