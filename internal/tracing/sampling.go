package tracing

import (
	"context"
	"math/rand/v2"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/kerrors"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Sampling is decided once, where a request enters (the gateway), and an
// unsampled request costs no tracing work anywhere after that: no span
// objects, nothing propagated. The generic OpenTelemetry middlewares built a
// (non-recording) span per HTTP request, RPC, SQL statement and Redis call
// even at 1% sampling, about 15% of the feed's CPU.

// chosenKey marks a context whose request the gateway chose to trace.
type chosenKey struct{}

// rootSampler samples a new trace only when the entry point chose it; spans
// with a parent follow the parent (sdktrace.ParentBased).
type rootSampler struct{}

func (rootSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if p.ParentContext != nil && p.ParentContext.Value(chosenKey{}) != nil {
		return sdktrace.AlwaysSample().ShouldSample(p)
	}
	return sdktrace.NeverSample().ShouldSample(p)
}

func (rootSampler) Description() string { return "tiktok/entry-point-decides" }

var tc = propagation.TraceContext{}

// traced says whether ctx belongs to a sampled trace.
func traced(ctx context.Context) bool {
	return trace.SpanContextFromContext(ctx).IsSampled()
}

// HTTP is the gateway's middleware: it continues a trace the caller sampled
// (a W3C traceparent with the sampled flag), starts one for ratio of the
// other requests, and leaves the rest alone.
func HTTP(service string, ratio float64) gin.HandlerFunc {
	tracer := otel.Tracer("tiktok/http")
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		carrier := propagation.HeaderCarrier(c.Request.Header)
		parent := trace.SpanContextFromContext(tc.Extract(ctx, carrier))
		switch {
		case parent.IsValid() && parent.IsSampled():
			ctx = trace.ContextWithRemoteSpanContext(ctx, parent)
		case !parent.IsValid() && ratio > 0 && rand.Float64() < ratio:
			ctx = context.WithValue(ctx, chosenKey{}, true)
		default:
			c.Next()
			return
		}
		ctx, span := tracer.Start(ctx, c.Request.Method+" "+c.FullPath(), trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.method", c.Request.Method),
				attribute.String("http.target", c.Request.URL.Path), attribute.String("service", service)))
		defer span.End()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		span.SetAttributes(attribute.Int("http.status_code", c.Writer.Status()))
		if c.Writer.Status() >= 500 {
			span.SetStatus(codes.Error, "")
		}
	}
}

// metaKey carries the W3C traceparent to the next RPC hop (TTHeader metadata).
const metaKey = "traceparent"

// ClientMiddleware traces a Kitex call made within a sampled trace and passes
// the trace on; other calls go straight through.
func ClientMiddleware(next endpoint.Endpoint) endpoint.Endpoint {
	tracer := otel.Tracer("tiktok/rpc")
	return func(ctx context.Context, req, resp any) error {
		if !traced(ctx) {
			return next(ctx, req, resp)
		}
		to := rpcinfo.GetRPCInfo(ctx).To()
		ctx, span := tracer.Start(ctx, to.ServiceName()+"/"+to.Method(), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("rpc.system", "kitex"),
				attribute.String("rpc.service", to.ServiceName()), attribute.String("rpc.method", to.Method())))
		defer span.End()
		carrier := propagation.MapCarrier{}
		tc.Inject(ctx, carrier)
		if v := carrier.Get(metaKey); v != "" {
			ctx = metainfo.WithValue(ctx, metaKey, v)
		}
		return record(span, next(ctx, req, resp))
	}
}

// ServerMiddleware continues the trace of a call that brought one.
func ServerMiddleware(next endpoint.Endpoint) endpoint.Endpoint {
	tracer := otel.Tracer("tiktok/rpc")
	return func(ctx context.Context, req, resp any) error {
		tp, ok := metainfo.GetValue(ctx, metaKey)
		if !ok {
			return next(ctx, req, resp)
		}
		parent := trace.SpanContextFromContext(tc.Extract(ctx, propagation.MapCarrier{metaKey: tp}))
		if !parent.IsSampled() {
			return next(ctx, req, resp)
		}
		ri := rpcinfo.GetRPCInfo(ctx)
		method := ri.To().Method()
		ctx, span := tracer.Start(trace.ContextWithRemoteSpanContext(ctx, parent), ri.To().ServiceName()+"/"+method,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("rpc.system", "kitex"), attribute.String("rpc.method", method),
				attribute.String("caller", ri.From().ServiceName())))
		defer span.End()
		return record(span, next(ctx, req, resp))
	}
}

// record marks span failed by err; a business error (bad input, not found)
// is an answer, not a failure.
func record(span trace.Span, err error) error {
	if _, biz := kerrors.FromBizStatusError(err); err != nil && !biz {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

// Recording says whether a span started under ctx would be recorded; the SQL
// and Redis hooks skip their work when not.
func Recording(ctx context.Context) bool { return traced(ctx) }
