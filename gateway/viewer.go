package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/gin-gonic/gin"

	"tiktok/internal/auth"
	"tiktok/internal/errno"
)

// viewer is the token owner, 0 when no token came. A token that came but is
// forged, expired, revoked or not bound to an existing user is an error.
func (g *Gateway) viewer(c *gin.Context) (int64, error) {
	t := tokenOf(c)
	if t == "" {
		return 0, nil
	}
	id, err := g.tokens.Verify(ctxOf(c), t)
	if err != nil {
		if errors.Is(err, auth.ErrInvalid) {
			return 0, errno.Unauthorized("invalid or expired token, please log in again")
		}
		return 0, err // the user service could not be asked
	}
	return id, nil
}

// bindToken is the check auth runs on a token's first use (then remembered
// with it until it expires): a token acts only for a user that exists and
// that is not newer than the token. The second rule binds a token to its
// database: after a wipe, the new holder of an id registered after every
// token issued to the old one, so those are refused. Tokens count whole
// seconds, so a user registered in the second the token was issued passes.
// A user missing costs one user.MGetUsers call per use (absence is never
// remembered); a user found is remembered by compose.
func (g *Gateway) bindToken(ctx context.Context, id int64, issued time.Time) error {
	u, ok, err := g.compose.UserRecord(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return auth.ErrInvalid
	}
	// 0: a record from before the field existed; nothing to compare.
	if c := u.CreatedAtMs; c > 0 && issued.Unix() < c/1000 {
		return auth.ErrInvalid
	}
	return nil
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
