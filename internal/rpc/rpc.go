// Package rpc is the Kitex transport every role shares, the options of its
// clients and servers: TTHeader transport (carries business errors, the
// request id and the service credential), bounded timeouts, logging of
// failed calls, and the credential check that makes a server answer only the
// deployment's own roles, as the Policy it is given allows (credential.go).
package rpc

import (
	"context"
	"fmt"
	"net"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/connpool"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/pkg/serviceinfo"
	"github.com/cloudwego/kitex/pkg/transmeta"
	"github.com/cloudwego/kitex/server"
	"github.com/cloudwego/kitex/transport"
	"go.uber.org/zap"

	"tiktok/internal/config"
	"tiktok/internal/discovery"
	"tiktok/internal/errno"
	"tiktok/internal/logx"
	"tiktok/internal/tracing"
)

// Caller makes the options of the Kitex clients of one calling role: the
// credentials they carry name that role (see SignedBy). The composition
// layer builds its typed clients with it.
type Caller struct {
	cfg  *config.Config
	d    discovery.Discovery
	role string
}

// NewCaller checks rpc.secret and the role's name, which goes into every
// credential.
func NewCaller(cfg *config.Config, d discovery.Discovery, role string) (*Caller, error) {
	if err := CheckSecret(cfg); err != nil {
		return nil, err
	}
	if !validRole(role) {
		return nil, fmt.Errorf("bad caller role %q", role)
	}
	return &Caller{cfg: cfg, d: d, role: role}, nil
}

// ClientOptions are the options of a client of service svc (its discovery
// name), whose methods info lists. The methods in once are never retried: a
// second run would act twice (see retryPolicies). Kitex clients connect
// lazily, so a client for a service that is down costs nothing until it is
// called.
func (c *Caller) ClientOptions(svc string, info *serviceinfo.ServiceInfo, once map[string]bool) []client.Option {
	cfg := c.cfg
	o := []client.Option{retryPolicies(info, once, cfg.RPC.Timeout), client.WithLoadBalancer(newBalancer())}
	if cfg.Admin.Metrics {
		o = append(o, client.WithMiddleware(clientMetrics(svc)))
	}
	o = append(o,
		client.WithTransportProtocol(transport.TTHeader),
		client.WithMetaHandler(transmeta.ClientTTHeaderHandler),
		SignedBy(cfg.RPC.Secret, c.role, svc),
		client.WithConnectTimeout(cfg.RPC.ConnectTimeout),
		client.WithClientBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: c.role}),
		client.WithMiddleware(callTimeout(cfg.RPC.Timeout)),
		client.WithMiddleware(clientLog),
	)
	if cfg.RPC.MuxConnections > 0 {
		o = append(o, client.WithMuxConnection(cfg.RPC.MuxConnections))
	} else {
		o = append(o, client.WithLongConnection(connpool.IdleConfig{MinIdlePerAddress: 2,
			MaxIdlePerAddress: max(cfg.RPC.IdlePerAddress, 1), MaxIdleTimeout: time.Minute}))
	}
	if cfg.Tracing.Endpoint != "" {
		o = append(o, client.WithMiddleware(tracing.ClientMiddleware))
	}
	return append(o, c.d.ClientOptions(svc)...)
}

