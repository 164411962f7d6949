package gateway

import (
	"github.com/gin-gonic/gin"

	"tiktok/internal/errno"
)

// viewer is the token owner, 0 when no token came. A token that came but is
// forged or expired is an error.
func (g *Gateway) viewer(c *gin.Context) (int64, error) {
	t := tokenOf(c)
	if t == "" {
		return 0, nil
	}
	id, err := g.tokens.Parse(t)
	if err != nil {
		return 0, errno.Unauthorized("invalid or expired token, please log in again")
	}
	return id, nil
}

// requireViewer is viewer for endpoints that act as someone: those that
// change state, and the chat, which is the viewer's own conversation. A
// token is required.
func (g *Gateway) requireViewer(c *gin.Context) (int64, error) {
	id, err := g.viewer(c)
	if err == nil && id == 0 {
		err = errno.Unauthorized("please log in first")
	}
	return id, err
}

// viewerAndUser reads the viewer and the required user_id of a read endpoint.
func (g *Gateway) viewerAndUser(c *gin.Context) (int64, int64, error) {
	viewer, err := g.viewer(c)
	if err != nil {
		return 0, 0, err
	}
	id, err := idParam(c, "user_id")
	return viewer, id, err
}

// requireUser fails with not-found when id is not a user. The lists call it
// when they come back empty, to tell an unknown user from one with nothing.
func (g *Gateway) requireUser(c *gin.Context, id int64) error {
	ok, err := g.compose.UserExists(ctxOf(c), id)
	if err != nil {
		return err
	}
	if !ok {
		return errno.NotFound("user not found")
	}
	return nil
}
