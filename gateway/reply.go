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

func (s *Status) set(err error) { s.StatusCode, s.StatusMsg = errno.From(err) }

type statusSetter interface{ set(error) }

// reply writes resp with its status taken from err. Always HTTP 200: the app
// shows any other status as a network error. PureJSON keeps "<" and "&" as
// they are, so user text is returned exactly as stored.
func reply(c *gin.Context, resp statusSetter, err error) {
	resp.set(err)
	c.PureJSON(http.StatusOK, resp)
}
