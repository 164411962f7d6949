package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

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

// proc is one process of the binary and what its roles are built on: its
// admin listener, discovery, RPC clients, object storage and NATS bus. Every
// step that acquires something pushes its undo; close runs them in reverse,
// so a start-up failing midway leaves nothing open, and a shutdown stops the
// roles before what they use. The per-role commands (setup) and serve
// (Embedded) are made of the same steps and start roles through the same
// functions (startService, startWorker, startGateway).
type proc struct {
	cfg *config.Config
	// oneProcess: this process runs every role and the only instance of
	// each (serve).
	oneProcess bool
	admin      *admin.Server
	disc       discovery.Discovery
	clients    *Clients
	store      storage.Storage
	bus        *Bus
	undo       []func(context.Context) error
}

func newProc(cfg *config.Config) *proc {
	return &proc{cfg: cfg, admin: admin.New(admin.Options{Pprof: cfg.Admin.Pprof, CheckTimeout: cfg.Admin.CheckTimeout})}
}

// onClose pushes f on the undo stack.
func (p *proc) onClose(f func()) {
	p.onCloseCtx(func(context.Context) error { f(); return nil })
}

// onCloseCtx pushes f, which may wait within ctx or fail, on the undo stack.
func (p *proc) onCloseCtx(f func(context.Context) error) { p.undo = append(p.undo, f) }

// close runs the undo stack in reverse, once, and returns what failed.
func (p *proc) close(ctx context.Context) error {
	var errs []error
	for i := len(p.undo) - 1; i >= 0; i-- {
		errs = append(errs, p.undo[i](ctx))
	}
	p.undo = nil
	return errors.Join(errs...)
}

// closeOnError closes the process when *err is set: deferred by a start-up.
func (p *proc) closeOnError(err *error) {
	if *err != nil {
		_ = p.close(context.Background())
	}
}

// end closes the process, giving its roles 10 s to drain, and adds what
// failed to *err: deferred by a role command.
func (p *proc) end(err *error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	*err = errors.Join(*err, p.close(ctx))
}

// setup is what every process of the per-role deployment does before its
// role: the checks of its secrets, tracing, its admin listener, discovery,
// RPC clients signed as the role, object storage and the NATS bus.
func (p *proc) setup(ctx context.Context, role string) error {
	cfg := p.cfg
	if err := rpc.CheckSecret(cfg); err != nil {
		return err
	}
	if err := p.trace(ctx, role, cfg.Tracing.Endpoint); err != nil {
		return err
	}
	// The admin listener comes up first: /healthz answers while the role
	// starts (migrations may take a while), /readyz says 503 until it has.
	if err := p.listenAdmin(role); err != nil {
		return err
	}
	d, err := Discovery(cfg)
	if err != nil {
		return err
	}
	if err := p.connect(d, role); err != nil {
		return err
	}
	return p.connectBus(role)
}

// trace sets up tracing as name, exporting to endpoint ("": none); closing
// sends the spans still buffered.
func (p *proc) trace(ctx context.Context, name, endpoint string) error {
	shutdown, err := tracing.Init(ctx, name, endpoint)
	if err != nil {
		return err
	}
	p.onClose(func() { flush(shutdown) })
	return nil
}

// listenAdmin starts the admin listener at role's admin address (none when
// admin.addr is "off").
func (p *proc) listenAdmin(role string) error {
	addr := AdminAddr(p.cfg, role)
	if addr == "" {
		return nil
	}
	if err := p.admin.Listen(addr); err != nil {
		return err
	}
	p.onClose(p.admin.Close)
	logx.L().Info("admin listener", zap.String("role", role), zap.String("addr", p.admin.Addr()))
	return nil
}

// listen binds addr until the process closes (or the server given the
// listener closes it first).
func (p *proc) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p.onClose(func() { _ = ln.Close() })
	return ln, nil
}

// connect makes the clients of every service found through d, calling as
// role caller, and opens the object storage.
func (p *proc) connect(d discovery.Discovery, caller string) (err error) {
	p.disc = d
	if p.clients, err = NewClients(p.cfg, d, caller); err != nil {
		return err
	}
	p.store, err = NewStorage(p.cfg)
	return err
}

// tokens signs and checks the gateway's tokens with key. Logouts reach every
// gateway instance through Redis; without it they hold in this process only.
func (p *proc) tokens(key []byte) *auth.Tokens {
	cfg := p.cfg
	t := auth.New(key, cfg.Auth.TokenTTL)
	if cfg.Redis.Addr != "" {
		t.ShareRevocations(cfg.Redis.Addr, cfg.Redis.DB, cfg.Redis.Timeout)
	}
	p.onClose(t.Close)
	return t
}

// deps is what the process's roles are built on.
func (p *proc) deps() Deps {
	return Deps{Config: p.cfg, Clients: p.clients, Storage: p.store, NATS: p.bus.NATS, Queue: p.bus.Queue}
}

// startWorker builds worker role w and runs it until the process closes,
// which gives the jobs in hand back to the queue.
func (p *proc) startWorker(ctx context.Context, w Worker) error {
	r, err := w.New(p.deps())
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(wctx)
	}()
	p.onClose(func() {
		cancel()
		<-done
	})
	return nil
}

// startGateway serves the HTTP gateway on ln, its tokens signed with tokens,
// until the process closes, which lets the requests in flight finish. The
// channel has the server's error should it stop by itself.
func (p *proc) startGateway(tokens *auth.Tokens, ln net.Listener) <-chan error {
	gw := gateway.New(p.cfg, p.clients.forGateway(), tokens, p.store)
	gw.StreamChats(p.bus.NATS)
	srv := httpserver.New(p.cfg, gw.Router())
	srv.RegisterOnShutdown(gw.Close) // open chat streams end, so shutdown can finish
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	p.onCloseCtx(func(ctx context.Context) error {
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	return errc
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

// flush sends the spans still buffered before the process exits.
func flush(shutdown func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = shutdown(ctx)
}
