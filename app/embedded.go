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
	"tiktok/domain/media"
	"tiktok/internal/admin"
	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/discovery"
	"tiktok/internal/logx"
	"tiktok/internal/rpc"
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
	Bus  *Bus
	proc *proc
}

// Embedded starts the system on cfg (SQLite and media under cfg.DataDir):
// the steps of a per-role process once, then every service, the workers and
// the gateway through the functions their own commands use.
func Embedded(ctx context.Context, cfg *config.Config) (_ *System, err error) {
	if err := media.Check(); err != nil {
		return nil, err
	}
	p := newProc(cfg)
	p.oneProcess = true
	defer p.closeOnError(&err)
	// One process, one trace resource: tracing is for the per-role deployment,
	// but the propagator is harmless here.
	if err := p.trace(ctx, "tiktok", ""); err != nil {
		return nil, err
	}
	sys := &System{Admin: p.admin, proc: p}
	// One admin listener for the process. Its port being taken (another
	// serve on the machine) is logged, not fatal: the app works without it.
	if err := p.listenAdmin(Gateway); err != nil {
		logx.L().Warn("admin listener not started", zap.Error(err))
	} else if addr := p.admin.Addr(); addr != "" {
		sys.AdminURL = "http://" + addr
	}
	// Listen first: with port 0 the media URLs need the port actually bound.
	hln, err := p.listen(cfg.HTTP.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.HTTP.Addr, err)
	}
	cfg.HTTP.Addr = hln.Addr().String()
	key, err := TokenKey(cfg)
	if err != nil {
		return nil, err
	}
	sys.Tokens = p.tokens(key)
	// The services and their callers are all in this process: a key of its own.
	if cfg.RPC.Secret == "" {
		cfg.RPC.Secret = rpc.NewSecret()
	}
	book := discovery.Static{}
	lns := map[string]net.Listener{}
	for _, name := range Names() {
		ln, err := p.listen("127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns[name], book[name] = ln, ln.Addr().String()
	}
	if err := p.connect(book, EmbeddedRole); err != nil {
		return nil, err
	}
	if err := p.embedBus(filepath.Join(cfg.DataDir, "nats")); err != nil {
		return nil, err
	}
	sys.Bus = p.bus
	for _, name := range Names() {
		s, err := p.startService(name, lns[name].Addr(), lns[name])
		if err != nil {
			return nil, err
		}
		if s.db != nil {
			sys.Admin.AddCheck("database "+name, s.Ping)
		}
	}
	// One pool of each worker role in the process (the media workers), before
	// the demo set, which they transcode.
	for _, w := range Workers {
		if err := p.startWorker(ctx, w); err != nil {
			return nil, err
		}
	}
	// The demo set loads before the gateway accepts a request: a newcomer's
	// first page is never empty, and no traffic competes with the load.
	// Connections that arrive meanwhile wait in the listen queue. A failed
	// demo load is logged, not fatal: the system works without it.
	if cfg.Demo {
		if err := demo.Seed(ctx, &demo.Clients{User: p.clients.User, Publish: p.clients.Publish}, p.store); err != nil {
			logx.L().Error("demo set not loaded; serving without it", zap.Error(err))
		}
	}
	errc := p.startGateway(sys.Tokens, hln)
	go func() {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			logx.L().Error("http server", zap.Error(err))
		}
	}()
	sys.Admin.AddCheck("nats", natsCheck(sys.Bus))
	sys.Admin.Started()
	sys.URL = "http://" + cfg.HTTP.Addr
	return sys, nil
}

// Shutdown stops taking requests, lets in-flight ones finish, stops the
// workers (a job in hand goes back to the queue), then stops the services,
// closing their databases, and NATS: the start-up undone in reverse.
func (s *System) Shutdown(ctx context.Context) {
	s.Admin.Stopping()
	_ = s.proc.close(ctx)
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
