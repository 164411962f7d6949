package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

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

// RunService runs one RPC service as its own process until ctx ends.
func RunService(ctx context.Context, cfg *config.Config, name string) error {
	if err := rpc.CheckSecret(cfg); err != nil {
		return err
	}
	shutdown, err := tracing.Init(ctx, name, cfg.Tracing.Endpoint)
	if err != nil {
		return err
	}
	defer flush(shutdown)
	d, err := Discovery(cfg)
	if err != nil {
		return err
	}
	role, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("unknown service %q", name)
	}
	addr, err := net.ResolveTCPAddr("tcp", cfg.ServiceAddr(name, role.Port))
	if err != nil {
		return fmt.Errorf("services.%s: %w", name, err)
	}
	clients, err := rpc.NewClients(cfg, d, name)
	if err != nil {
		return err
	}
	store, err := NewStorage(cfg)
	if err != nil {
		return err
	}
	bus, err := ConnectBus(cfg, name)
	if err != nil {
		return err
	}
	defer bus.Close()
	s, err := StartService(cfg, name, addr, nil, d, clients, store, bus.NATS, bus.Queue, false)
	if err != nil {
		return err
	}
	logx.L().Info("service started", zap.String("service", name), zap.String("addr", addr.String()))
	select {
	case <-ctx.Done():
	case err = <-s.done:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.Stop(sctx)
	return nil
}

// RunWorker runs a worker role (app.Workers) alone until ctx ends. It needs
// no address: it pulls its work from NATS and calls services found through
// discovery.
func RunWorker(ctx context.Context, cfg *config.Config, name string) error {
	w, ok := LookupWorker(name)
	if !ok {
		return fmt.Errorf("unknown role %q", name)
	}
	if err := rpc.CheckSecret(cfg); err != nil {
		return err
	}
	if err := media.Check(); err != nil {
		return err
	}
	shutdown, err := tracing.Init(ctx, name, cfg.Tracing.Endpoint)
	if err != nil {
		return err
	}
	defer flush(shutdown)
	d, err := Discovery(cfg)
	if err != nil {
		return err
	}
	clients, err := rpc.NewClients(cfg, d, name)
	if err != nil {
		return err
	}
	store, err := NewStorage(cfg)
	if err != nil {
		return err
	}
	bus, err := ConnectBus(cfg, name)
	if err != nil {
		return err
	}
	defer bus.Close()
	logx.L().Info("worker started", zap.String("role", name), zap.String("nats", cfg.Queue.URL))
	w.Run(ctx, Deps{Config: cfg, Clients: clients, Storage: store, NATS: bus.NATS, Queue: bus.Queue})
	return nil
}

// RunGateway runs the HTTP gateway alone until ctx ends.
func RunGateway(ctx context.Context, cfg *config.Config) error {
	if err := auth.CheckKey(cfg.Auth.Secret); err != nil {
		return err
	}
	if err := rpc.CheckSecret(cfg); err != nil {
		return err
	}
	shutdown, err := tracing.Init(ctx, "gateway", cfg.Tracing.Endpoint)
	if err != nil {
		return err
	}
	defer flush(shutdown)
	d, err := Discovery(cfg)
	if err != nil {
		return err
	}
	clients, err := rpc.NewClients(cfg, d, "gateway")
	if err != nil {
		return err
	}
	store, err := NewStorage(cfg)
	if err != nil {
		return err
	}
	tokens := auth.New([]byte(cfg.Auth.Secret), cfg.Auth.TokenTTL)
	// Logouts reach every gateway instance through Redis; without it they
	// hold on this instance only.
	if cfg.Redis.Addr != "" {
		tokens.ShareRevocations(cfg.Redis.Addr, cfg.Redis.DB, cfg.Redis.Timeout)
	}
	defer tokens.Close()
	bus, err := ConnectBus(cfg, "gateway")
	if err != nil {
		return err
	}
	defer bus.Close()
	gw := gateway.New(cfg, clients, tokens, store)
	gw.StreamChats(bus.NATS)
	srv := httpserver.New(cfg, gw.Router())
	srv.RegisterOnShutdown(gw.Close) // open chat streams end, so shutdown can finish
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logx.L().Info("gateway started", zap.String("url", "http://"+cfg.HTTP.Addr))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// flush sends the spans still buffered before the process exits.
func flush(shutdown func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = shutdown(ctx)
}
