package gateway

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"tiktok/internal/errno"
)

// Status is in every reply, success or not.
type Status struct {
	StatusCode int32  `json:"status_code"`
	StatusMsg  string `json:"status_msg"`
}

func (s *Status) status() *Status { return s }

// response is a reply body: Status, embedded, and the endpoint's fields.
type response interface{ status() *Status }

// lister is a response with lists: API.md wants them [] and never null, in
// an error reply too.
type lister interface{ fillLists() }

// orEmpty is s, or an empty list when s is nil (JSON [] instead of null).
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// handle makes a handler a gin.HandlerFunc: it is the one place a reply is
// written. On success the handler's response goes out; on failure a fresh
// one of the same type, so an error reply has every field of a success, at
// its zero value, whatever the handler had filled before failing.
func handle[R any, P interface {
	*R
	response
}](h func(*gin.Context) (P, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := bodyError(c); err != nil {
			c.Header("Connection", "close")
			reply(c, P(new(R)), err)
			return
		}
		if err := refused(c); err != nil {
			reply(c, P(new(R)), err)
			return
		}
		resp, err := h(c)
		if err != nil || resp == nil {
			resp = P(new(R))
		}
		reply(c, resp, err)
	}
}

// reply writes resp with its status taken from err. Always HTTP 200: the app
// shows any other status as a network error. PureJSON keeps "<" and "&" as
// they are, so user text is returned exactly as stored.
func reply(c *gin.Context, resp response, err error) {
	if l, ok := resp.(lister); ok {
		l.fillLists()
	}
	s := resp.status()
	s.StatusCode, s.StatusMsg = errno.From(err)
	c.Set(apiCodeKey, s.StatusCode)
	if s.StatusCode == errno.CodeRateLimited && c.Writer.Header().Get("Retry-After") == "" {
		// Refused by a service (a full queue: the user service's password
		// hashes, the publish service's media work), not by a gateway limit
		// that knows its wait: a queue moves within about a second.
		c.Header("Retry-After", "1")
	}
	c.PureJSON(http.StatusOK, resp)
}
