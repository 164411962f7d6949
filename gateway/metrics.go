package gateway

import (
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"tiktok/internal/metrics"
)

// apiCodeKey holds the status_code a reply carried (reply sets it), for the
// request's metrics.
const apiCodeKey = "tiktok.api_code"

// streamRoute is left out of the latency histogram: its "request" lasts as
// long as the chat stream stays open.
const streamRoute = "/douyin/message/stream/"

// observe counts every request by route template and outcome and times it
// (docs/OPERATIONS.md, Metrics). It runs inside the tracing middleware, so a
// sampled request's trace id goes with its latency as an exemplar.
func observe(c *gin.Context) {
	start := time.Now()
	route := routeOf(c) // known before the handler: the router matched it
	if route != streamRoute {
		metrics.HTTPInFlight.Inc()
		defer metrics.HTTPInFlight.Dec()
	}
	c.Next()
	var code, outcome string
	if v, ok := c.Get(apiCodeKey); ok {
		n := v.(int32)
		code, outcome = metrics.Code(n), metrics.Outcome(n)
	} else {
		// Not a JSON reply of the API: media, avatars, the web client.
		st := c.Writer.Status()
		code = "http_" + strconv.Itoa(st)
		switch {
		case st >= 500:
			outcome = "internal_error"
		case st >= 400:
			outcome = "client_error"
		default:
			outcome = "success"
		}
	}
	metrics.HTTPRequests.WithLabelValues(route, code, outcome).Inc()
	if route != streamRoute {
		metrics.ObserveWithTrace(c.Request.Context(), metrics.HTTPDuration.WithLabelValues(route), time.Since(start))
	}
}

// routeOf is the request's route template, the API's with its trailing
// slash whichever way the client spelled it; "unmatched" for a 404, so a
// scan of random paths adds no label values.
func routeOf(c *gin.Context) string {
	r := c.FullPath()
	switch {
	case r == "":
		return "unmatched"
	case strings.HasPrefix(r, "/douyin/") && !strings.HasSuffix(r, "/"):
		return r + "/"
	}
	return r
}
