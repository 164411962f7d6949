// Package tracing sets up OpenTelemetry: spans exported over OTLP/gRPC to the
// configured collector (Jaeger), W3C trace context propagated across HTTP and
// Kitex RPC (through TTHeader metadata).
package tracing

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Init installs a tracer provider named service. With no endpoint it only
// installs the propagator and returns a no-op shutdown. Which requests are
// traced is decided where they enter (HTTP).
func Init(ctx context.Context, service, endpoint string) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithTimeout(5*time.Second))
	if err != nil {
		return nil, err
	}
	res := resource.NewSchemaless(attribute.String("service.name", service))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Second)),
		sdktrace.WithResource(res),
		// Roots only where the gateway chose to trace (see HTTP); the rest
		// follows its parent.
		sdktrace.WithSampler(sdktrace.ParentBased(rootSampler{})),
	)
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}
