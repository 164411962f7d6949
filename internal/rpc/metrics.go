package rpc

import (
	"context"
	"time"

	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/rpcinfo"

	"tiktok/internal/errno"
	"tiktok/internal/metrics"
)

// outcome classes a finished call: ok, biz_error (a documented answer to
// the caller's input, such as "not found", carried as a business status) or
// error (the call failed: a timeout, no instance, a refused credential, and
// the handler failures serverRecover turns into 10009, or a 10010, which
// travel as business statuses but are the service's fault).
func outcome(ctx context.Context, err error) string {
	if err != nil {
		if biz, ok := kerrors.FromBizStatusError(err); ok {
			return bizOutcome(biz.BizStatusCode())
		}
		return "error"
	}
	if ri := rpcinfo.GetRPCInfo(ctx); ri != nil && ri.Invocation() != nil {
		if biz := ri.Invocation().BizStatusErr(); biz != nil {
			return bizOutcome(biz.BizStatusCode())
		}
	}
	return "ok"
}

func bizOutcome(code int32) string {
	if code == errno.CodeInternal || code == errno.CodeServiceUnavailable {
		return "error"
	}
	return "biz_error"
}

func method(ctx context.Context) string {
	if ri := rpcinfo.GetRPCInfo(ctx); ri != nil && ri.Invocation() != nil {
		return ri.Invocation().MethodName()
	}
	return "unknown"
}

// serverMetrics counts and times the calls service answers (outermost, so a
// call refused for its credential counts too). Method names come from the
// IDL: Kitex refuses an unknown one before the middleware runs. No exemplar:
// the call's span starts inside (tracing.ServerMiddleware); the caller's
// histogram carries the trace.
func serverMetrics(service string) endpoint.Middleware {
	return func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			start := time.Now()
			err := next(ctx, req, resp)
			m := method(ctx)
			metrics.RPCServerRequests.WithLabelValues(service, m, outcome(ctx, err)).Inc()
			metrics.RPCServerDuration.WithLabelValues(service, m).Observe(time.Since(start).Seconds())
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
