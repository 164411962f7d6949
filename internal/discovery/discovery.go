// Package discovery is how services find each other, behind one interface:
// a static address book (Static: the embedded mode and the "static" registry
// driver) or the etcd registry (Etcd, the "etcd" driver).
package discovery

import (
	"context"
	"fmt"
	"net"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/server"
)

type Discovery interface {
	// ClientOptions make a Kitex client reach service.
	ClientOptions(service string) []client.Option
	// ServerOptions announce a Kitex server of service listening at addr.
	ServerOptions(service string, addr net.Addr) []server.Option
	// Reachable reports whether an instance of service accepts connections
	// (a readiness check: discovery knows one, and it answers a TCP dial).
	Reachable(ctx context.Context, service string) error
	// Announced reports whether this process's server of service is found
	// where callers look (nil where nothing needs announcing).
	Announced(ctx context.Context, service string) error
	// Withdraw stops announcing this process's server of service, before it
	// stops: callers stop picking it while it still answers.
	Withdraw(service string)
}

// dial opens and closes a connection to addr within ctx.
func dial(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// Static is an address book: service name to host:port.
type Static map[string]string

func (s Static) ClientOptions(service string) []client.Option {
	return []client.Option{client.WithHostPorts(s[service])}
}

func (s Static) ServerOptions(string, net.Addr) []server.Option { return nil }

func (s Static) Reachable(ctx context.Context, service string) error {
	a := s[service]
	if a == "" {
		return fmt.Errorf("no address for %s", service)
	}
	return dial(ctx, a)
}

func (s Static) Announced(context.Context, string) error { return nil }

func (s Static) Withdraw(string) {}
