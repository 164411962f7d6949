// Package app assembles the roles of the tiktok binary: each RPC service, the
// gateway, and the embedded mode that runs them all in one process.
package app

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/cloudwego/kitex/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"gorm.io/gorm"

	"tiktok/internal/cache"
	"tiktok/internal/config"
	"tiktok/internal/db"
	"tiktok/internal/logx"
	"tiktok/internal/queue"
	"tiktok/internal/rpc"
	"tiktok/internal/storage"
)

// Deps is what a role is built on.
type Deps struct {
	Config  *config.Config
	DB      *gorm.DB
	Cache   *cache.Cache
	Clients *Clients
	Storage storage.Storage
	// NATS is the process's one connection to NATS (queue.Connect, or the
	// embedded server's in serve), shared by every user of NATS in it: the
	// job queue, and any other (chat push). It reconnects by itself.
	NATS *nats.Conn
	// Queue is the video pipeline's job queue on NATS.
	Queue *queue.Queue
}

// Service is one running RPC service.
type Service struct {
	Name  string
	svr   server.Server
	db    *gorm.DB
	cache *cache.Cache
	// stop asks the server to stop (Kitex's exit signal); started is when
	// it was asked to run.
	stop    chan error
	started time.Time
	// done is closed once the server stopped serving (by Stop, or failing
	// to, as on a port that is taken); err is why.
	done chan struct{}
	err  error
}

// startService opens name's database and serves it on ln, or when ln is nil
// on addr (Kitex binds it), until the process closes. The per-role command
// and serve (which gives the listener it bound) start services through it.
func (p *proc) startService(name string, addr net.Addr, ln net.Listener) (*Service, error) {
	def, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown service %q", name)
	}
	cfg := p.cfg
	s := &Service{Name: name, stop: make(chan error, 1), done: make(chan struct{})}
	if def.Schema != nil {
		gdb, err := db.Open(cfg, name, def.Schema)
		if err != nil {
			return nil, err
		}
		s.db = gdb
	}
	// With no Redis configured, the only process running every service (the
	// embedded mode) caches in memory, which only holds while no other
	// process writes.
	s.cache = cache.New(cache.Options{Addr: cfg.Redis.Addr, DB: cfg.Redis.DB, TTL: cfg.Redis.TTL, Timeout: cfg.Redis.Timeout,
		Local: p.oneProcess && cfg.Redis.Local, Service: name, NearTTL: cfg.Redis.NearTTL})
	opts := rpc.ServerOptions(cfg, name, addr, ln, p.disc, Policy())
	// The caller decides when to stop (after the gateway drained), not Kitex's
	// own signal handler. Stop goes through the exit signal, which Run heeds
	// from the moment it serves: the server's own Stop, called before Run
	// got that far (a start-up failing right after), would be a no-op that
	// leaves it serving.
	opts = append(opts, server.WithExitSignal(func() <-chan error { return s.stop }))
	s.svr = server.NewServer(opts...)
	// Bounded: a constructor may rebuild counters of an old database.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	d := p.deps()
	d.DB, d.Cache = s.db, s.cache
	if err := def.Register(ctx, s.svr, d); err != nil {
		s.close()
		return nil, err
	}
	s.started = time.Now()
	go func() {
		s.err = s.svr.Run()
		close(s.done)
	}()
	p.onCloseCtx(func(ctx context.Context) error {
		s.Stop(ctx)
		return nil
	})
	return s, nil
}

// Ping checks that the service's database answers (a readiness check).
func (s *Service) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// serveDelay is how long after Run a Kitex server surely serves: Run
// starts serving from a goroutine of its own, and a stop that comes before
// that is lost (the server serves on, its listener open). Kitex waits as
// long before it registers a server in discovery, for the same reason.
const serveDelay = time.Second

// Stop lets in-flight calls finish (within ctx), then closes the database.
// A service stopped right after its start (a start-up failing at a later
// step) is first given until serveDelay to serve, so the stop is not lost.
func (s *Service) Stop(ctx context.Context) {
	if wait := time.Until(s.started.Add(serveDelay)); wait > 0 {
		select {
		case <-time.After(wait):
		case <-s.done:
		case <-ctx.Done():
		}
	}
	select {
	case s.stop <- nil:
	default: // asked already
	}
	select {
	case <-s.done:
	case <-ctx.Done():
	}
	s.close()
}

