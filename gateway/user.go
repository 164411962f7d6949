package gateway

import (
	"github.com/gin-gonic/gin"

	"tiktok/gateway/compose"
	"tiktok/internal/errno"
	"tiktok/kitex_gen/user"
)

type authResp struct {
	Status
	UserID int64  `json:"user_id"`
	Token  string `json:"token"`
}

type userResp struct {
	Status
	User *compose.User `json:"user"`
}

func credentials(c *gin.Context) (string, string, error) {
	name, ok1 := param(c, "username")
	pw, ok2 := param(c, "password")
	if !ok1 || !ok2 || name == "" || pw == "" {
		return "", "", errno.BadParam("username and password are required")
	}
	return name, pw, nil
}

func (g *Gateway) register(c *gin.Context) (*authResp, error) {
	name, pw, err := credentials(c)
	if err != nil {
		return nil, err
	}
	r, err := g.rpc.User.Register(ctxOf(c), &user.RegisterRequest{Username: name, Password: pw})
	if err != nil {
		return nil, err
	}
	return g.issue(r)
}

func (g *Gateway) login(c *gin.Context) (*authResp, error) {
	name, pw, err := credentials(c)
	if err != nil {
		return nil, err
	}
	r, err := g.rpc.User.Login(ctxOf(c), &user.LoginRequest{Username: name, Password: pw})
	if err != nil {
		return nil, err
	}
	return g.issue(r)
}

// issue answers a register or login with a new token for its user, issued
// no earlier than the user's registration (see bindToken).
func (g *Gateway) issue(r *user.AuthResponse) (*authResp, error) {
	t, err := g.tokens.SignFor(r.UserId, r.CreatedAtMs)
	if err != nil {
		return nil, err
	}
	return &authResp{UserID: r.UserId, Token: t}, nil
}

// userInfo answers user_id's profile as the viewer sees it. Without user_id
// it answers the token's own user, as the camp's demo server does (API.md,
// "User info"); with neither, user_id is required. A bad token is refused
// either way, as on every read endpoint but the feed.
func (g *Gateway) userInfo(c *gin.Context) (*userResp, error) {
	viewer, err := g.viewer(c)
	if err != nil {
		return nil, err
	}
	id := viewer
	if _, ok := given(c, "user_id"); ok || viewer == 0 {
		if id, err = idParam(c, "user_id"); err != nil {
			return nil, err
		}
	}
	us, err := g.compose.Users(ctxOf(c), viewer, []int64{id})
	if err != nil {
		return nil, err
	}
	if len(us) == 0 {
		return nil, errno.NotFound("user not found")
	}
	return &userResp{User: us[0]}, nil
}
