package cache

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"tiktok/internal/tracing"
)

// traceHook makes Redis commands spans of sampled requests only (redisotel
// built a span for every command, sampled or not).
type traceHook struct{}

var tracer = otel.Tracer("tiktok/redis")

func (traceHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (traceHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !tracing.Recording(ctx) {
			return next(ctx, cmd)
		}
		ctx, span := start(ctx, "redis."+cmd.Name(), cmd.Name())
		defer span.End()
		return done(span, next(ctx, cmd))
	}
}

func (traceHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !tracing.Recording(ctx) {
			return next(ctx, cmds)
		}
		names := make([]string, len(cmds))
		for i, c := range cmds {
			names[i] = c.Name()
		}
		ctx, span := start(ctx, "redis.pipeline", strings.Join(names, " "))
		defer span.End()
		return done(span, next(ctx, cmds))
	}
}

func start(ctx context.Context, name, stmt string) (context.Context, trace.Span) {
	return tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", "redis"), attribute.String("db.statement", stmt)))
}

func done(span trace.Span, err error) error {
	if err != nil && err != redis.Nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return err
}

var _ redis.Hook = traceHook{}
