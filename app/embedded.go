package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"

	"go.uber.org/zap"

	"tiktok/app/demo"
	"tiktok/gateway"
	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/discovery"
	"tiktok/internal/httpserver"
	"tiktok/internal/logx"
	"tiktok/internal/media"
	"tiktok/internal/rpc"
	"tiktok/internal/tracing"
)

// System is the whole backend running in one process: the gateway and every
// RPC service, each a real Kitex server on a free loopback port.
type System struct {
	URL      string
	Tokens   *auth.Tokens
	http     *http.Server
	services []*Service
}

// Embedded starts the system on cfg (SQLite and media under cfg.DataDir).
func Embedded(ctx context.Context, cfg *config.Config) (_ *System, err error) {
	if err := media.Check(); err != nil {
		return nil, err
	}
	// One process, one trace resource: tracing is for the per-role deployment,
	// but the propagator is harmless here.
	if _, err := tracing.Init(ctx, "tiktok", ""); err != nil {
		return nil, err
	}
	sys := &System{}
	defer func() {
		if err != nil {
			sys.Shutdown(context.Background())
		}
	}()
	// Listen first: with port 0 the media URLs need the port actually bound.
	hln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.HTTP.Addr, err)
	}
	cfg.HTTP.Addr = hln.Addr().String()
	key := []byte(cfg.Auth.Secret)
	if len(key) == 0 {
		if key, err = auth.KeyFile(filepath.Join(cfg.DataDir, "jwt.key")); err != nil {
			hln.Close()
			return nil, err
		}
	} else if err := auth.CheckKey(cfg.Auth.Secret); err != nil {
		hln.Close()
		return nil, err
	}
	sys.Tokens = auth.New(key, cfg.Auth.TokenTTL)
	if cfg.Redis.Addr != "" {
		sys.Tokens.ShareRevocations(cfg.Redis.Addr, cfg.Redis.DB, cfg.Redis.Timeout)
	}
	// The services and their callers are all in this process: a key of its own.
	if cfg.RPC.Secret == "" {
		cfg.RPC.Secret = rpc.NewSecret()
	}
	book := discovery.Static{}
	lns := map[string]net.Listener{}
	for _, name := range Names() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			hln.Close()
			return nil, err
		}
		lns[name], book[name] = ln, ln.Addr().String()
	}
	clients, err := rpc.NewClients(cfg, book, rpc.EmbeddedRole)
	if err != nil {
		hln.Close()
		return nil, err
	}
	store, err := NewStorage(cfg)
	if err != nil {
		hln.Close()
		return nil, err
	}
	for _, name := range Names() {
		s, err := StartService(cfg, name, lns[name].Addr(), lns[name], book, clients, store, true)
		if err != nil {
			hln.Close()
			return nil, err
		}
		sys.services = append(sys.services, s)
	}
	// The demo set loads before the gateway accepts a request: a newcomer's
	// first page is never empty, and no traffic competes with the load.
	// Connections that arrive meanwhile wait in the listen queue. A failed
	// demo load is logged, not fatal: the system works without it.
	if cfg.Demo {
		if err := demo.Seed(ctx, clients, store); err != nil {
			logx.L().Error("demo set not loaded; serving without it", zap.Error(err))
		}
	}
	gw := gateway.New(cfg, clients, sys.Tokens, store)
	sys.http = httpserver.New(cfg, gw.Router())
	go func() {
		if err := sys.http.Serve(hln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logx.L().Error("http server", zap.Error(err))
		}
	}()
	sys.URL = "http://" + cfg.HTTP.Addr
	return sys, nil
}

// Shutdown stops taking requests, lets in-flight ones finish, then stops the
// services and closes their databases.
func (s *System) Shutdown(ctx context.Context) {
	if s.http != nil {
		_ = s.http.Shutdown(ctx)
	}
	for _, svc := range s.services {
		svc.Stop(ctx)
	}
	if s.Tokens != nil {
		s.Tokens.Close()
	}
}
