// Package app assembles the roles of the tiktok binary: each RPC service, the
// gateway, and the embedded mode that runs them all in one process.
package app

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/cloudwego/kitex/server"
	"go.uber.org/zap"
	"gorm.io/gorm"

	"tiktok/internal/cache"
	"tiktok/internal/config"
	"tiktok/internal/db"
	"tiktok/internal/discovery"
	"tiktok/internal/logx"
	"tiktok/internal/rpc"
	"tiktok/internal/storage"
)

// Deps is what a service's handler is built on.
type Deps struct {
	Config  *config.Config
	DB      *gorm.DB
	Cache   *cache.Cache
	Clients *rpc.Clients
	Storage storage.Storage
}

// Service is one running RPC service.
type Service struct {
	Name  string
	svr   server.Server
	db    *gorm.DB
	cache *cache.Cache
	done  chan error
}

// StartService opens name's database and serves it on ln (or on addr when ln
// is nil) until Stop. oneProcess says this process runs every service and the
// only instance of each (the embedded mode): with no Redis configured it then
// caches in memory, which only holds while no other process writes.
func StartService(cfg *config.Config, name string, addr net.Addr, ln net.Listener, d discovery.Discovery,
	clients *rpc.Clients, store storage.Storage, oneProcess bool) (*Service, error) {
	def, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown service %q", name)
	}
	s := &Service{Name: name, done: make(chan error, 1)}
	if def.Schema != nil {
		gdb, err := db.Open(cfg, name, def.Schema)
		if err != nil {
			return nil, err
		}
		s.db = gdb
	}
	s.cache = cache.New(cache.Options{Addr: cfg.Redis.Addr, DB: cfg.Redis.DB, TTL: cfg.Redis.TTL, Timeout: cfg.Redis.Timeout,
		Local: oneProcess && cfg.Redis.Local, Service: name, NearTTL: cfg.Redis.NearTTL})
	opts := rpc.ServerOptions(cfg, name, addr, ln, d)
	// The caller decides when to stop (after the gateway drained), not Kitex's
	// own signal handler.
	opts = append(opts, server.WithExitSignal(func() <-chan error { return make(chan error) }))
	s.svr = server.NewServer(opts...)
	// Bounded: a constructor may rebuild counters of an old database.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := def.Register(ctx, s.svr, Deps{Config: cfg, DB: s.db, Cache: s.cache, Clients: clients, Storage: store}); err != nil {
		s.close()
		return nil, err
	}
	go func() { s.done <- s.svr.Run() }()
	return s, nil
}

// Stop lets in-flight calls finish, then closes the database.
func (s *Service) Stop(ctx context.Context) {
	_ = s.svr.Stop()
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
