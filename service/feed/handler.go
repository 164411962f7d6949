package feed

import (
	"context"

	"tiktok/kitex_gen/feed"
)

// Handler is the Kitex face of Service.
type Handler struct{ S *Service }

func (h *Handler) Feed(ctx context.Context, req *feed.FeedRequest) (*feed.FeedResponse, error) {
	p, err := h.S.Feed(ctx, req.LatestTime)
	if err != nil {
		return nil, err
	}
	return &feed.FeedResponse{Videos: p.Videos, NextTime: p.Next, WorkCounts: p.WorkCounts}, nil
}
