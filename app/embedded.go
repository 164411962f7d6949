package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/nats-io/nats.go"

	"go.uber.org/zap"

	"tiktok/app/demo"
	"tiktok/domain/media"
	"tiktok/gateway"
	"tiktok/internal/admin"
	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/discovery"
	"tiktok/internal/httpserver"
	"tiktok/internal/logx"
	"tiktok/internal/queue"
	"tiktok/internal/rpc"
	"tiktok/internal/tracing"
)

// System is the whole backend running in one process: the gateway and every
// RPC service, each a real Kitex server on a free loopback port.
type System struct {
	URL string
	// Admin is the process's admin listener (/healthz, /readyz, /metrics);
	// AdminURL is where it listens ("" when off or its port was taken).
	Admin    *admin.Server
	AdminURL string
	Tokens   *auth.Tokens
	// Bus is the process's connection to its embedded NATS server (every
	// user of NATS in serve shares it) and the job queue on it.
	Bus      *Bus
	nats     *queue.Server
	http     *http.Server
	services []*Service
	// stopWorkers ends the worker roles; workers is done once they are.
	stopWorkers context.CancelFunc
	workers     sync.WaitGroup
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
	sys := &System{Admin: admin.New(admin.Options{Pprof: cfg.Admin.Pprof, CheckTimeout: cfg.Admin.CheckTimeout})}
	// One admin listener for the process. Its port being taken (another
	// serve on the machine) is logged, not fatal: the app works without it.
	if addr := AdminAddr(cfg, Gateway); addr != "" {
		if err := sys.Admin.Listen(addr); err != nil {
			logx.L().Warn("admin listener not started", zap.Error(err))
		} else {
			sys.AdminURL = "http://" + sys.Admin.Addr()
		}
	}
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
	key, err := TokenKey(cfg)
	if err != nil {
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
	clients, err := NewClients(cfg, book, EmbeddedRole)
	if err != nil {
		hln.Close()
		return nil, err
	}
	store, err := NewStorage(cfg)
	if err != nil {
		hln.Close()
		return nil, err
	}
	// NATS with JetStream inside the process, stored in the data folder: the
	// same queue code as a deployment's, nothing to install.
	if sys.nats, err = queue.StartServer(filepath.Join(cfg.DataDir, "nats")); err != nil {
		hln.Close()
		return nil, err
	}
	nc, err := sys.nats.Connect(nats.Name("tiktok serve"))
	if err != nil {
		hln.Close()
		return nil, err
	}
	q, err := queue.New(nc, queue.OptionsFrom(cfg))
	if err != nil {
		nc.Close()
		hln.Close()
		return nil, err
	}
	sys.Bus = &Bus{NATS: nc, Queue: q}
	sys.Bus.ensure()
	for _, name := range Names() {
		s, err := StartService(cfg, name, lns[name].Addr(), lns[name], book, clients, store, nc, q, true)
		if err != nil {
			hln.Close()
			return nil, err
		}
		sys.services = append(sys.services, s)
	}
	// One pool of each worker role in the process (the media workers), before
	// the demo set, which they transcode.
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	sys.stopWorkers = stop
	for _, w := range Workers {
		sys.workers.Go(func() {
			w.Run(wctx, Deps{Config: cfg, Clients: clients, Storage: store, NATS: nc, Queue: q})
		})
	}
	// The demo set loads before the gateway accepts a request: a newcomer's
	// first page is never empty, and no traffic competes with the load.
	// Connections that arrive meanwhile wait in the listen queue. A failed
	// demo load is logged, not fatal: the system works without it.
	if cfg.Demo {
		if err := demo.Seed(ctx, &demo.Clients{User: clients.User, Publish: clients.Publish}, store); err != nil {
			logx.L().Error("demo set not loaded; serving without it", zap.Error(err))
		}
	}
	gw := gateway.New(cfg, clients.forGateway(), sys.Tokens, store)
	gw.StreamChats(nc)
	sys.http = httpserver.New(cfg, gw.Router())
	sys.http.RegisterOnShutdown(gw.Close) // open chat streams end, so shutdown can finish
	go func() {
		if err := sys.http.Serve(hln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logx.L().Error("http server", zap.Error(err))
		}
	}()
	for _, svc := range sys.services {
		if svc.db != nil {
			sys.Admin.AddCheck("database "+svc.Name, svc.Ping)
		}
	}
	sys.Admin.AddCheck("nats", natsCheck(sys.Bus))
	sys.Admin.Started()
	sys.URL = "http://" + cfg.HTTP.Addr
	return sys, nil
}

// Shutdown stops taking requests, lets in-flight ones finish, stops the
// workers (a job in hand goes back to the queue), then stops the services,
// closing their databases, and NATS.
func (s *System) Shutdown(ctx context.Context) {
	s.Admin.Stopping()
	if s.http != nil {
		_ = s.http.Shutdown(ctx)
	}
	if s.stopWorkers != nil {
		s.stopWorkers()
		s.workers.Wait()
	}
	for _, svc := range s.services {
		svc.Stop(ctx)
	}
	s.Bus.Close()
	if s.nats != nil {
		s.nats.Shutdown()
	}
	if s.Tokens != nil {
		s.Tokens.Close()
	}
	s.Admin.Close()
}

// TokenKey is the key tokens are signed with: auth.secret, or in the
// embedded mode without one, the key kept in <data_dir>/jwt.key (made on
// first use). The benchmark's seed signs its users' tokens with it.
func TokenKey(cfg *config.Config) ([]byte, error) {
	if cfg.Auth.Secret == "" {
		return auth.KeyFile(filepath.Join(cfg.DataDir, "jwt.key"))
	}
	if err := auth.CheckKey(cfg.Auth.Secret); err != nil {
		return nil, err
	}
	return []byte(cfg.Auth.Secret), nil
}
