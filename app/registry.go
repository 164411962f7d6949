package app

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/cloudwego/kitex/server"

	"tiktok/domain/chatpush"
	imedia "tiktok/domain/media"
	"tiktok/internal/config"
	"tiktok/internal/rpc"
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
	"tiktok/worker/media"
)

// Role is one RPC service of the registry: its name (the subcommand, the
// discovery name, the database name), the port it takes by default in the
// per-role deployment, the services it calls, the tables it owns, and how its
// Kitex handler is built on what it depends on.
type Role struct {
	Name string
	// Port: services.<name> defaults to 127.0.0.1:Port.
	Port int
	// Calls are the services it calls: only those accept its credentials
	// (Policy), and the chart's NetworkPolicies admit it only to those.
	Calls    []string
	Schema   fs.FS // the service's migrations (db.Open); nil: no tables
	Register func(ctx context.Context, s server.Server, d Deps) error
}

// Registry lists every RPC service, in start order. It is the one list: the
// binary's subcommands, the embedded mode, the scripts (`tiktok roles`) and
// the tests all read it. A new service is its folder under service/, its IDL
// (make gen) and one entry here; if other roles call it, a field in Clients
// (clients.go) and its name in their Calls.
var Registry = []Role{
	{Name: User, Port: 9101, Schema: user.Schema, Register: func(_ context.Context, s server.Server, d Deps) error {
		svc, err := user.New(user.Options{DB: d.DB, Cache: d.Cache, StaticBase: d.Config.PublicBase() + "/static/",
			PasswordHashes: d.Config.Limits.PasswordHashes, PasswordHashQueue: d.Config.Limits.PasswordHashQueue})
		if err != nil {
			return err
		}
		return userservice.RegisterService(s, svc)
	}},
	{Name: Publish, Port: 9103, Schema: publish.Schema, Register: func(_ context.Context, s server.Server, d Deps) error {
		u := d.Config.Upload
		svc, err := publish.New(publish.Options{DB: d.DB, Cache: d.Cache, Storage: d.Storage,
			Media: imedia.New(imedia.LimitsFrom(d.Config)), Queue: d.Queue,
			DedupWindow: u.DedupWindow, DailyQuota: u.DailyQuota, WaitReady: u.WaitReady})
		if err != nil {
			return err
		}
		return publishservice.RegisterService(s, svc)
	}},
	{Name: Feed, Port: 9102, Calls: []string{Publish}, Register: func(_ context.Context, s server.Server, d Deps) error {
		svc, err := feed.New(feed.Options{Publish: d.Clients.Publish})
		if err != nil {
			return err
		}
		return feedservice.RegisterService(s, svc)
	}},
	{Name: Favorite, Port: 9104, Calls: []string{Publish}, Schema: favorite.Schema, Register: func(ctx context.Context, s server.Server, d Deps) error {
		svc, err := favorite.New(ctx, favorite.Options{DB: d.DB, Cache: d.Cache, Publish: d.Clients.Publish})
		if err != nil {
			return err
		}
		return favoriteservice.RegisterService(s, svc)
	}},
	{Name: Comment, Port: 9105, Calls: []string{Publish}, Schema: comment.Schema, Register: func(ctx context.Context, s server.Server, d Deps) error {
		svc, err := comment.New(ctx, comment.Options{DB: d.DB, Cache: d.Cache, Publish: d.Clients.Publish})
		if err != nil {
			return err
		}
		return commentservice.RegisterService(s, svc)
	}},
	{Name: Relation, Port: 9106, Calls: []string{User}, Schema: relation.Schema, Register: func(ctx context.Context, s server.Server, d Deps) error {
		svc, err := relation.New(ctx, relation.Options{DB: d.DB, Cache: d.Cache, User: d.Clients.User})
		if err != nil {
			return err
		}
		return relationservice.RegisterService(s, svc)
	}},
	{Name: Message, Port: 9107, Calls: []string{User}, Schema: message.Schema, Register: func(_ context.Context, s server.Server, d Deps) error {
		svc, err := message.New(message.Options{DB: d.DB, User: d.Clients.User,
			Push: chatpush.NewPublisher(d.NATS, d.Config.Push.Subject)}) // chat push (domain/chatpush)
		if err != nil {
			return err
		}
		return messageservice.RegisterService(s, svc)
	}},
}

// Worker is a role that is not an RPC service: it serves no calls and
// registers nowhere; it works on the job queue, calling services as its own
// role (Clients signed as Name). `tiktok <name>` runs it, `tiktok roles`
// lists it after the services (so scripts/cluster.sh starts it), and `tiktok
// serve` runs each one in its process.
type Worker struct {
	Name string
	// AdminPort: admin.addr defaults to 127.0.0.1:AdminPort.
	AdminPort int
	// Calls are the services it calls (see Role.Calls).
	Calls []string
	// New builds the worker on d; it fails when d lacks what it needs.
	New func(d Deps) (Runner, error)
}

// Runner is a built worker: Run works until ctx ends.
type Runner interface{ Run(ctx context.Context) }

// Workers lists the roles that are not RPC services.
var Workers = []Worker{
	{Name: Media, AdminPort: 9208, Calls: []string{Publish}, New: func(d Deps) (Runner, error) {
		w, err := media.New(media.Options{Queue: d.Queue, Videos: d.Clients.Publish, Storage: d.Storage,
			Workers: d.Config.Transcode.Workers, KeepOriginal: d.Config.Upload.KeepOriginal,
			Limits: imedia.LimitsFrom(d.Config), Output: imedia.OutputFrom(d.Config)})
		if err != nil {
			return nil, err // not a nil *Worker in a non-nil Runner
		}
		return w, nil
	}},
}

// LookupWorker returns the worker role name.
func LookupWorker(name string) (Worker, bool) {
	for _, w := range Workers {
		if w.Name == name {
			return w, true
		}
	}
	return Worker{}, false
}

// GatewayAdminPort is the gateway's (and serve's) default admin port; a
// service's is its RPC port + 100.
const GatewayAdminPort = 9200

// AdminAddr is where role's admin listener binds: admin.addr, else
// 127.0.0.1 and the role's default admin port; "" when admin.addr is "off".
func AdminAddr(cfg *config.Config, role string) string {
	switch cfg.Admin.Addr {
	case "off":
		return ""
	case "":
	default:
		return cfg.Admin.Addr
	}
	port := GatewayAdminPort
	if r, ok := Lookup(role); ok {
		port = r.Port + 100
	} else if w, ok := LookupWorker(role); ok {
		port = w.AdminPort
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// Names are the registry's service names, in start order.
func Names() []string {
	out := make([]string, len(Registry))
	for i, r := range Registry {
		out[i] = r.Name
	}
	return out
}

// Lookup returns the registry entry of name.
func Lookup(name string) (Role, bool) {
	for _, r := range Registry {
		if r.Name == name {
			return r, true
		}
	}
	return Role{}, false
}

// Gateway is the HTTP gateway's role; it calls every service.
const Gateway = "gateway"

// EmbeddedRole is the caller role of `tiktok serve`, the one process that is
// every role at once: it calls every service.
const EmbeddedRole = "tiktok"

// Policy is the RPC credential table, from the registry: each role may call
// the services in its Calls, the gateway and the embedded mode every service.
func Policy() rpc.Policy {
	p := rpc.Policy{Gateway: Names(), EmbeddedRole: Names()}
	for _, r := range Registry {
		if len(r.Calls) > 0 {
			p[r.Name] = r.Calls
		}
	}
	for _, w := range Workers {
		if len(w.Calls) > 0 {
			p[w.Name] = w.Calls
		}
	}
	return p
}
