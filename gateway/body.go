package gateway

import (
	"errors"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"tiktok/internal/errno"
	"tiktok/internal/httpserver"
	"tiktok/internal/storage"
)

// bodyErrKey holds, in a request's gin context, the reply its body earned
// before the handler ran (see readSmallBody).
const bodyErrKey = "tiktok.bodyErr"

// readSmallBody reads a small-body endpoint's body at once, whole, within n
// bytes (the caller's MaxBytesReader): a body over n, declared or as read
// (chunked), marks the request too large, and handle answers 10006 whatever
// the endpoint. Left to gin's lazy parse, the error would be dropped and the
// handler would find parameters missing (10001 or 10002).
// It reports whether the body was within n.
func readSmallBody(c *gin.Context, n int64) bool {
	err := error(&http.MaxBytesError{Limit: n})
	if c.Request.ContentLength <= n {
		// Parsed here, the form is what gin reads later; a body of any
		// other type is read through and dropped.
		err = c.Request.ParseMultipartForm(n)
		if err == nil || errors.Is(err, http.ErrNotMultipart) {
			_, err = io.Copy(io.Discard, c.Request.Body)
		}
	}
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		c.Set(bodyErrKey, errno.New(errno.CodeTooLarge, "the request body is larger than the limit of %d KiB", n>>10))
		return false
	}
	return true
}

// bodyError is the reply due before the handler runs: a small body over its
// bound (readSmallBody), or a GET declaring a body over maxFormBytes (it is
// never read, but answers like any other too large body).
func bodyError(c *gin.Context) error {
	if v, ok := c.Get(bodyErrKey); ok {
		return v.(error)
	}
	if c.Request.Method == http.MethodGet && c.Request.ContentLength > maxFormBytes {
		return errno.New(errno.CodeTooLarge, "the request body is larger than the limit of %d KiB", maxFormBytes>>10)
	}
	return nil
}

// serveMedia serves stored media: local files, or objects of a bucket that
// is not public (storage.minio.public_url pointing at /media/). A video
// streams to a player for minutes, so each write gets http.write_timeout
// instead of the whole reply.
func (g *Gateway) serveMedia(media storage.Server) gin.HandlerFunc {
	return func(c *gin.Context) {
		key := strings.TrimPrefix(c.Param("key"), "/")
		if !storage.Public(path.Clean("/" + key)[1:]) {
			c.Status(http.StatusNotFound) // an original is an unchecked upload: never served
			return
		}
		w := httpserver.PaceWrites(c.Writer, g.cfg.HTTP.WriteTimeout)
		media.Serve(w, c.Request, key)
	}
}
