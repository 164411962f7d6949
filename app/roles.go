package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"tiktok/domain/media"
	"tiktok/gateway"
	"tiktok/internal/admin"
	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/discovery"
	"tiktok/internal/httpserver"
	"tiktok/internal/logx"
	"tiktok/internal/rpc"
	"tiktok/internal/storage"
	"tiktok/internal/tracing"
)

// Discovery returns the configured service discovery.
func Discovery(cfg *config.Config) (discovery.Discovery, error) {
	switch cfg.Registry.Driver {
	case "static", "":
		return discovery.Static(Addrs(cfg)), nil
	case "etcd":
		return discovery.NewEtcd(cfg.Registry.EtcdEndpoints, cfg.Registry.LeaseTTL)
	default:
		return nil, fmt.Errorf("unknown registry driver %q", cfg.Registry.Driver)
	}
}

// Addrs is where each service listens in the per-role deployment.
func Addrs(cfg *config.Config) map[string]string {
	m := make(map[string]string, len(Registry))
	for _, r := range Registry {
		m[r.Name] = cfg.ServiceAddr(r.Name, r.Port)
	}
	return m
}

// proc is what every role process sets up before its own work: the checks
// of its secrets, tracing, its admin listener, discovery, RPC clients signed
// as the role, object storage and the NATS bus. close undoes it in reverse.
type proc struct {
	cfg     *config.Config
	role    string
	admin   *admin.Server
	disc    discovery.Discovery
	clients *Clients
	store   storage.Storage
	bus     *Bus
	undo    []func()
}

func setup(ctx context.Context, cfg *config.Config, role string) (_ *proc, err error) {
	p := &proc{cfg: cfg, role: role}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if err := rpc.CheckSecret(cfg); err != nil {
		return nil, err
	}
	shutdown, err := tracing.Init(ctx, role, cfg.Tracing.Endpoint)
	if err != nil {
		return nil, err
	}
	p.undo = append(p.undo, func() { flush(shutdown) })
	// The admin listener comes up first: /healthz answers while the role
	// starts (migrations may take a while), /readyz says 503 until it has.
	p.admin = admin.New(admin.Options{Pprof: cfg.Admin.Pprof, CheckTimeout: cfg.Admin.CheckTimeout})
	if addr := AdminAddr(cfg, role); addr != "" {
		if err := p.admin.Listen(addr); err != nil {
			return nil, err
		}
		p.undo = append(p.undo, p.admin.Close)
		logx.L().Info("admin listener", zap.String("role", role), zap.String("addr", p.admin.Addr()))
	}
	if p.disc, err = Discovery(cfg); err != nil {
		return nil, err
	}
	if p.clients, err = NewClients(cfg, p.disc, role); err != nil {
		return nil, err
	}
	if p.store, err = NewStorage(cfg); err != nil {
		return nil, err
	}
	if p.bus, err = ConnectBus(cfg, role); err != nil {
		return nil, err
	}
	p.undo = append(p.undo, p.bus.Close)
	return p, nil
}

// stopping starts the graceful shutdown: not ready at once, then
// admin.shutdown_delay for load balancers to notice before the role stops
// taking work.
func (p *proc) stopping() {
	p.admin.Stopping()
	if d := p.cfg.Admin.ShutdownDelay; d > 0 {
		logx.L().Info("not ready; draining after the shutdown delay", zap.Duration("delay", d))
		time.Sleep(d)
	}
}

func (p *proc) close() {
	for i := len(p.undo) - 1; i >= 0; i-- {
		p.undo[i]()
	}
}