// ServerOptions are the options of every service's Kitex server. ln, when not
// nil, is a listener the caller opened (the embedded mode picks free ports);
// otherwise the server binds addr exactly (services.<name>, loopback by
// default) and announces AdvertiseAddr (rpc.advertise). Every call must carry
// a credential signed with rpc.secret for this service by a role that policy
// allows to call it; without rpc.secret every call is refused.
func ServerOptions(cfg *config.Config, service string, addr net.Addr, ln net.Listener, d discovery.Discovery,
	policy Policy) []server.Option {
	var o []server.Option
	if cfg.Admin.Metrics {
		o = append(o, server.WithMiddleware(serverMetrics(service)))
	}
	o = append(o,
		server.WithServerBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: service}),
		server.WithMetaHandler(transmeta.ServerTTHeaderHandler),
		server.WithMiddleware(newCredVerifier(cfg.RPC.Secret, service, policy).middleware),
		server.WithMiddleware(tracing.ServerMiddleware),
		server.WithMiddleware(serverRecover),
		server.WithExitWaitTime(3*time.Second),
	)
	if cfg.RPC.MuxConnections > 0 {
		o = append(o, server.WithMuxTransport())
	}
	announce := addr
	if ln != nil {
		o = append(o, server.WithListener(ln))
		announce = ln.Addr()
	} else {
		o = append(o, server.WithServiceAddr(addr))
		if tcp, ok := addr.(*net.TCPAddr); ok {
			// RunService has checked it already; an error leaves addr.
			if a, err := AdvertiseAddr(cfg.RPC.Advertise, tcp); err == nil {
				announce = a
			}
		}
	}
	return append(o, d.ServerOptions(service, announce)...)
}

// callTimeout bounds each call by d where the transport enforces it (the
// response read), instead of through client.WithRPCTimeout. With that option
// Kitex runs every call on a goroutine of its timeout pool and waits for it,
// two goroutine switches per call; without it, and with a context that has
// no Done channel (see Detach), the call runs on the caller's goroutine. The
// transport reads the timeout from the call's config, which is set here,
// after Kitex's timeout middleware has looked at it.
func callTimeout(d time.Duration) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			if ri := rpcinfo.GetRPCInfo(ctx); ri != nil {
				if c := rpcinfo.AsMutableRPCConfig(ri.Config()); c != nil {
					_ = c.SetRPCTimeout(d)
				}
			}
			return next(ctx, req, resp)
		}
	}
}

// Detach returns ctx without its cancellation, for making calls: every call
// is bounded by rpc.timeout anyway, and a context that cannot be cancelled
// lets Kitex make the call on the caller's goroutine (see callTimeout).
func Detach(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// Calls counts RPCs made by this process; tests use it to prove that a page
// costs a fixed number of calls whatever its length.
var Calls atomic.Int64

// clientLog counts calls and logs failed calls other than business errors, with the request id.
func clientLog(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, req, resp any) error {
		Calls.Add(1)
		err := next(ctx, req, resp)
		if err != nil {
			if _, biz := kerrors.FromBizStatusError(err); !biz {
				ri := rpcinfo.GetRPCInfo(ctx)
				logx.Ctx(ctx).Warn("rpc failed", zap.String("service", ri.To().ServiceName()),
					zap.String("method", ri.To().Method()), zap.Error(err))
			}
		}
		return err
	}
}

// serverRecover turns a handler panic or a plain error (a database failure,
// say) into the "internal error" business status, after logging its detail
// here. The caller then sees code 10009 rather than a transport failure,
// which it would report as "service unavailable".
func serverRecover(next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, req, resp any) (err error) {
		defer func() {
			if r := recover(); r != nil {
				logx.Ctx(ctx).Error("panic in handler", zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
				err = asBizStatus(ctx, errno.Internal())
			}
		}()
		err = next(ctx, req, resp)
		if err != nil {
			ri := rpcinfo.GetRPCInfo(ctx)
			logx.Ctx(ctx).Error("handler failed", zap.String("method", ri.To().Method()), zap.Error(err))
			err = asBizStatus(ctx, errno.Internal())
		}
		return err
	}
}

// asBizStatus records a business status on the call, as Kitex does for one
// returned by the handler itself (a middleware's returned error would travel
// as a transport exception instead).
func asBizStatus(ctx context.Context, err error) error {
	biz, ok := kerrors.FromBizStatusError(err)
	if !ok {
		return err
	}
	if setter, ok := rpcinfo.GetRPCInfo(ctx).Invocation().(rpcinfo.InvocationSetter); ok {
		setter.SetBizStatusErr(biz)
		return nil
	}
	return err
}
