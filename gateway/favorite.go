package gateway

import (
	"github.com/gin-gonic/gin"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/favorite"
)

func (g *Gateway) favoriteAction(c *gin.Context) (*Status, error) {
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
	_, err = g.rpc.Favorite.Action(ctxOf(c), &favorite.ActionRequest{UserId: viewer, VideoId: video, ActionType: action})
	return &Status{}, err
}

// favoriteList answers the videos user_id liked, in the favorite service's
// order (most recently liked first).
func (g *Gateway) favoriteList(c *gin.Context) (*videosResp, error) {
	viewer, id, err := g.viewerAndUser(c)
	if err != nil {
		return nil, err
	}
	ids, err := g.rpc.Favorite.ListVideoIds(ctxOf(c), &favorite.ListRequest{UserId: id})
	if err != nil {
		return nil, err
	}
	if len(ids.Ids) == 0 {
		return &videosResp{}, g.requireUser(c, id)
	}
	r, err := g.rpc.Publish.MGetVideos(ctxOf(c), &base.IdsRequest{Ids: ids.Ids})
	if err != nil {
		return nil, err
	}
	vs, err := g.compose.Videos(ctxOf(c), viewer, r.Videos)
	return &videosResp{VideoList: vs}, err
}
