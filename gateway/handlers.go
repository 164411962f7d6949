package gateway

import (
	"github.com/gin-gonic/gin"

	"tiktok/gateway/compose"
	"tiktok/internal/errno"
	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/comment"
	"tiktok/kitex_gen/favorite"
	"tiktok/kitex_gen/feed"
	"tiktok/kitex_gen/message"
	"tiktok/kitex_gen/publish"
	"tiktok/kitex_gen/relation"
	"tiktok/kitex_gen/user"
)

type feedResp struct {
	Status
	VideoList []*compose.Video `json:"video_list"`
	NextTime  int64            `json:"next_time"`
}

type authResp struct {
	Status
	UserID int64  `json:"user_id"`
	Token  string `json:"token"`
}

type userResp struct {
	Status
	User *compose.User `json:"user"`
}

type videosResp struct {
	Status
	VideoList []*compose.Video `json:"video_list"`
}

type commentResp struct {
	Status
	Comment *compose.Comment `json:"comment"`
}

type commentsResp struct {
	Status
	CommentList []*compose.Comment `json:"comment_list"`
}

type usersResp struct {
	Status
	UserList []*compose.User `json:"user_list"`
}

type friendsResp struct {
	Status
	UserList []*compose.FriendUser `json:"user_list"`
}

type chatResp struct {
	Status
	MessageList []*compose.Message `json:"message_list"`
}

func (g *Gateway) feed(c *gin.Context) {
	resp := &feedResp{VideoList: []*compose.Video{}}
	reply(c, resp, func() error {
		viewer, err := g.viewer(c)
		if err != nil {
			viewer = 0 // the feed serves a bad token the anonymous view
		}
		latest, err := intParam(c, "latest_time", false)
		if err != nil {
			return err
		}
		r, err := g.rpc.Feed.Feed(ctxOf(c), &feed.FeedRequest{LatestTime: latest})
		if err != nil {
			return err
		}
		vs, err := g.compose.FeedVideos(ctxOf(c), viewer, r.Videos, r.WorkCounts)
		if err != nil {
			return err
		}
		resp.VideoList, resp.NextTime = vs, r.NextTime
		return nil
	}())
}

func credentials(c *gin.Context) (string, string, error) {
	name, ok1 := param(c, "username")
	pw, ok2 := param(c, "password")
	if !ok1 || !ok2 || name == "" || pw == "" {
		return "", "", errno.BadParam("username and password are required")
	}
	return name, pw, nil
}

func (g *Gateway) register(c *gin.Context) {
	resp := &authResp{}
	reply(c, resp, func() error {
		name, pw, err := credentials(c)
		if err != nil {
			return err
		}
		r, err := g.rpc.User.Register(ctxOf(c), &user.RegisterRequest{Username: name, Password: pw})
		if err != nil {
			return err
		}
		return g.issue(resp, r.UserId)
	}())
}

func (g *Gateway) login(c *gin.Context) {
	resp := &authResp{}
	reply(c, resp, func() error {
		name, pw, err := credentials(c)
		if err != nil {
			return err
		}
		r, err := g.rpc.User.Login(ctxOf(c), &user.LoginRequest{Username: name, Password: pw})
		if err != nil {
			return err
		}
		return g.issue(resp, r.UserId)
	}())
}

