package rpc

import (
	"context"
	"testing"

	"github.com/cloudwego/kitex/pkg/rpcinfo"
)

// BenchmarkMetricsMiddleware is what the metrics add to one call, at each
// end (docs/OPERATIONS.md, Metrics: their cost).
func BenchmarkMetricsMiddleware(b *testing.B) {
	inv := rpcinfo.NewInvocation("feed", "Feed")
	ri := rpcinfo.NewRPCInfo(nil, nil, inv, nil, nil)
	ctx := rpcinfo.NewCtxWithRPCInfo(context.Background(), ri)
	next := func(context.Context, any, any) error { return nil }
	server, client := serverMetrics("feed")(next), clientMetrics("feed")(next)
	b.ReportAllocs()
	for b.Loop() {
		_ = server(ctx, nil, nil)
		_ = client(ctx, nil, nil)
	}
}
