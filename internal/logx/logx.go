// Package logx builds the zap logger and carries the request id through
// contexts, including across RPC calls (Kitex metainfo over TTHeader).
package logx

import (
	"context"
	"io"
	"os"
	"regexp"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"github.com/cloudwego/kitex/pkg/klog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const metaKey = "REQUEST_ID"

var base = zap.NewNop()

// Init sets the process logger, which writes to stderr: in colour only when
// stderr is a terminal.
func Init(level, format string) *zap.Logger {
	// Kitex's own info lines (listen, shutdown) are noise next to ours.
	klog.SetLevel(klog.LevelWarn)
	base = build(zapcore.Lock(os.Stderr), IsTerminal(os.Stderr), level, format)
	return base
}

// build is the logger Init sets, writing to out; colour marks the console
// format's levels with ANSI colour codes.
func build(out zapcore.WriteSyncer, colour bool, level, format string) *zap.Logger {
	lvl := zapcore.InfoLevel
	_ = lvl.UnmarshalText([]byte(level))
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	var encoder zapcore.Encoder
	if format == "json" {
		encoder = zapcore.NewJSONEncoder(enc)
	} else {
		enc.EncodeLevel = zapcore.CapitalLevelEncoder
		if colour {
			enc.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
		encoder = zapcore.NewConsoleEncoder(enc)
	}
	return zap.New(zapcore.NewCore(encoder, out, lvl))
}

// IsTerminal reports whether f is a terminal (a character device), where
// colour codes show as colour; in a file, a pipe or a log collector they
// are noise.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Stderr is stderr for the libraries that write lines of their own (Gin's
// panic recovery colours its stack red): as is on a terminal, else without
// the colour codes.
func Stderr() io.Writer {
	if IsTerminal(os.Stderr) {
		return os.Stderr
	}
	return plain{os.Stderr}
}

// ansi matches the escape sequences of colours and other terminal controls.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// plain writes to w what it is given without its ANSI escape sequences.
type plain struct{ w io.Writer }

func (p plain) Write(b []byte) (int, error) {
	if _, err := p.w.Write(ansi.ReplaceAll(b, nil)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// L is the process logger.
func L() *zap.Logger { return base }

// Set makes l the process logger and returns the one it replaces (tests
// read what is logged through zaptest/observer).
func Set(l *zap.Logger) (previous *zap.Logger) {
	previous, base = base, l
	return previous
}

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
