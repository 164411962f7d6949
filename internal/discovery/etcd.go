package discovery

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
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

	mu        sync.Mutex
	announced map[string]*registry.Info // this process's servers, by service
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
	return &Etcd{resolver: res, registry: reg, announced: map[string]*registry.Info{}}, nil
}

func (e *Etcd) ClientOptions(string) []client.Option {
	return []client.Option{client.WithResolver(e.resolver)}
}

func (e *Etcd) ServerOptions(service string, addr net.Addr) []server.Option {
	return []server.Option{
		server.WithRegistry(&noting{Registry: e.registry, e: e}),
		// SkipListenAddr: Kitex would put the listen address (0.0.0.0 in a
		// pod) over addr, which is the advertised one (rpc.AdvertiseAddr).
		server.WithRegistryInfo(&registry.Info{ServiceName: service, Addr: addr, Weight: 10, SkipListenAddr: true}),
	}
}

// Reachable resolves service in etcd and dials one of its instances.
func (e *Etcd) Reachable(ctx context.Context, service string) error {
	res, err := e.resolver.Resolve(ctx, service)
	if err != nil {
		return err
	}
	if len(res.Instances) == 0 {
		return fmt.Errorf("no instance of %s registered", service)
	}
	var last error
	for _, in := range res.Instances {
		if last = dial(ctx, in.Address().String()); last == nil {
			return nil
		}
	}
	return last
}

// Announced resolves service in etcd and looks for this process's own
// address: a lease lost (etcd unreachable past its TTL) fails it.
func (e *Etcd) Announced(ctx context.Context, service string) error {
	e.mu.Lock()
	info := e.announced[service]
	e.mu.Unlock()
	if info == nil || info.Addr == nil {
		return fmt.Errorf("%s not registered yet", service)
	}
	res, err := e.resolver.Resolve(ctx, service)
	if err != nil {
		return err
	}
	for _, in := range res.Instances {
		if in.Address().String() == info.Addr.String() {
			return nil
		}
	}
	return fmt.Errorf("%s at %s not found in etcd", service, info.Addr)
}

// Withdraw deregisters this process's server of service now; Kitex's own
// deregistration at Stop then finds nothing left to do.
func (e *Etcd) Withdraw(service string) {
	e.mu.Lock()
	info := e.announced[service]
	delete(e.announced, service)
	e.mu.Unlock()
	if info != nil {
		_ = e.registry.Deregister(info)
	}
}

// noting is the registry with a note of what this process has announced.
type noting struct {
	registry.Registry
	e *Etcd
}

func (n *noting) Register(info *registry.Info) error {
	err := n.Registry.Register(info)
	if err == nil && info != nil {
		n.e.mu.Lock()
		n.e.announced[info.ServiceName] = info
		n.e.mu.Unlock()
	}
	return err
}

func (n *noting) Deregister(info *registry.Info) error {
	if info != nil {
		n.e.mu.Lock()
		delete(n.e.announced, info.ServiceName)
		n.e.mu.Unlock()
	}
	return n.Registry.Deregister(info)
}
