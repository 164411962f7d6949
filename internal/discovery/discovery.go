// Package discovery is how services find each other, behind one interface:
// a static address book (Static: the embedded mode and the "static" registry
// driver) or the etcd registry (Etcd, the "etcd" driver).
package discovery

import (
	"net"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/server"
)

type Discovery interface {
	// ClientOptions make a Kitex client reach service.
	ClientOptions(service string) []client.Option
	// ServerOptions announce a Kitex server of service listening at addr.
	ServerOptions(service string, addr net.Addr) []server.Option
}

// Static is an address book: service name to host:port.
type Static map[string]string

func (s Static) ClientOptions(service string) []client.Option {
	return []client.Option{client.WithHostPorts(s[service])}
}

func (s Static) ServerOptions(string, net.Addr) []server.Option { return nil }
