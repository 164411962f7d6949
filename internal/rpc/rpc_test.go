package rpc

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"tiktok/internal/config"
	"tiktok/internal/discovery"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/user"
	"tiktok/kitex_gen/user/userservice"

	"github.com/cloudwego/kitex/server"
)

// testConfig is the default configuration with an RPC secret, which every
// client and server needs.
func testConfig() *config.Config {
	cfg, _ := config.Load("")
	cfg.RPC.Secret = NewSecret()
	return cfg
}

type stubUser struct {
	err   error
	delay time.Duration
}

func (s *stubUser) Register(ctx context.Context, r *user.RegisterRequest) (*user.AuthResponse, error) {
	return nil, s.err
}

func (s *stubUser) Login(ctx context.Context, r *user.LoginRequest) (*user.AuthResponse, error) {
	return nil, errno.New(errno.CodeUnauthorized, "wrong username or password")
}

func (s *stubUser) MGetUsers(ctx context.Context, r *base.IdsRequest) (*user.UsersResponse, error) {
	time.Sleep(s.delay)
	if id := logx.RequestID(ctx); id != "" {
		return &user.UsersResponse{Users: map[int64]*base.UserInfo{1: {Id: 1, Name: id}}}, nil
	}
	return &user.UsersResponse{}, nil
}

// Over a real Kitex connection: business errors keep their code, a plain
// handler error becomes "internal" (never "unavailable"), the request id
// travels, and a service that is not there is "unavailable".
func TestErrorsAndRequestIDCrossRPC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	book := discovery.Static{User: ln.Addr().String()}
	svr := userservice.NewServer(&stubUser{err: errors.New("sql: database is on fire")},
		append(ServerOptions(cfg, User, ln.Addr(), ln, book), server.WithExitSignal(func() <-chan error { return make(chan error) }))...)
	go svr.Run()
	defer svr.Stop()
	c, err := NewClients(cfg, book, "gateway")
	if err != nil {
		t.Fatal(err)
	}
	ctx := logx.WithRequestID(context.Background(), "req-123")
	_, err = c.User.Login(ctx, &user.LoginRequest{})
	if code, _ := errno.From(err); code != errno.CodeUnauthorized {
		t.Fatalf("business error: %v", err)
	}
	_, err = c.User.Register(ctx, &user.RegisterRequest{})
	if code, msg := errno.From(err); code != errno.CodeInternal || msg != "internal error" {
		t.Fatalf("plain error: %d %q (%v)", code, msg, err)
	}
	r, err := c.User.MGetUsers(ctx, &base.IdsRequest{})
	if err != nil || r.Users[1].GetName() != "req-123" {
		t.Fatalf("request id did not travel: %v %v", r, err)
	}
	cfg.RPC.Timeout = 300 * time.Millisecond
	dead, _ := NewClients(cfg, discovery.Static{User: "127.0.0.1:1"}, "gateway")
	start := time.Now()
	_, err = dead.User.MGetUsers(ctx, &base.IdsRequest{})
	if code, _ := errno.From(err); code != errno.CodeServiceUnavailable || time.Since(start) > 2*time.Second {
		t.Fatalf("dead service: %v after %v", err, time.Since(start))
	}
}

// A service that answers too slowly fails the call after rpc.timeout, also
// when the caller's context cannot be cancelled (Detach), on pooled and on
// multiplexed connections.
func TestSlowServiceTimesOut(t *testing.T) {
	for _, mux := range []int{0, 2} {
		if mux > 0 && raceOn {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig()
		cfg.RPC.MuxConnections = mux
		cfg.RPC.Timeout = 200 * time.Millisecond
		book := discovery.Static{User: ln.Addr().String()}
		svr := userservice.NewServer(&stubUser{delay: 2 * time.Second},
			append(ServerOptions(cfg, User, ln.Addr(), ln, book), server.WithExitSignal(func() <-chan error { return make(chan error) }))...)
		go svr.Run()
		c, err := NewClients(cfg, book, "gateway")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		start := time.Now()
		_, err = c.User.MGetUsers(Detach(ctx), &base.IdsRequest{})
		took := time.Since(start)
		cancel()
		svr.Stop()
		if err == nil || took > 1500*time.Millisecond {
			t.Fatalf("mux %d: slow call: err %v after %v", mux, err, took)
		}
	}
}

func TestDetachKeepsValuesDropsCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(logx.WithRequestID(context.Background(), "r1"))
	d := Detach(ctx)
	cancel()
	if d.Done() != nil || d.Err() != nil || logx.RequestID(d) != "r1" {
		t.Fatalf("detached: done %v err %v id %q", d.Done(), d.Err(), logx.RequestID(d))
	}
	if Detach(d) != d {
		t.Fatal("detaching twice wraps twice")
	}
}
