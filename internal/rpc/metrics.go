package rpc

import (
	"context"
	"time"

	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/rpcinfo"

	"tiktok/internal/metrics"
)

// outcome classes a finished call: ok, biz_error (a documented API error,
// such as "not found", carried as a business status) or error (the call
// failed: a timeout, no instance, a refused credential, a panic turned 10009
// is still biz_error, logged where it happened).
func outcome(ctx context.Context, err error) string {
	if err != nil {
		if _, biz := kerrors.FromBizStatusError(err); biz {
			return "biz_error"
		}
		return "error"
	}
	if ri := rpcinfo.GetRPCInfo(ctx); ri != nil && ri.Invocation() != nil && ri.Invocation().BizStatusErr() != nil {
		return "biz_error"
	}
	return "ok"
}

func method(ctx context.Context) string {
	if ri := rpcinfo.GetRPCInfo(ctx); ri != nil && ri.Invocation() != nil {
		return ri.Invocation().MethodName()
	}
	return "unknown"
}

// serverMetrics counts and times the calls service answers (outermost, so a
// call refused for its credential counts too). Method names come from the
// IDL: Kitex refuses an unknown one before the middleware runs.
func serverMetrics(service string) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			start := time.Now()
			err := next(ctx, req, resp)
			m := method(ctx)
			metrics.RPCServerRequests.WithLabelValues(service, m, outcome(ctx, err)).Inc()
			metrics.ObserveWithTrace(ctx, metrics.RPCServerDuration.WithLabelValues(service, m), time.Since(start))
			return err
		}
	}
}

// clientMetrics counts and times the calls made to service, as the caller
// saw them (connect, queueing and the call's timeout included).
func clientMetrics(service string) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			start := time.Now()
			err := next(ctx, req, resp)
			m := method(ctx)
			metrics.RPCClientRequests.WithLabelValues(service, m, outcome(ctx, err)).Inc()
			metrics.ObserveWithTrace(ctx, metrics.RPCClientDuration.WithLabelValues(service, m), time.Since(start))
			return err
		}
	}
}