func (g *Gateway) issue(resp *authResp, id int64) error {
	t, err := g.tokens.Sign(id)
	if err != nil {
		return err
	}
	resp.UserID, resp.Token = id, t
	return nil
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

// requireUser fails with not-found when id is not a user.
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

func (g *Gateway) userInfo(c *gin.Context) {
	resp := &userResp{}
	reply(c, resp, func() error {
		viewer, id, err := g.viewerAndUser(c)
		if err != nil {
			return err
		}
		us, err := g.compose.Users(ctxOf(c), viewer, []int64{id})
		if err != nil {
			return err
		}
		if len(us) == 0 {
			return errno.NotFound("user not found")
		}
		resp.User = us[0]
		return nil
	}())
}

func (g *Gateway) publishList(c *gin.Context) {
	resp := &videosResp{VideoList: []*compose.Video{}}
	reply(c, resp, func() error {
		viewer, id, err := g.viewerAndUser(c)
		if err != nil {
			return err
		}
		r, err := g.rpc.Publish.ListByAuthor(ctxOf(c), &publish.ListByAuthorRequest{AuthorId: id})
		if err != nil {
			return err
		}
		if len(r.Videos) == 0 {
			return g.requireUser(c, id)
		}
		resp.VideoList, err = g.compose.Videos(ctxOf(c), viewer, r.Videos)
		return err
	}())
}

func (g *Gateway) favoriteAction(c *gin.Context) {
	reply(c, &Status{}, func() error {
		viewer, err := g.mustViewer(c)
		if err != nil {
			return err
		}
		video, err := idParam(c, "video_id")
		if err != nil {
			return err
		}
		action, err := actionParam(c)
		if err != nil {
			return err
		}
		_, err = g.rpc.Favorite.Action(ctxOf(c), &favorite.ActionRequest{UserId: viewer, VideoId: video, ActionType: action})
		return err
	}())
}

func (g *Gateway) favoriteList(c *gin.Context) {
	resp := &videosResp{VideoList: []*compose.Video{}}
	reply(c, resp, func() error {
		viewer, id, err := g.viewerAndUser(c)
		if err != nil {
			return err
		}
		ids, err := g.rpc.Favorite.ListVideoIds(ctxOf(c), &favorite.ListRequest{UserId: id})
		if err != nil {
			return err
		}
		if len(ids.Ids) == 0 {
			return g.requireUser(c, id)
		}
		r, err := g.rpc.Publish.MGetVideos(ctxOf(c), &base.IdsRequest{Ids: ids.Ids})
		if err != nil {
			return err
		}
		resp.VideoList, err = g.compose.Videos(ctxOf(c), viewer, r.Videos)
		return err
	}())
}

func (g *Gateway) commentAction(c *gin.Context) {
	resp := &commentResp{}
	reply(c, resp, func() error {
		viewer, err := g.mustViewer(c)
		if err != nil {
			return err
		}
		video, err := idParam(c, "video_id")
		if err != nil {
			return err
		}
		action, err := actionParam(c)
		if err != nil {
			return err
		}
		if action == 2 {
			id, err := idParam(c, "comment_id")
			if err != nil {
				return err
			}
			_, err = g.rpc.Comment.Delete(ctxOf(c), &comment.DeleteRequest{UserId: viewer, VideoId: video, CommentId: id})
			return err
		}
		text, ok := param(c, "comment_text")
		if !ok {
			return errno.BadParam("comment_text is required")
		}
		r, err := g.rpc.Comment.Create(ctxOf(c), &comment.CreateRequest{UserId: viewer, VideoId: video, Content: text})
		if err != nil {
			return err
		}
		cs, err := g.compose.Comments(ctxOf(c), viewer, []*comment.CommentInfo{r.Comment})
		if err != nil {
			return err
		}
		resp.Comment = cs[0]
		return nil
	}())
}

func (g *Gateway) commentList(c *gin.Context) {
	resp := &commentsResp{CommentList: []*compose.Comment{}}
	reply(c, resp, func() error {
		viewer, err := g.viewer(c)
		if err != nil {
			return err
		}
		video, err := idParam(c, "video_id")
		if err != nil {
			return err
		}
		r, err := g.rpc.Comment.List(ctxOf(c), &comment.ListRequest{VideoId: video})
		if err != nil {
			return err
		}
		resp.CommentList, err = g.compose.Comments(ctxOf(c), viewer, r.Comments)
		return err
	}())
}

func (g *Gateway) relationAction(c *gin.Context) {
	reply(c, &Status{}, func() error {
		viewer, err := g.mustViewer(c)
		if err != nil {
			return err
		}
		to, err := idParam(c, "to_user_id")
		if err != nil {
			return err
		}
		action, err := actionParam(c)
		if err != nil {
			return err
		}
		_, err = g.rpc.Relation.Action(ctxOf(c), &relation.ActionRequest{UserId: viewer, ToUserId: to, ActionType: action})
		return err
	}())
}

// userList serves the follow and follower lists.
func (g *Gateway) userList(c *gin.Context, list func(*relation.ListRequest) (*base.IdsResponse, error)) {
	resp := &usersResp{UserList: []*compose.User{}}
	reply(c, resp, func() error {
		viewer, id, err := g.viewerAndUser(c)
		if err != nil {
			return err
		}
		r, err := list(&relation.ListRequest{UserId: id})
		if err != nil {
			return err
		}
		if len(r.Ids) == 0 {
			return g.requireUser(c, id)
		}
		resp.UserList, err = g.compose.Users(ctxOf(c), viewer, r.Ids)
		return err
	}())
}

func (g *Gateway) followList(c *gin.Context) {
	g.userList(c, func(req *relation.ListRequest) (*base.IdsResponse, error) {
		return g.rpc.Relation.FollowList(ctxOf(c), req)
	})
}

func (g *Gateway) followerList(c *gin.Context) {
	g.userList(c, func(req *relation.ListRequest) (*base.IdsResponse, error) {
		return g.rpc.Relation.FollowerList(ctxOf(c), req)
	})
}

func (g *Gateway) friendList(c *gin.Context) {
	resp := &friendsResp{UserList: []*compose.FriendUser{}}
	reply(c, resp, func() error {
		viewer, id, err := g.viewerAndUser(c)
		if err != nil {
			return err
		}
		r, err := g.rpc.Relation.FriendList(ctxOf(c), &relation.ListRequest{UserId: id})
		if err != nil {
			return err
		}
		if len(r.Ids) == 0 {
			return g.requireUser(c, id)
		}
		resp.UserList, err = g.compose.Friends(ctxOf(c), viewer, id, r.Ids)
		return err
	}())
}

func (g *Gateway) chat(c *gin.Context) {
	resp := &chatResp{MessageList: []*compose.Message{}}
	reply(c, resp, func() error {
		viewer, err := g.mustViewer(c)
		if err != nil {
			return err
		}
		to, err := idParam(c, "to_user_id")
		if err != nil {
			return err
		}
		pre, err := intParam(c, "pre_msg_time", false)
		if err != nil {
			return err
		}
		r, err := g.rpc.Message.Chat(ctxOf(c), &message.ChatRequest{ViewerId: viewer, PeerId: to, PreMsgTime: pre})
		if err != nil {
			return err
		}
		for _, m := range r.Messages {
			resp.MessageList = append(resp.MessageList, &compose.Message{ID: m.Id, ToUserID: m.ToUserId,
				FromUserID: m.FromUserId, Content: m.Content, CreateTime: m.CreateTime})
		}
		return nil
	}())
}

func (g *Gateway) messageAction(c *gin.Context) {
	reply(c, &Status{}, func() error {
		viewer, err := g.mustViewer(c)
		if err != nil {
			return err
		}
		to, err := idParam(c, "to_user_id")
		if err != nil {
			return err
		}
		action, err := intParam(c, "action_type", true)
		if err != nil {
			return err
		}
		if action != 1 {
			return errno.BadParam("action_type must be 1 (send)")
		}
		content, ok := param(c, "content")
		if !ok {
			return errno.BadParam("content is required")
		}
		_, err = g.rpc.Message.Send(ctxOf(c), &message.SendRequest{FromUserId: viewer, ToUserId: to, Content: content})
		return err
	}())
}
