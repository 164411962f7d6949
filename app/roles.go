package app

import (
	"context"
	"fmt"
	"net"

	"go.uber.org/zap"

	"tiktok/domain/media"
	"tiktok/internal/admin"
	"tiktok/internal/auth"
	"tiktok/internal/config"
	"tiktok/internal/discovery"
	"tiktok/internal/logx"
	"tiktok/internal/rpc"
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

// RunService runs one RPC service as its own process until ctx ends. It is
// ready once its migrations are applied, its server is announced in
// discovery, and while its database answers.
func RunService(ctx context.Context, cfg *config.Config, name string) (err error) {
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
	p := newProc(cfg)
	defer p.end(&err)
	if err := p.setup(ctx, name); err != nil {
		return err
	}
	s, err := p.startService(name, addr, nil)
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
	case <-s.done:
		return s.err
	}
	// Out of discovery first, then the delay, in which callers' resolvers
	// drop this instance while it still answers; closing drains and stops.
	p.disc.Withdraw(name)
	p.stopping()
	return nil
}

// RunWorker runs a worker role (app.Workers) alone until ctx ends. It needs
// no address: it pulls its work from NATS and calls services found through
// discovery. It is ready while its link to NATS is up.
func RunWorker(ctx context.Context, cfg *config.Config, name string) (err error) {
	w, ok := LookupWorker(name)
	if !ok {
		return fmt.Errorf("unknown role %q", name)
	}
	if err := media.Check(); err != nil {
		return err
	}
	p := newProc(cfg)
	defer p.end(&err)
	if err := p.setup(ctx, name); err != nil {
		return err
	}
	if err := p.startWorker(ctx, w); err != nil {
		return err
	}
	p.admin.AddCheck("nats", natsCheck(p.bus))
	p.admin.Started()
	logx.L().Info("worker started", zap.String("role", name), zap.String("nats", cfg.Queue.URL))
	<-ctx.Done()
	p.admin.Stopping() // closing gives the jobs in hand back to the queue
	return nil
}

// RunGateway runs the HTTP gateway alone until ctx ends. It is ready while
// it reaches an instance of user and feed, without which no screen of the
// app opens; the other services failing fails only their endpoints (10010),
// and taking every gateway out of its load balancer for them would turn a
// partial outage into a whole one.
func RunGateway(ctx context.Context, cfg *config.Config) (err error) {
	if err := auth.CheckKey(cfg.Auth.Secret); err != nil {
		return err
	}
	p := newProc(cfg)
	defer p.end(&err)
	if err := p.setup(ctx, Gateway); err != nil {
		return err
	}
	tokens := p.tokens([]byte(cfg.Auth.Secret))
	ln, err := p.listen(cfg.HTTP.Addr)
	if err != nil {
		return err
	}
	errc := p.startGateway(tokens, ln)
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
	p.stopping() // closing then lets the requests in flight finish
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
