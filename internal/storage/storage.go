// Package storage keeps uploaded videos and covers behind one interface, so the
// services do not care whether objects live in a local folder or an object store.
package storage

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// ErrTooLarge is returned by Put when the reader exceeds the allowed size.
var ErrTooLarge = errors.New("object too large")

type Storage interface {
	// Put streams r into key. It stores nothing when it fails, and fails with
	// ErrTooLarge once more than max bytes arrive (max <= 0: no limit).
	Put(ctx context.Context, key string, r io.Reader, max int64, contentType string) (int64, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// URL is the absolute URL clients fetch key from.
	URL(key string) string
	// Source is a path or URL that ffmpeg can read key from.
	Source(ctx context.Context, key string) (string, error)
}

// Server is a Storage that can answer an HTTP request for a key itself (the
// gateway's /media/ route): Local always, MinIO for a deployment whose media
// URLs point at the gateway.
type Server interface {
	Serve(w http.ResponseWriter, r *http.Request, key string)
}

// limitReader fails with ErrTooLarge past max bytes, instead of silently
// truncating like io.LimitReader.
type limitReader struct {
	r    io.Reader
	left int64
}

// LimitReader wraps r so that reading more than max bytes fails with ErrTooLarge.
func LimitReader(r io.Reader, max int64) io.Reader {
	if max <= 0 {
		return r
	}
	return &limitReader{r: r, left: max}
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	// Read one byte beyond the limit to tell "exactly max" from "more".
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, ErrTooLarge
	}
	return n, err
}
