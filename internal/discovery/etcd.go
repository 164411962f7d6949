package discovery

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/discovery"
	"github.com/cloudwego/kitex/pkg/registry"
	"github.com/cloudwego/kitex/server"
	etcd "github.com/kitex-contrib/registry-etcd"
)

// Etcd registers each server under a lease (renewed while it runs, removed
// on shutdown) and resolves clients through etcd, so instances that start or
// stop later are picked up without restarting anything.
type Etcd struct {
	resolver discovery.Resolver
	registry registry.Registry
}

// NewEtcd connects to endpoints; leaseTTL (seconds) bounds how long a crashed
// instance stays registered.
func NewEtcd(endpoints []string, leaseTTL int) (*Etcd, error) {
	if leaseTTL > 0 {
		// registry-etcd reads its lease TTL from this variable only.
		os.Setenv("KITEX_ETCD_REGISTRY_LEASE_TTL", strconv.Itoa(leaseTTL))
	}
	opt := etcd.WithDialTimeoutOpt(3 * time.Second)
	res, err := etcd.NewEtcdResolver(endpoints, opt)
	if err != nil {
		return nil, fmt.Errorf("etcd resolver: %w", err)
	}
	reg, err := etcd.NewEtcdRegistry(endpoints, opt)
	if err != nil {
		return nil, fmt.Errorf("etcd registry: %w", err)
	}
	return &Etcd{resolver: res, registry: reg}, nil
}

func (e *Etcd) ClientOptions(string) []client.Option {
	return []client.Option{client.WithResolver(e.resolver)}
}

func (e *Etcd) ServerOptions(service string, addr net.Addr) []server.Option {
	return []server.Option{
		server.WithRegistry(e.registry),
		server.WithRegistryInfo(&registry.Info{ServiceName: service, Addr: addr, Weight: 10}),
	}
}
