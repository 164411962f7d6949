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

func (h *Handler) IsFavorite(ctx context.Context, req *base.ViewerIdsRequest) (*base.FlagsResponse, error) {
	m, err := h.S.IsFavorite(ctx, req.ViewerId, req.Ids)
	if err != nil {
		return nil, err
	}
	return &base.FlagsResponse{Flags: m}, nil
}

func (h *Handler) VideoCounts(ctx context.Context, req *base.IdsRequest) (*base.CountsResponse, error) {
	m, err := h.S.VideoCounts(ctx, req.Ids)
	if err != nil {
		return nil, err
	}
	return &base.CountsResponse{Counts: m}, nil
}

func (h *Handler) UserCounts(ctx context.Context, req *base.IdsRequest) (*favorite.UserCountsResponse, error) {
	m, err := h.S.UserCounts(ctx, req.Ids)
	if err != nil {
		return nil, err
	}
	return &favorite.UserCountsResponse{Counts: m}, nil
}
