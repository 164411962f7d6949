// Package app assembles the roles of the tiktok binary: each RPC service, the
// gateway, and the embedded mode that runs them all in one process.
package app

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/cloudwego/kitex/server"
	"gorm.io/gorm"

	"tiktok/internal/cache"
	"tiktok/internal/config"
	"tiktok/internal/db"
	"tiktok/internal/discovery"
	"tiktok/internal/rpc"
	"tiktok/internal/storage"
	"tiktok/kitex_gen/comment/commentservice"
	"tiktok/kitex_gen/favorite/favoriteservice"
	"tiktok/kitex_gen/feed/feedservice"
	"tiktok/kitex_gen/message/messageservice"
	"tiktok/kitex_gen/publish/publishservice"
	"tiktok/kitex_gen/relation/relationservice"
	"tiktok/kitex_gen/user/userservice"
	"tiktok/service/comment"
	"tiktok/service/favorite"
	"tiktok/service/feed"
	"tiktok/service/message"
	"tiktok/service/publish"
	"tiktok/service/relation"
	"tiktok/service/user"
)

type deps struct {
	cfg     *config.Config
	db      *gorm.DB
	cache   *cache.Cache
	clients *rpc.Clients
	store   storage.Storage
}

// serviceDef is all a service needs to be wired in: its tables and how to
// register its handler. Adding a service is one entry here plus its folder.
type serviceDef struct {
	models   func() []any
	register func(server.Server, deps) error
}

var defs = map[string]serviceDef{
	rpc.User: {user.Models, func(s server.Server, d deps) error {
		return userservice.RegisterService(s, &user.Handler{S: user.NewService(d.db, d.cache, d.cfg.PublicBase()+"/static/")})
	}},
	rpc.Feed: {nil, func(s server.Server, d deps) error {
		return feedservice.RegisterService(s, &feed.Handler{S: feed.NewService(d.clients.Publish)})
	}},
	rpc.Publish: {publish.Models, func(s server.Server, d deps) error {
		return publishservice.RegisterService(s, &publish.Handler{S: publish.NewService(d.db, d.cache, d.store)})
	}},
	rpc.Favorite: {favorite.Models, func(s server.Server, d deps) error {
		return favoriteservice.RegisterService(s, &favorite.Handler{S: favorite.NewService(d.db, d.cache, d.clients.Publish)})
	}},
	rpc.Comment: {comment.Models, func(s server.Server, d deps) error {
		return commentservice.RegisterService(s, &comment.Handler{S: comment.NewService(d.db, d.cache, d.clients.Publish)})
	}},
	rpc.Relation: {relation.Models, func(s server.Server, d deps) error {
		return relationservice.RegisterService(s, &relation.Handler{S: relation.NewService(d.db, d.cache, d.clients.User)})
	}},
	rpc.Message: {message.Models, func(s server.Server, d deps) error {
		return messageservice.RegisterService(s, &message.Handler{S: message.NewService(d.db, d.clients.User)})
	}},
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
	def, ok := defs[name]
	if !ok {
		return nil, fmt.Errorf("unknown service %q", name)
	}
	s := &Service{Name: name, done: make(chan error, 1)}
	if def.models != nil {
		gdb, err := db.Open(cfg, name, def.models()...)
		if err != nil {
			return nil, err
		}
		s.db = gdb
	}
	s.cache = cache.New(cache.Options{Addr: cfg.Redis.Addr, DB: cfg.Redis.DB, TTL: cfg.Redis.TTL, Timeout: cfg.Redis.Timeout,
		Local: oneProcess && cfg.Redis.Local, Near: name, NearTTL: cfg.Redis.NearTTL})
	opts := rpc.ServerOptions(cfg, name, addr, ln, d)
	// The caller decides when to stop (after the gateway drained), not Kitex's
	// own signal handler.
	opts = append(opts, server.WithExitSignal(func() <-chan error { return make(chan error) }))
	s.svr = server.NewServer(opts...)
	if err := def.register(s.svr, deps{cfg: cfg, db: s.db, cache: s.cache, clients: clients, store: store}); err != nil {
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
		return storage.NewMinIO(ctx, m.Endpoint, m.AccessKey, m.SecretKey, m.Bucket, m.UseSSL, m.PublicURL)
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