// RunService runs one RPC service as its own process until ctx ends. It is
// ready once its migrations are applied, its server is announced in
// discovery, and while its database answers.
func RunService(ctx context.Context, cfg *config.Config, name string) error {
	role, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("unknown service %q", name)
	}
	addr, err := net.ResolveTCPAddr("tcp", cfg.ServiceAddr(name, role.Port))
	if err != nil {
		return fmt.Errorf("services.%s: %w", name, err)
	}
	adv, err := rpc.AdvertiseAddr(cfg.RPC.Advertise, addr)
	if err != nil {
		return fmt.Errorf("services.%s: %w", name, err)
	}
	p, err := setup(ctx, cfg, name)
	if err != nil {
		return err
	}
	defer p.close()
	s, err := StartService(cfg, name, addr, nil, p.disc, p.clients, p.store, p.bus.NATS, p.bus.Queue, false)
	if err != nil {
		return err
	}
	if s.db != nil {
		p.admin.AddCheck("database", s.Ping)
	}
	p.admin.AddCheck("discovery", func(ctx context.Context) error { return p.disc.Announced(ctx, name) })
	p.admin.Started()
	logx.L().Info("service started", zap.String("service", name), zap.String("addr", addr.String()),
		zap.String("advertise", adv.String()))
	select {
	case <-ctx.Done():
	case err = <-s.done:
		return err
	}
	// Out of discovery first, then the delay, in which callers' resolvers
	// drop this instance while it still answers, then drain and stop.
	p.disc.Withdraw(name)
	p.stopping()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.Stop(sctx)
	return nil
}

// RunWorker runs a worker role (app.Workers) alone until ctx ends. It needs
// no address: it pulls its work from NATS and calls services found through
// discovery. It is ready while its link to NATS is up.
func RunWorker(ctx context.Context, cfg *config.Config, name string) error {
	w, ok := LookupWorker(name)
	if !ok {
		return fmt.Errorf("unknown role %q", name)
	}
	if err := media.Check(); err != nil {
		return err
	}
	p, err := setup(ctx, cfg, name)
	if err != nil {
		return err
	}
	defer p.close()
	p.admin.AddCheck("nats", natsCheck(p.bus))
	p.admin.Started()
	logx.L().Info("worker started", zap.String("role", name), zap.String("nats", cfg.Queue.URL))
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go func() {
		<-ctx.Done()
		p.admin.Stopping()
		cancel() // a job in hand goes back to the queue
	}()
	w.Run(wctx, Deps{Config: cfg, Clients: p.clients, Storage: p.store, NATS: p.bus.NATS, Queue: p.bus.Queue})
	return nil
}

// RunGateway runs the HTTP gateway alone until ctx ends. It is ready while
// it reaches an instance of user and feed, without which no screen of the
// app opens; the other services failing fails only their endpoints (10010),
// and taking every gateway out of its load balancer for them would turn a
// partial outage into a whole one.
func RunGateway(ctx context.Context, cfg *config.Config) error {
	if err := auth.CheckKey(cfg.Auth.Secret); err != nil {
		return err
	}
	p, err := setup(ctx, cfg, Gateway)
	if err != nil {
		return err
	}
	defer p.close()
	tokens := auth.New([]byte(cfg.Auth.Secret), cfg.Auth.TokenTTL)
	// Logouts reach every gateway instance through Redis; without it they
	// hold on this instance only.
	if cfg.Redis.Addr != "" {
		tokens.ShareRevocations(cfg.Redis.Addr, cfg.Redis.DB, cfg.Redis.Timeout)
	}
	defer tokens.Close()
	gw := gateway.New(cfg, p.clients.forGateway(), tokens, p.store)
	gw.StreamChats(p.bus.NATS)
	srv := httpserver.New(cfg, gw.Router())
	srv.RegisterOnShutdown(gw.Close) // open chat streams end, so shutdown can finish
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	for _, svc := range GatewayNeeds {
		p.admin.AddCheck("service "+svc, func(ctx context.Context) error { return p.disc.Reachable(ctx, svc) })
	}
	p.admin.Started()
	logx.L().Info("gateway started", zap.String("url", "http://"+cfg.HTTP.Addr))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	p.stopping()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// GatewayNeeds are the services the gateway's readiness checks.
var GatewayNeeds = []string{User, Feed}

// natsCheck is ready while the bus's connection to NATS is up.
func natsCheck(b *Bus) admin.Check {
	return func(context.Context) error {
		if !b.NATS.IsConnected() {
			return fmt.Errorf("nats %s", b.NATS.Status())
		}
		return nil
	}
}

// flush sends the spans still buffered before the process exits.
func flush(shutdown func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = shutdown(ctx)
}
