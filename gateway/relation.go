package gateway

import (
	"github.com/gin-gonic/gin"

	"tiktok/gateway/compose"
	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/relation"
)

type usersResp struct {
	Status
	UserList []*compose.User `json:"user_list"`
}

func (r *usersResp) fillLists() { r.UserList = orEmpty(r.UserList) }

type friendsResp struct {
	Status
	UserList []*compose.FriendUser `json:"user_list"`
}

func (r *friendsResp) fillLists() { r.UserList = orEmpty(r.UserList) }

func (g *Gateway) relationAction(c *gin.Context) (*Status, error) {
	viewer, err := g.requireViewer(c)
	if err != nil {
		return nil, err
	}
	to, err := idParam(c, "to_user_id")
	if err != nil {
		return nil, err
	}
	action, err := actionParam(c)
	if err != nil {
		return nil, err
	}
	_, err = g.rpc.Relation.Action(ctxOf(c), &relation.ActionRequest{UserId: viewer, ToUserId: to, ActionType: action})
	return &Status{}, err
}

// userList serves the follow and follower lists, which differ only in the RPC.
func (g *Gateway) userList(c *gin.Context, list func(*relation.ListRequest) (*base.IdsResponse, error)) (*usersResp, error) {
	viewer, id, err := g.viewerAndUser(c)
	if err != nil {
		return nil, err
	}
	r, err := list(&relation.ListRequest{UserId: id})
	if err != nil {
		return nil, err
	}
	if len(r.Ids) == 0 {
		return &usersResp{}, g.requireUser(c, id)
	}
	us, err := g.compose.Users(ctxOf(c), viewer, r.Ids)
	return &usersResp{UserList: us}, err
}

func (g *Gateway) followList(c *gin.Context) (*usersResp, error) {
	return g.userList(c, func(req *relation.ListRequest) (*base.IdsResponse, error) {
		return g.rpc.Relation.FollowList(ctxOf(c), req)
	})
}

func (g *Gateway) followerList(c *gin.Context) (*usersResp, error) {
	return g.userList(c, func(req *relation.ListRequest) (*base.IdsResponse, error) {
		return g.rpc.Relation.FollowerList(ctxOf(c), req)
	})
}

func (g *Gateway) friendList(c *gin.Context) (*friendsResp, error) {
	viewer, id, err := g.viewerAndUser(c)
	if err != nil {
		return nil, err
	}
	r, err := g.rpc.Relation.FriendList(ctxOf(c), &relation.ListRequest{UserId: id})
	if err != nil {
		return nil, err
	}
	if len(r.Ids) == 0 {
		return &friendsResp{}, g.requireUser(c, id)
	}
	fs, err := g.compose.Friends(ctxOf(c), viewer, id, r.Ids)
	return &friendsResp{UserList: fs}, err
}
