package gateway

import (
	"github.com/gin-gonic/gin"

	"tiktok/internal/errno"
	"tiktok/internal/metrics"
)

// refusedKey holds the error of a request the admission gate turned away;
// handle replies with it in the route's own reply shape.
const refusedKey = "tiktok.refused"

var errOverloaded = errno.New(errno.CodeRateLimited, "the service is busy, please retry in a moment")

// admitRequest holds one of the gateway's admission slots (http.max_in_flight)
// for the rest of the request, waiting for one at most http.max_wait; a
// request that gets none is answered 10008 with Retry-After: 1 by handle,
// without any work behind it.
func (g *Gateway) admitRequest(c *gin.Context) {
	release, ok := g.gate.Enter(c.Request.Context())
	if !ok {
		metrics.AdmissionRefusals.Inc()
		c.Header("Retry-After", "1")
		c.Set(refusedKey, errOverloaded)
		return
	}
	defer release()
	c.Next()
}

// refused is the admission gate's error for c, if it turned c away.
func refused(c *gin.Context) error {
	if v, ok := c.Get(refusedKey); ok {
		return v.(error)
	}
	return nil
}