func (s *Service) close() {
	if s.db != nil {
		db.Close(s.db)
	}
	s.cache.Close()
}

// Bus is a process's NATS connection and the job queue on it.
type Bus struct {
	NATS  *nats.Conn
	Queue *queue.Queue
}

// connectBus connects role to the configured NATS server (it does not fail
// while NATS is down: the connection keeps trying, see queue.Connect).
func (p *proc) connectBus(role string) error {
	nc, err := queue.Connect(p.cfg, nats.Name("tiktok "+role))
	if err != nil {
		return fmt.Errorf("nats %s: %w", p.cfg.Queue.URL, err)
	}
	return p.useBus(nc)
}

// embedBus starts NATS with JetStream inside the process, stored in dir, and
// connects to it: the same queue code as a deployment's, nothing to install.
func (p *proc) embedBus(dir string) error {
	srv, err := queue.StartServer(dir)
	if err != nil {
		return err
	}
	p.onClose(srv.Shutdown)
	nc, err := srv.Connect(nats.Name("tiktok serve"))
	if err != nil {
		return err
	}
	return p.useBus(nc)
}

// useBus makes nc, with the job queue on it, the process's bus; closing the
// process drains it.
func (p *proc) useBus(nc *nats.Conn) error {
	q, err := queue.New(nc, queue.OptionsFrom(p.cfg))
	if err != nil {
		nc.Close()
		return err
	}
	p.bus = &Bus{NATS: nc, Queue: q}
	p.onClose(p.bus.Close)
	p.bus.ensure()
	return nil
}

// ensure creates or updates the job stream and consumer now, so they exist
// from the start; with NATS down that waits for the first use after it is
// back (a role does not refuse to start for it).
func (b *Bus) ensure() {
	if !b.NATS.IsConnected() {
		logx.L().Warn("nats not reachable yet; the job queue is set up once it is")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Queue.Ensure(ctx); err != nil {
		logx.L().Warn("job queue not set up yet", zap.Error(err))
	}
}

// Close drains the connection: what was published reaches NATS first.
func (b *Bus) Close() { _ = b.NATS.Drain() }

// NewStorage returns the configured object storage.
func NewStorage(cfg *config.Config) (storage.Storage, error) {
	switch cfg.Storage.Driver {
	case "minio":
		m := cfg.Storage.MinIO
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := storage.NewMinIO(ctx, m.Endpoint, m.AccessKey, m.SecretKey, m.Bucket, m.UseSSL, m.PublicURL)
		if err != nil {
			return nil, err
		}
		sweepUploads(ctx, s, cfg)
		return s, nil
	case "local", "":
		dir := cfg.Storage.Dir
		if dir == "" {
			dir = cfg.DataDir + "/media"
		}
		return storage.NewLocal(dir, cfg.MediaBaseURL())
	default:
		return nil, fmt.Errorf("unknown storage driver %q", cfg.Storage.Driver)
	}
}

// sweepUploads aborts the multipart uploads left by a process killed while
// uploading: those begun more than twice the longest an upload may take ago
// (upload.stall_timeout + upload.max_bytes / upload.min_rate), which no live
// upload is. A failure is only logged: the role starts anyway.
func sweepUploads(ctx context.Context, s *storage.MinIO, cfg *config.Config) {
	u := cfg.Upload
	longest := u.StallTimeout + time.Hour
	if u.MinRate > 0 {
		longest = u.StallTimeout + time.Duration(u.MaxBytes/u.MinRate)*time.Second
	}
	n, err := s.SweepIncomplete(ctx, time.Now().Add(-2*longest))
	if err != nil {
		logx.L().Warn("leftover uploads not swept", zap.Error(err))
	} else if n > 0 {
		logx.L().Info("aborted leftover uploads", zap.Int("uploads", n))
	}
}
