package tracing

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func recorder(t *testing.T) *tracetest.SpanRecorder {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(rootSampler{})),
		sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	return rec
}

// serve runs one request through HTTP and returns the handler's context.
func serve(ratio float64, traceparent string) context.Context {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	var seen context.Context
	r.Use(HTTP("gateway", ratio))
	r.GET("/x", func(c *gin.Context) { seen = c.Request.Context() })
	req := httptest.NewRequest("GET", "/x", nil)
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	r.ServeHTTP(httptest.NewRecorder(), req)
	return seen
}

func TestEntryPointDecides(t *testing.T) {
	rec := recorder(t)
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	if ctx := serve(0, "00-"+id+"-00f067aa0ba902b7-01"); !traced(ctx) ||
		trace.SpanContextFromContext(ctx).TraceID().String() != id {
		t.Fatal("a sampled traceparent must be continued")
	}
	if ctx := serve(1, "00-"+id+"-00f067aa0ba902b7-00"); traced(ctx) || trace.SpanFromContext(ctx).SpanContext().IsValid() {
		t.Fatal("a caller's unsampled trace must stay unsampled, with no span")
	}
	if ctx := serve(0, ""); trace.SpanFromContext(ctx).SpanContext().IsValid() {
		t.Fatal("ratio 0: no span")
	}
	if ctx := serve(1, ""); !traced(ctx) {
		t.Fatal("ratio 1: every request traced")
	}
	if n := len(rec.Ended()); n != 2 {
		t.Fatalf("%d spans recorded, want 2", n)
	}
	// A root span started anywhere else (a Redis call outside a request,
	// say) is not sampled.
	_, span := otel.Tracer("x").Start(context.Background(), "stray")
	if span.SpanContext().IsSampled() {
		t.Fatal("stray root sampled")
	}
}

func rpcCtx(ctx context.Context) context.Context {
	to := rpcinfo.NewEndpointInfo("user", "MGetUsers", nil, nil)
	from := rpcinfo.NewEndpointInfo("gateway", "", nil, nil)
	ri := rpcinfo.NewRPCInfo(from, to, rpcinfo.NewInvocation("user", "MGetUsers"), rpcinfo.NewRPCConfig(), rpcinfo.NewRPCStats())
	return rpcinfo.NewCtxWithRPCInfo(ctx, ri)
}

func TestRPCCarriesOnlySampledTraces(t *testing.T) {
	rec := recorder(t)
	var sent string
	client := ClientMiddleware(func(ctx context.Context, _, _ any) error {
		sent, _ = metainfo.GetValue(ctx, metaKey)
		return nil
	})
	// Unsampled: nothing sent, no span.
	_ = client(rpcCtx(context.Background()), nil, nil)
	if sent != "" || len(rec.Ended()) != 0 {
		t.Fatalf("unsampled call sent %q", sent)
	}
	ctx, root := otel.Tracer("x").Start(context.WithValue(context.Background(), chosenKey{}, true), "root")
	_ = client(rpcCtx(ctx), nil, nil)
	if sent == "" {
		t.Fatal("sampled call sent no traceparent")
	}
	var inside trace.SpanContext
	server := ServerMiddleware(func(ctx context.Context, _, _ any) error {
		inside = trace.SpanContextFromContext(ctx)
		return nil
	})
	_ = server(rpcCtx(metainfo.WithValue(context.Background(), metaKey, sent)), nil, nil)
	if !inside.IsSampled() || inside.TraceID() != root.SpanContext().TraceID() {
		t.Fatal("the server span must join the caller's trace")
	}
	inside = trace.SpanContext{}
	_ = server(rpcCtx(context.Background()), nil, nil)
	if inside.IsValid() {
		t.Fatal("a call without a trace must get no span")
	}
	root.End()
	if n := len(rec.Ended()); n != 3 { // root, client, server
		t.Fatalf("%d spans, want 3", n)
	}
}
