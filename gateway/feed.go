package gateway

import (
	"github.com/gin-gonic/gin"

	"tiktok/gateway/compose"
	"tiktok/kitex_gen/feed"
)

type feedResp struct {
	Status
	VideoList []*compose.Video `json:"video_list"`
	NextTime  int64            `json:"next_time"`
}

func (r *feedResp) fillLists() { r.VideoList = orEmpty(r.VideoList) }

func (g *Gateway) feed(c *gin.Context) (*feedResp, error) {
	viewer, err := g.viewer(c)
	if err != nil {
		viewer = 0 // the feed serves a bad token the anonymous view
	}
	latest, err := intParam(c, "latest_time", false)
	if err != nil {
		return nil, err
	}
	r, err := g.rpc.Feed.Feed(ctxOf(c), &feed.FeedRequest{LatestTime: latest})
	if err != nil {
		return nil, err
	}
	vs, err := g.compose.FeedVideos(ctxOf(c), viewer, r.Videos, r.WorkCounts)
	if err != nil {
		return nil, err
	}
	return &feedResp{VideoList: vs, NextTime: r.NextTime}, nil
}
