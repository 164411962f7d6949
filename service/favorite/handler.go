package favorite

import (
	"context"

	"tiktok/kitex_gen/base"
	"tiktok/kitex_gen/favorite"
)

// Handler is the Kitex face of Service.
type Handler struct{ S *Service }

func (h *Handler) Action(ctx context.Context, req *favorite.ActionRequest) (*base.Empty, error) {
	if err := h.S.Action(ctx, req.UserId, req.VideoId, req.ActionType); err != nil {
		return nil, err
	}
	return &base.Empty{}, nil
}

func (h *Handler) ListVideoIds(ctx context.Context, req *favorite.ListRequest) (*base.IdsResponse, error) {
	ids, err := h.S.List(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	return &base.IdsResponse{Ids: ids}, nil
}

func (h *Handler) Stats(ctx context.Context, req *favorite.StatsRequest) (*favorite.StatsResponse, error) {
	return h.S.Stats(ctx, req.ViewerId, req.VideoIds, req.UserIds)
}
