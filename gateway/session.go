package gateway

import (
	"github.com/gin-gonic/gin"

	"tiktok/internal/errno"
)

// logout ends the session of the token it is called with (API.md, "Beyond
// the app's contract"; the web client's "Log out"): the token is refused
// from then on, on this gateway at once and on every other one as the
// revocation reaches it through Redis, until it would have expired. It needs
// a valid token: an expired one is over already, a forged one is nobody's.
func (g *Gateway) logout(c *gin.Context) (*Status, error) {
	if _, err := g.requireViewer(c); err != nil {
		return nil, err
	}
	if err := g.tokens.Revoke(ctxOf(c), tokenOf(c)); err != nil {
		return nil, errno.Unauthorized("invalid or expired token, please log in again")
	}
	return &Status{}, nil
}
