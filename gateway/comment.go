package gateway

import (
	"github.com/gin-gonic/gin"

	"tiktok/gateway/compose"
	"tiktok/internal/errno"
	"tiktok/kitex_gen/comment"
)

// commentResp carries the new comment of a post; a delete answers it null.
type commentResp struct {
	Status
	Comment *compose.Comment `json:"comment"`
}

type commentsResp struct {
	Status
	CommentList []*compose.Comment `json:"comment_list"`
}

func (r *commentsResp) fillLists() { r.CommentList = orEmpty(r.CommentList) }

func (g *Gateway) commentAction(c *gin.Context) (*commentResp, error) {
	viewer, err := g.requireViewer(c)
	if err != nil {
		return nil, err
	}
	video, err := idParam(c, "video_id")
	if err != nil {
		return nil, err
	}
	action, err := actionParam(c)
	if err != nil {
		return nil, err
	}
	if action == 2 {
		id, err := idParam(c, "comment_id")
		if err != nil {
			return nil, err
		}
		_, err = g.rpc.Comment.Delete(ctxOf(c), &comment.DeleteRequest{UserId: viewer, VideoId: video, CommentId: id})
		return &commentResp{}, err
	}
	text, ok := param(c, "comment_text")
	if !ok {
		return nil, errno.BadParam("comment_text is required")
	}
	r, err := g.rpc.Comment.Create(ctxOf(c), &comment.CreateRequest{UserId: viewer, VideoId: video, Content: text})
	if err != nil {
		return nil, err
	}
	cs, err := g.compose.Comments(ctxOf(c), viewer, []*comment.CommentInfo{r.Comment})
	if err != nil {
		return nil, err
	}
	return &commentResp{Comment: cs[0]}, nil
}

func (g *Gateway) commentList(c *gin.Context) (*commentsResp, error) {
	viewer, err := g.viewer(c)
	if err != nil {
		return nil, err
	}
	video, err := idParam(c, "video_id")
	if err != nil {
		return nil, err
	}
	r, err := g.rpc.Comment.List(ctxOf(c), &comment.ListRequest{VideoId: video})
	if err != nil {
		return nil, err
	}
	cs, err := g.compose.Comments(ctxOf(c), viewer, r.Comments)
	return &commentsResp{CommentList: cs}, err
}
