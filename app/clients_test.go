package app

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/cloudwego/kitex/server"
	"github.com/cloudwego/kitex/transport"

	"tiktok/internal/config"
	"tiktok/internal/discovery"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/rpc"
	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/comment/commentservice"
	"tiktok/kitex_gen/favorite/favoriteservice"
	"tiktok/kitex_gen/message/messageservice"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/kitex_gen/user"
	"tiktok/kitex_gen/user/userservice"
)

// The transport (internal/rpc) over a real Kitex connection, with the
// deployment's clients (NewClients) and a stub user service.

// testConfig is the default configuration with an RPC secret, which every
// client and server needs.
func testConfig() *config.Config {
	cfg, _ := config.Load("")
	cfg.RPC.Secret = rpc.NewSecret()
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
		append(rpc.ServerOptions(cfg, User, ln.Addr(), ln, book, Policy()), server.WithExitSignal(func() <-chan error { return make(chan error) }))...)
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
			append(rpc.ServerOptions(cfg, User, ln.Addr(), ln, book, Policy()), server.WithExitSignal(func() <-chan error { return make(chan error) }))...)
		go svr.Run()
		c, err := NewClients(cfg, book, "gateway")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		start := time.Now()
		_, err = c.User.MGetUsers(rpc.Detach(ctx), &base.IdsRequest{})
		took := time.Since(start)
		cancel()
		svr.Stop()
		if err == nil || took > 1500*time.Millisecond {
			t.Fatalf("mux %d: slow call: err %v after %v", mux, err, took)
		}
	}
}

// Over a real Kitex connection: the deployment's clients pass; a client
// without a credential, with one signed by another key, or of a role not
// allowed to call the service is refused at the transport, before the
// handler runs.
func TestServerRefusesCallsWithoutCredential(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	book := discovery.Static{User: ln.Addr().String()}
	stub := &stubUser{}
	svr := userservice.NewServer(stub,
		append(rpc.ServerOptions(cfg, User, ln.Addr(), ln, book, Policy()), server.WithExitSignal(func() <-chan error { return make(chan error) }))...)
	go svr.Run()
	defer svr.Stop()
	ctx := context.Background()
	good, err := NewClients(cfg, book, "gateway")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.User.MGetUsers(ctx, &base.IdsRequest{}); err != nil {
		t.Fatalf("deployment's client refused: %v", err)
	}
	raw := func(o ...client.Option) userservice.Client {
		c, err := userservice.NewClient(User, append([]client.Option{client.WithHostPorts(ln.Addr().String()),
			client.WithTransportProtocol(transport.TTHeader), client.WithMetaHandler(transmeta.ClientTTHeaderHandler)}, o...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for name, c := range map[string]userservice.Client{
		"no credential":    raw(),
		"wrong key":        raw(rpc.SignedBy(rpc.NewSecret(), "gateway", User)),
		"other callee":     raw(rpc.SignedBy(cfg.RPC.Secret, "gateway", Message)),
		"role not allowed": raw(rpc.SignedBy(cfg.RPC.Secret, Feed, User)),
	} {
		_, err := c.MGetUsers(ctx, &base.IdsRequest{})
		if err == nil || !strings.Contains(err.Error(), "rpc credential refused") {
			t.Errorf("%s: got %v, want a refusal", name, err)
		}
		if _, biz := kerrors.FromBizStatusError(err); biz {
			t.Errorf("%s: refused as a business status: %v", name, err)
		}
	}
	// A role the service allows passes with the same key.
	if _, err := raw(rpc.SignedBy(cfg.RPC.Secret, Relation, User)).MGetUsers(ctx, &base.IdsRequest{}); err != nil {
		t.Fatalf("relation calling user: %v", err)
	}
	bad := testConfig()
	bad.RPC.Secret = "short"
	if _, err := NewClients(bad, book, "gateway"); err == nil {
		t.Fatal("clients made with a short rpc.secret")
	}
}

// Every method is retried but those that must run once.
func TestRetryCoversAllButOnce(t *testing.T) {
	for svc, methods := range map[string][]string{
		Comment:  methodNames(commentservice.NewServiceInfo().Methods),
		Message:  methodNames(messageservice.NewServiceInfo().Methods),
		Publish:  methodNames(publishservice.NewServiceInfo().Methods),
		User:     methodNames(userservice.NewServiceInfo().Methods),
		Favorite: methodNames(favoriteservice.NewServiceInfo().Methods),
	} {
		for m := range once[svc] {
			found := false
			for _, n := range methods {
				found = found || n == m
			}
			if !found {
				t.Errorf("once lists %s.%s, which the IDL does not have", svc, m)
			}
		}
	}
	if !once[Comment]["Create"] || !once[Message]["Send"] || once[Favorite]["Action"] {
		t.Error("comment creation and message sending must run once; like/unlike is idempotent")
	}
}

func methodNames[M any](m map[string]M) []string {
	var n []string
	for k := range m {
		n = append(n, k)
	}
	return n
}
