// Package logx builds the zap logger and carries the request id through
// contexts, including across RPC calls (Kitex metainfo over TTHeader).
package logx

import (
	"context"
	"os"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/pkg/klog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const metaKey = "REQUEST_ID"

var base = zap.NewNop()

// Init sets the process logger.
func Init(level, format string) *zap.Logger {
	lvl := zapcore.InfoLevel
	_ = lvl.UnmarshalText([]byte(level))
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	var encoder zapcore.Encoder
	if format == "json" {
		encoder = zapcore.NewJSONEncoder(enc)
	} else {
		enc.EncodeLevel = zapcore.CapitalColorLevelEncoder
		encoder = zapcore.NewConsoleEncoder(enc)
	}
	// Kitex's own info lines (listen, shutdown) are noise next to ours.
	klog.SetLevel(klog.LevelWarn)
	base = zap.New(zapcore.NewCore(encoder, zapcore.Lock(os.Stderr), lvl))
	return base
}

// L is the process logger.
func L() *zap.Logger { return base }

// WithRequestID stores id in ctx so that it travels with every RPC made from ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return metainfo.WithPersistentValue(ctx, metaKey, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := metainfo.GetPersistentValue(ctx, metaKey)
	return id
}

// Ctx is the logger for one request: it carries the request id.
func Ctx(ctx context.Context) *zap.Logger {
	if id := RequestID(ctx); id != "" {
		return base.With(zap.String("request_id", id))
	}
	return base
}
